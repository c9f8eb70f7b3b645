package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/client"
)

// tamperingProxy is a reverse proxy in front of the test registry that
// flips one byte of every download's body in flight, leaving its headers
// (X-Checksum among them) as the registry sent them.
func tamperingProxy(t *testing.T) string {
	t.Helper()
	target, _ := url.Parse(registryURL)
	p := httputil.NewSingleHostReverseProxy(target)
	p.ModifyResponse = func(resp *http.Response) error {
		if resp.Header.Get("Content-Type") != "application/octet-stream" {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		resp.Body.Close()
		b[len(b)/2] ^= 0xff
		resp.Body = io.NopCloser(bytes.NewReader(b))
		return nil
	}
	srv := httptest.NewServer(p)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestDownloadTamperedInFlight(t *testing.T) {
	ctx := context.Background()
	direct, _ := client.New(registryURL)
	vs, err := direct.Versions(ctx, "taskserv", "kubernetes")
	if err != nil {
		t.Fatal(err)
	}
	published := vs[0].Checksum

	c, _ := client.New(tamperingProxy(t))
	for _, tc := range []struct {
		name string
		opts *client.DownloadOptions
	}{
		{"against the download's X-Checksum", nil},
		{"against the published checksum", &client.DownloadOptions{Checksum: published}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			res, err := c.Download(ctx, "taskserv", "kubernetes", "1.28.0", &buf, tc.opts)
			var ce *client.ChecksumError
			if !errors.As(err, &ce) {
				t.Fatalf("Download = %v, %v; want a *ChecksumError", res, err)
			}
			if ce.Expected != published || ce.Actual == published || !strings.HasPrefix(ce.Actual, "sha256:") {
				t.Errorf("ChecksumError %+v, want expected %s and another actual digest", ce, published)
			}
			if msg := err.Error(); !strings.Contains(msg, ce.Expected) || !strings.Contains(msg, ce.Actual) {
				t.Errorf("error %q does not name both digests", msg)
			}
		})
	}
}

func TestDownloadVerified(t *testing.T) {
	c, _ := client.New(registryURL + "/api/v1/") // the API prefix is accepted
	var buf bytes.Buffer
	var progress bytes.Buffer
	var announced int64
	res, err := c.Download(context.Background(), "provider", "aws", "", &buf, &client.DownloadOptions{
		Progress: func(size int64) io.Writer { announced = size; return &progress },
	})
	if err != nil {
		t.Fatal(err)
	}
	e, err := c.Get(context.Background(), "provider", "aws")
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != e.Version || res.Checksum != e.Checksum || !res.Verified || res.Size != int64(buf.Len()) || res.Size != e.Size {
		t.Errorf("result %+v, want version %s, checksum %s, size %d, verified", res, e.Version, e.Checksum, e.Size)
	}
	if announced != e.Size || !bytes.Equal(progress.Bytes(), buf.Bytes()) {
		t.Errorf("progress announced %d and saw %d bytes, want %d and the same bytes", announced, progress.Len(), e.Size)
	}
	if res.FileName != "aws_provider.tar.gz" {
		t.Errorf("file name %q", res.FileName)
	}
}

func TestAPIErrors(t *testing.T) {
	c, _ := client.New(registryURL)
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		call   func() error
		status int
		code   string
	}{
		{"unknown extension", func() error { _, err := c.Get(ctx, "provider", "nope"); return err }, 404, "not_found"},
		{"bad type", func() error { _, err := c.Versions(ctx, "plugin", "aws"); return err }, 400, "invalid_type"},
		{"bad version", func() error {
			_, err := c.Download(ctx, "provider", "aws", "latest", io.Discard, nil)
			return err
		}, 400, "invalid_version"},
		{"blank query", func() error { _, err := c.Search(ctx, " ", client.SearchOptions{}); return err }, 400, "invalid_parameter"},
		{"bad source", func() error { _, err := c.List(ctx, client.ListOptions{Source: "s3"}); return err }, 400, "invalid_parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var ae *client.APIError
			if !errors.As(err, &ae) || ae.StatusCode != tc.status || ae.Code != tc.code || ae.Message == "" {
				t.Fatalf("error %#v, want an *APIError %d %s with a message", err, tc.status, tc.code)
			}
			if tc.status == 404 && !client.IsNotFound(err) {
				t.Error("IsNotFound is false")
			}
		})
	}
}

func TestUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := "http://" + ln.Addr().String()
	ln.Close()
	c, _ := client.New(addr)
	_, err = c.List(context.Background(), client.ListOptions{})
	var ce *client.ConnError
	if !errors.As(err, &ce) || ce.URL != addr || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "\n") {
		t.Fatalf("error %v, want a one-line *ConnError naming %s", err, addr)
	}
}

func TestCanceled(t *testing.T) {
	c, _ := client.New(registryURL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.Get(ctx, "provider", "aws"); !errors.Is(err, context.Canceled) {
		t.Fatalf("error %v, want context.Canceled", err)
	}
}

func TestNewRefusesBadURLs(t *testing.T) {
	for _, u := range []string{"localhost:8082", "ftp://host", "http://", "http://u:p@host", "http://host?x=1", "://"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
	c, err := client.New("")
	if err != nil || c.URL() != client.DefaultURL {
		t.Errorf("New(\"\") = %v, %v; want %s", c, err, client.DefaultURL)
	}
}

// recordingTransport remembers the User-Agent of every request.
type recordingTransport struct {
	mu     sync.Mutex
	agents []string
}

func (r *recordingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	r.mu.Lock()
	r.agents = append(r.agents, req.UserAgent())
	r.mu.Unlock()
	return http.DefaultTransport.RoundTrip(req)
}

func TestOptions(t *testing.T) {
	rt := &recordingTransport{}
	c, _ := client.New(registryURL, client.WithHTTPClient(&http.Client{Transport: rt}), client.WithUserAgent("tester/1.0"))
	if _, err := c.Versions(context.Background(), "provider", "aws"); err != nil {
		t.Fatal(err)
	}
	if len(rt.agents) != 1 || rt.agents[0] != "tester/1.0" {
		t.Errorf("requests with User-Agent %q, want one with tester/1.0", rt.agents)
	}
}

// TestListFollowsPages uses a fake server, since a real one would need
// more than a thousand extensions: List reads every page until the total.
func TestListFollowsPages(t *testing.T) {
	const total = 2345
	var requests int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		requests++
		offset, _ := strconv.Atoi(r.URL.Query().Get("offset"))
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		if r.URL.Path != "/api/v1/extensions" || limit != 1000 || r.URL.Query().Get("type") != "provider" {
			http.Error(w, "unexpected request "+r.URL.String(), http.StatusTeapot)
			return
		}
		w.Header().Set("X-Total-Count", strconv.Itoa(total))
		var items []string
		for i := offset; i < min(offset+limit, total); i++ {
			items = append(items, fmt.Sprintf(`{"name":"p%d","type":"provider","version":"1.0.0","description":"","source":"oci","published_at":"2025-01-01T00:00:00Z"}`, i))
		}
		fmt.Fprintf(w, "[%s]", strings.Join(items, ","))
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	exts, raw, err := c.ListJSON(context.Background(), client.ListOptions{Type: "provider"})
	if err != nil {
		t.Fatal(err)
	}
	if len(exts) != total || requests != 3 || exts[total-1].Name != fmt.Sprintf("p%d", total-1) {
		t.Errorf("%d extensions in %d requests, want %d in 3", len(exts), requests, total)
	}
	if !bytes.HasPrefix(raw, []byte(`[{"name":"p0",`)) || bytes.Count(raw, []byte(`"name"`)) != total {
		t.Errorf("raw JSON does not hold every object as sent: %.80s…", raw)
	}
}

// TestNonAPIErrorBody: an answer that is not the API's error body (a
// proxy's HTML page) still gives an *APIError naming the status, bounded.
func TestNonAPIErrorBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		io.WriteString(w, "<html>"+strings.Repeat("x", 1<<20)+"</html>")
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	_, err := c.Get(context.Background(), "provider", "aws")
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.StatusCode != 502 || !strings.Contains(ae.Message, "502") || len(err.Error()) > 200 {
		t.Fatalf("error %.200v, want a short *APIError naming 502", err)
	}
}

// TestRetryAfter: a 429's Retry-After reaches the caller.
func TestRetryAfter(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "7")
		w.WriteHeader(http.StatusTooManyRequests)
		io.WriteString(w, `{"error":"rate_limit","message":"Too many requests from this client address; retry after 7 s"}`)
	}))
	defer srv.Close()
	c, _ := client.New(srv.URL)
	_, err := c.List(context.Background(), client.ListOptions{})
	var ae *client.APIError
	if !errors.As(err, &ae) || ae.Code != "rate_limit" || ae.RetryAfter != 7*time.Second {
		t.Fatalf("error %#v, want a rate_limit *APIError with RetryAfter 7s", err)
	}
}

// TestUnsafeFileNames: the server's file name never leaves the folder.
func TestUnsafeFileNames(t *testing.T) {
	for disp, want := range map[string]string{
		`attachment; filename="../../etc/passwd"`: "passwd",
		`attachment; filename=".bashrc"`:          "x_provider.tar.gz",
		`attachment; filename=".."`:               "x_provider.tar.gz",
		`attachment; filename="a\\b.tgz"`:         "b.tgz",
		``:                                        "x_provider.tar.gz",
	} {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Header().Set("Content-Disposition", disp)
			io.WriteString(w, "data")
		}))
		c, _ := client.New(srv.URL)
		res, err := c.Download(context.Background(), "provider", "x", "1.0.0", io.Discard, nil)
		srv.Close()
		if err != nil || res.FileName != want || res.Verified {
			t.Errorf("Content-Disposition %q: %+v, %v; want file %q, not verified", disp, res, err, want)
		}
	}
}
