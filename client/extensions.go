package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
)

// pageSize is the page List asks for: the API's maximum.
const pageSize = 1000

// ListOptions narrows List. Zero fields match everything.
type ListOptions struct {
	// Type is provider, taskserv or cluster.
	Type string
	// Source is gitea or oci.
	Source string
}

// List returns every extension that matches opts, following the API's
// pages until the total the server announces (X-Total-Count) is read.
func (c *Client) List(ctx context.Context, opts ListOptions) ([]Extension, error) {
	exts, _, err := c.list(ctx, opts)
	return exts, err
}

// ListJSON is List that also returns the extensions as the API sent them:
// one JSON array of the objects of every page, byte for byte.
func (c *Client) ListJSON(ctx context.Context, opts ListOptions) ([]Extension, json.RawMessage, error) {
	exts, raws, err := c.list(ctx, opts)
	if err != nil {
		return nil, nil, err
	}
	return exts, joinArray(raws), nil
}

func (c *Client) list(ctx context.Context, opts ListOptions) ([]Extension, []json.RawMessage, error) {
	q := url.Values{}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	if opts.Source != "" {
		q.Set("source", opts.Source)
	}
	q.Set("limit", strconv.Itoa(pageSize))
	var exts []Extension
	var raws []json.RawMessage
	for range maxPages {
		q.Set("offset", strconv.Itoa(len(exts)))
		var page []json.RawMessage
		_, h, err := c.getJSON(ctx, "/extensions", q, &page)
		if err != nil {
			return nil, nil, err
		}
		for _, raw := range page {
			var e Extension
			if err := json.Unmarshal(raw, &e); err != nil {
				return nil, nil, fmt.Errorf("GET /extensions: an extension is not the API's JSON: %w", err)
			}
			exts, raws = append(exts, e), append(raws, raw)
		}
		total, err := strconv.Atoi(h.Get("X-Total-Count"))
		if len(page) == 0 || err != nil || len(exts) >= total {
			return nonNil(exts), raws, nil
		}
	}
	return nil, nil, fmt.Errorf("GET /extensions: more than %d pages", maxPages)
}

// Get returns the extension typ/name, with the metadata of its current
// version. An unknown extension is an *APIError with status 404.
func (c *Client) Get(ctx context.Context, typ, name string) (*Extension, error) {
	e, _, err := c.GetJSON(ctx, typ, name)
	return e, err
}

// GetJSON is Get that also returns the API's JSON of the extension.
func (c *Client) GetJSON(ctx context.Context, typ, name string) (*Extension, json.RawMessage, error) {
	var e Extension
	raw, _, err := c.getJSON(ctx, extPath(typ, name), nil, &e)
	if err != nil {
		return nil, nil, err
	}
	return &e, raw, nil
}

// Versions returns the versions of typ/name, newest first.
func (c *Client) Versions(ctx context.Context, typ, name string) ([]Version, error) {
	vs, _, err := c.VersionsJSON(ctx, typ, name)
	return vs, err
}

// VersionsJSON is Versions that also returns the API's JSON array.
func (c *Client) VersionsJSON(ctx context.Context, typ, name string) ([]Version, json.RawMessage, error) {
	var vs []Version
	raw, _, err := c.getJSON(ctx, extPath(typ, name)+"/versions", nil, &vs)
	if err != nil {
		return nil, nil, err
	}
	return nonNil(vs), raw, nil
}

// SearchOptions narrows Search.
type SearchOptions struct {
	// Type is provider, taskserv or cluster; empty matches all.
	Type string
	// Limit caps the results; zero is the server's default (50), and the
	// server clamps it to its maximum (100).
	Limit int
}

// Search returns the extensions whose name, description or tags match
// query, best matches first. A blank query is an *APIError (400).
func (c *Client) Search(ctx context.Context, query string, opts SearchOptions) ([]Extension, error) {
	exts, _, err := c.SearchJSON(ctx, query, opts)
	return exts, err
}

// SearchJSON is Search that also returns the API's JSON array.
func (c *Client) SearchJSON(ctx context.Context, query string, opts SearchOptions) ([]Extension, json.RawMessage, error) {
	q := url.Values{"q": {query}}
	if opts.Type != "" {
		q.Set("type", opts.Type)
	}
	if opts.Limit > 0 {
		q.Set("limit", strconv.Itoa(opts.Limit))
	}
	var exts []Extension
	raw, _, err := c.getJSON(ctx, "/extensions/search", q, &exts)
	if err != nil {
		return nil, nil, err
	}
	return nonNil(exts), raw, nil
}

// extPath is the API path of typ/name, each segment escaped.
func extPath(typ, name string) string {
	return "/extensions/" + url.PathEscape(typ) + "/" + url.PathEscape(name)
}

// joinArray joins JSON values into one JSON array, each value unchanged.
func joinArray(raws []json.RawMessage) json.RawMessage {
	out := []byte{'['}
	for i, r := range raws {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, r...)
	}
	return append(out, ']')
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
