package main

import (
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestShutdownCutsAtTimeout runs the binary with shutdown_timeout 2s and a
// download that cannot finish in time (its client reads slowly): after
// SIGTERM the port refuses new connections at once, the download is cut
// at the deadline and logged with how much was sent, and the process exits
// 0 because the shutdown was requested.
func TestShutdownCutsAtTimeout(t *testing.T) {
	dir := t.TempDir()
	env := environ("EXTENSION_REGISTRY_SHUTDOWN_TIMEOUT=2s")
	big := bigArchive(t)
	mustRun(t, dir, env, "publish", big, "--type", "cluster", "--name", "big", "--version", "1.0.0")
	s := startService(t, dir, env, "serve", "--listen", "127.0.0.1:0")

	resp, err := http.Get(s.url + "/api/v1/extensions/cluster/big/1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	buf := make([]byte, 64<<10)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	exited := make(chan time.Duration, 1)
	go func() { <-s.done; exited <- time.Since(signalled) }()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// New connections are refused while the download drains.
	refused := false
	for deadline := time.Now().Add(time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		c, err := net.DialTimeout("tcp", strings.TrimPrefix(s.url, "http://"), 200*time.Millisecond)
		if err != nil {
			refused = true
			break
		}
		c.Close()
	}
	if !refused {
		t.Error("new connections still accepted a second after SIGTERM")
	}
	// Read at ~640 KiB/s: 32 MiB would take 50 s.
	var got int64 = int64(len(buf))
	var readErr error
	for readErr == nil {
		var n int
		n, readErr = io.ReadFull(resp.Body, buf)
		got += int64(n)
		time.Sleep(100 * time.Millisecond)
	}
	if readErr == io.EOF || got >= resp.ContentLength {
		t.Fatalf("the download completed (%d bytes): it should have been cut at shutdown_timeout", got)
	}
	if code := s.wait(t); code != 0 {
		t.Errorf("exit code %d, want 0 for a requested shutdown", code)
	}
	if d := <-exited; d < 2*time.Second || d > 5*time.Second {
		t.Errorf("exited %s after SIGTERM, want about shutdown_timeout (2s)", d)
	}
	log := s.stderr.String()
	if !strings.Contains(log, "request cut at shutdown_timeout") || !strings.Contains(log, "path=/api/v1/extensions/cluster/big/1.0.0") ||
		!strings.Contains(log, "bytes_sent=") {
		t.Errorf("the cut download is not logged:\n%s", log)
	}
}
