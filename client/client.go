// Package client is the Go client of the Extension Registry API v1: list,
// search, describe and download the extensions a registry serves. The
// extension-registry command line is built on it.
//
// Every call takes a context; errors the server answers are *APIError
// values carrying the API's error type and message, a server that cannot
// be reached is a *ConnError naming its URL, and a download whose bytes do
// not match their checksum is a *ChecksumError naming both digests.
package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// DefaultURL is the registry the client talks to when given no URL.
const DefaultURL = "http://localhost:8082"

// apiPrefix is where the v1 API lives under a registry's base URL.
const apiPrefix = "/api/v1"

// Bounds on what a server can make the client read into memory.
const (
	maxJSONBody  = 64 << 20 // one JSON answer (a page of 1000 extensions is far less)
	maxErrorBody = 64 << 10 // one error answer
	maxMessage   = 1024     // characters of a server message kept in an error
	maxPages     = 10000    // pages List follows before giving up
)

// Client talks to one registry. The zero value is not usable; create one
// with New. A Client is safe for concurrent use.
type Client struct {
	base      string // scheme://host[:port][/path] without a trailing slash
	http      *http.Client
	userAgent string
}

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient makes the client send its requests with hc (its transport,
// TLS settings and timeout). The default is a client without a total
// timeout, so that large downloads are not cut; bound calls with their
// context instead.
func WithHTTPClient(hc *http.Client) Option {
	return func(c *Client) {
		if hc != nil {
			c.http = hc
		}
	}
}

// WithUserAgent sets the User-Agent header of every request.
func WithUserAgent(ua string) Option {
	return func(c *Client) { c.userAgent = ua }
}

// New returns a client of the registry at baseURL ("http://host:8082", with
// or without a trailing "/api/v1"); empty means DefaultURL. A URL that is
// not http(s)://host[...] is an error.
func New(baseURL string, opts ...Option) (*Client, error) {
	if baseURL == "" {
		baseURL = DefaultURL
	}
	u, err := url.Parse(baseURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("invalid registry URL %q: want http://HOST[:PORT] or https://HOST[:PORT]", baseURL)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("invalid registry URL %q: no query, fragment or user information allowed", baseURL)
	}
	base := strings.TrimRight(u.String(), "/")
	base = strings.TrimSuffix(base, apiPrefix)
	c := &Client{
		base:      strings.TrimRight(base, "/"),
		http:      &http.Client{},
		userAgent: "extension-registry-client",
	}
	for _, o := range opts {
		o(c)
	}
	return c, nil
}

// URL is the registry's base URL, as the client uses it.
func (c *Client) URL() string { return c.base }

// APIError is an error answer of the registry: its HTTP status and the
// API's error body.
type APIError struct {
	// StatusCode is the HTTP status of the answer.
	StatusCode int
	// Code is the API's error type ("not_found", "invalid_type", ...).
	Code string `json:"error"`
	// Message is the server's human-readable message.
	Message string `json:"message"`
	// Details is the server's optional further detail.
	Details string `json:"details,omitempty"`
	// RetryAfter is how long the server asked to wait (its Retry-After,
	// on a 429 or 503); zero when it named none.
	RetryAfter time.Duration `json:"-"`
}

// Error returns the server's message, followed by its details when it sent
// any.
func (e *APIError) Error() string {
	if e.Details != "" {
		return e.Message + " (" + e.Details + ")"
	}
	return e.Message
}

// IsNotFound reports whether err is the registry's 404 answer.
func IsNotFound(err error) bool {
	var ae *APIError
	return errors.As(err, &ae) && ae.StatusCode == http.StatusNotFound
}

// ConnError is a request that got no answer: the server could not be
// reached, or the connection broke.
type ConnError struct {
	// URL is the registry's base URL.
	URL string
	Err error
}

func (e *ConnError) Error() string {
	if errors.Is(e.Err, io.EOF) || errors.Is(e.Err, io.ErrUnexpectedEOF) {
		// Reached, but it closed the connection before any answer.
		return fmt.Sprintf("the registry at %s closed the connection without an answer: %v", e.URL, e.Err)
	}
	return fmt.Sprintf("cannot reach the registry at %s: %v", e.URL, e.Err)
}

func (e *ConnError) Unwrap() error { return e.Err }

// ChecksumError is a download whose bytes do not match the checksum the
// registry published for them.
type ChecksumError struct {
	// Expected is the published checksum, Actual the digest of the bytes
	// received, both as "sha256:<hex>".
	Expected, Actual string
}

func (e *ChecksumError) Error() string {
	return fmt.Sprintf("checksum mismatch: expected %s, got %s", e.Expected, e.Actual)
}

// do sends a GET for path (under the API prefix) with query q and returns
// the answer when it is a 2xx; any other answer is an *APIError.
func (c *Client) do(ctx context.Context, path string, q url.Values) (*http.Response, error) {
	u := c.base + apiPrefix + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Accept", "application/json")
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return nil, &ConnError{URL: c.base, Err: err}
	}
	if resp.StatusCode/100 != 2 {
		defer resp.Body.Close()
		return nil, readAPIError(resp)
	}
	return resp, nil
}

// readAPIError turns a non-2xx answer into an *APIError; a body that is not
// the API's error format gets a message naming the status.
func readAPIError(resp *http.Response) error {
	ae := &APIError{StatusCode: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if json.Unmarshal(body, ae) != nil || ae.Message == "" {
		ae.Code, ae.Message, ae.Details = "", fmt.Sprintf("the registry answered %s", resp.Status), ""
	}
	ae.Message = truncate(ae.Message)
	ae.Details = truncate(ae.Details)
	if secs, err := strconv.Atoi(strings.TrimSpace(resp.Header.Get("Retry-After"))); err == nil && secs > 0 {
		ae.RetryAfter = time.Duration(min(secs, 86400)) * time.Second
	}
	return ae
}

// getJSON GETs path and decodes its JSON answer into v. It returns the
// answer's raw body and headers.
func (c *Client) getJSON(ctx context.Context, path string, q url.Values, v any) ([]byte, http.Header, error) {
	resp, err := c.do(ctx, path, q)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxJSONBody+1))
	if err != nil {
		return nil, nil, &ConnError{URL: c.base, Err: err}
	}
	if len(body) > maxJSONBody {
		return nil, nil, fmt.Errorf("GET %s: answer larger than %d bytes", path, maxJSONBody)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return nil, nil, fmt.Errorf("GET %s: the registry's answer is not the API's JSON: %w", path, err)
	}
	return body, resp.Header, nil
}

func truncate(s string) string {
	if r := []rune(s); len(r) > maxMessage {
		return string(r[:maxMessage]) + "…"
	}
	return s
}

// Extension is one extension as the API describes it.
type Extension struct {
	Name        string    `json:"name"`
	Type        string    `json:"type"`
	Version     string    `json:"version"`
	Description string    `json:"description"`
	Author      string    `json:"author,omitempty"`
	Repository  string    `json:"repository,omitempty"`
	Source      string    `json:"source"`
	PublishedAt time.Time `json:"published_at"`
	DownloadURL string    `json:"download_url,omitempty"`
	Checksum    string    `json:"checksum,omitempty"`
	Size        int64     `json:"size,omitempty"`
	Tags        []string  `json:"tags,omitempty"`
}

// Version is one published version of an extension.
type Version struct {
	Version     string    `json:"version"`
	PublishedAt time.Time `json:"published_at"`
	DownloadURL string    `json:"download_url,omitempty"`
	Checksum    string    `json:"checksum,omitempty"`
	Size        int64     `json:"size,omitempty"`
}
