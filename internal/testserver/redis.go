package testserver

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Redis is a running redis-server (Debian's package, or the binary named
// by EXTREG_TEST_REDIS) on a loopback port: no persistence, no protected
// mode, its working directory a temporary one. Stop and Start stop it and
// start it again on the same port, empty, like a Redis that restarted.
type Redis struct {
	// Addr is the server's 127.0.0.1:port.
	Addr string
	// Dir is its working directory; LogFile its log.
	Dir, LogFile string

	bin  string
	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// URL is the redis:// URL of database db.
func (r *Redis) URL(db int) string { return fmt.Sprintf("redis://%s/%d", r.Addr, db) }

func (r *Redis) workDir() string { return r.Dir }
func (r *Redis) logFile() string { return r.LogFile }

// RedisServer returns the path of redis-server: EXTREG_TEST_REDIS, else
// the one on the PATH. When there is none the test is skipped, except
// under CI=true, where it fails (scripts/install-redis.sh installs it).
func RedisServer(tb testing.TB) string {
	tb.Helper()
	if p := os.Getenv("EXTREG_TEST_REDIS"); p != "" {
		return p
	}
	if p, err := exec.LookPath("redis-server"); err == nil {
		return p
	}
	msg := "redis-server is not installed: run `make tools` (scripts/install-redis.sh) first"
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
	return ""
}

// StartRedis starts a Redis for one test and stops it when the test ends;
// on failure the test's output shows the end of its log.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	bin := RedisServer(tb)
	return startForTest(tb, "redis", func(dir string) (*Redis, error) {
		r := &Redis{Dir: dir, LogFile: filepath.Join(dir, "redis.log"), bin: bin}
		var err error
		for range 5 {
			if r.Addr, err = freePort(); err != nil {
				return nil, err
			}
			if err = r.Start(); err == nil || !strings.Contains(err.Error(), "in use") {
				break
			}
		}
		return r, err
	})
}

// Start starts the server on its address and waits until it answers PING.
// It is an error to start a running server.
func (r *Redis) Start() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd != nil {
		return errors.New("redis: already running")
	}
	host, port, _ := net.SplitHostPort(r.Addr)
	cmd := exec.Command(r.bin,
		"--bind", host, "--port", port, "--dir", r.Dir, "--logfile", r.LogFile,
		"--save", "", "--appendonly", "no", "--protected-mode", "no", "--daemonize", "no",
		"--databases", "16", "--maxclients", "256")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("redis-server exited at start:\n%s", tail(r.LogFile, 20))
		case <-time.After(20 * time.Millisecond):
		}
		if ping(r.Addr) {
			r.cmd, r.done = cmd, done
			return nil
		}
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("redis-server did not answer on %s within 10s:\n%s", r.Addr, tail(r.LogFile, 20))
}

// Stop kills the server (its data is lost: it keeps none) and waits for
// it to exit. Stopping a stopped server does nothing.
func (r *Redis) Stop() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	<-r.done
	r.cmd, r.done = nil, nil
}

// Close stops the server.
func (r *Redis) Close() { r.Stop() }

// ping reports whether a Redis at addr answers PING with PONG.
func ping(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 16)
	n, _ := c.Read(buf)
	return strings.HasPrefix(string(buf[:n]), "+PONG")
}
