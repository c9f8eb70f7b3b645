package app

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd")
	}
	return len(ents)
}

// TestSlowClientsAreCut opens 60 connections whose request bodies never
// arrive and 10 whose headers trickle in (harm #3), against a registry
// capped at 16 connections with 1 s read timeouts: the first get their
// answer and are closed at once (the body is never waited for), the others
// are closed at the header timeout, /health keeps answering during the
// flood, and no descriptor is left behind.
func TestSlowClientsAreCut(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.Server.ReadTimeout = time.Second
	cfg.Server.ReadHeaderTimeout = time.Second
	cfg.Server.MaxConnections = 16
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	addr := strings.TrimPrefix(base, "http://")
	fdsBefore := openFDs(t)

	const bodies, trickles = 60, 10
	var wg sync.WaitGroup
	closedAfter := make(chan time.Duration, bodies+trickles)
	start := time.Now()
	for i := range bodies + trickles {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Errorf("dial: %v", err)
				return
			}
			defer c.Close()
			_ = c.SetReadDeadline(time.Now().Add(30 * time.Second))
			if i < bodies {
				fmt.Fprintf(c, "POST /api/v1/extensions HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n{")
			} else {
				fmt.Fprintf(c, "GET /api/v1/health HTTP/1.1\r\nHost: x\r\n")
				go func() {
					for range 20 {
						time.Sleep(200 * time.Millisecond)
						if _, err := fmt.Fprintf(c, "X-Slow: 1\r\n"); err != nil {
							return
						}
					}
				}()
			}
			got, err := io.ReadAll(c) // until the server closes
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Errorf("connection %d still open after 30 s", i)
				return
			}
			// A body that never arrives: the 405 is answered and the
			// connection closed at once, without waiting for the body.
			if i < bodies && !strings.HasPrefix(string(got), "HTTP/1.1 405") {
				t.Errorf("connection %d with a missing body got %.40q", i, got)
			}
			closedAfter <- time.Since(start)
		}()
	}
	// /health answers while the flood holds connections: each slow one is
	// cut after 1 s, so a slot frees within about a second.
	time.Sleep(200 * time.Millisecond)
	hstart := time.Now()
	cl := &http.Client{Timeout: 15 * time.Second}
	resp, err := cl.Get(base + "/api/v1/health")
	if err != nil {
		t.Fatalf("/health during the flood: %v", err)
	}
	resp.Body.Close()
	t.Logf("/health answered %d after %s during the flood", resp.StatusCode, time.Since(hstart).Round(time.Millisecond))
	wg.Wait()
	close(closedAfter)
	var last time.Duration
	for d := range closedAfter {
		last = max(last, d)
	}
	// The trickling ones hold their slot for the 1 s header timeout.
	if last > 4*time.Second {
		t.Errorf("the last slow connection was closed after %s", last)
	}
	t.Logf("%d slow connections all closed by the server within %s", bodies+trickles, last.Round(time.Millisecond))
	time.Sleep(200 * time.Millisecond)
	if n := openFDs(t); n > fdsBefore+8 {
		t.Errorf("%d descriptors open after the flood, %d before", n, fdsBefore)
	}
}

// TestRequestBudget points the registry at an OCI registry that accepts
// connections and never answers (harm #5): a v1 request answers 503 with
// the v1 body once server.request_timeout (1 s) is spent, not after the
// transport's 30 s; requests beyond server.max_inflight (2) while those
// wait are answered 503 with Retry-After at once.
func TestRequestBudget(t *testing.T) {
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.OCI.Registry = testserver.SilentAddr(t)
	cfg.OCI.Insecure = true
	cfg.Sources = []string{"oci"}
	cfg.Server.RequestTimeout = 1500 * time.Millisecond
	cfg.Server.MaxInflight = 2
	base := runForTest(t, cfg, slog.New(slog.DiscardHandler))
	addr := strings.TrimPrefix(base, "http://")

	var wg sync.WaitGroup
	results := make(chan rawAnswer, 2)
	durations := make(chan time.Duration, 2)
	for _, p := range []string{"/api/v1/extensions", "/api/v1/extensions/provider/aws/versions"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			start := time.Now()
			results <- sendRaw(t, addr, "GET", p, nil, 20*time.Second)
			durations <- time.Since(start)
		}()
	}
	time.Sleep(300 * time.Millisecond)
	over := sendRaw(t, addr, "GET", "/api/v1/extensions/provider/aws", nil, 5*time.Second)
	if over.status != http.StatusServiceUnavailable || over.header.Get("Retry-After") == "" || checkV1Body(over) != "" {
		t.Errorf("third request in flight: %d Retry-After=%q %s", over.status, over.header.Get("Retry-After"), over.body)
	}
	var e struct{ Error, Message string }
	_ = json.Unmarshal(over.body, &e)
	if !strings.Contains(e.Message, "2 requests") {
		t.Errorf("the in-flight refusal does not say why: %q", e.Message)
	}
	wg.Wait()
	close(results)
	close(durations)
	for a := range results {
		if a.status != http.StatusServiceUnavailable || checkV1Body(a) != "" {
			t.Errorf("request against a hung registry: %d %s, want 503 with the v1 body", a.status, a.body)
		}
	}
	for d := range durations {
		if d < time.Second || d > 5*time.Second {
			t.Errorf("answered after %s, want about the 1.5 s budget", d)
		}
	}
}
