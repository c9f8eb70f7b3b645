package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// service is one extension-registry process.
type service struct {
	url  string
	cmd  *exec.Cmd
	done chan struct{}
}

// buildService builds the registry binary into dir.
func buildService(dir string) (string, error) {
	bin := filepath.Join(dir, "extension-registry")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/extension-registry")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build: %w", err)
	}
	return bin, nil
}

// startService runs `extension-registry serve` with the given
// EXTENSION_REGISTRY_* settings (keys without the prefix) and waits until
// it answers /api/v1/health.
func startService(bin, dataDir string, env map[string]string) (*service, error) {
	addr, err := freeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"EXTENSION_REGISTRY_LISTEN=" + addr, "EXTENSION_REGISTRY_DATA_DIR=" + dataDir, "EXTENSION_REGISTRY_LOG_LEVEL=warn"}
	for k, v := range env {
		cmd.Env = append(cmd.Env, "EXTENSION_REGISTRY_"+k+"="+v)
	}
	logf, err := os.Create(filepath.Join(dataDir, "service.log"))
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	s := &service{url: "http://" + addr, cmd: cmd, done: make(chan struct{})}
	go func() { _ = cmd.Wait(); logf.Close(); close(s.done) }()
	if err := waitHTTP(s.url+"/api/v1/health", 30*time.Second); err != nil {
		s.stop()
		return nil, err
	}
	return s, nil
}

func (s *service) stop() {
	_ = s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
}

// peakRSS is the process's peak resident set (VmHWM) in bytes.
func (s *service) peakRSS() int64 { return procStatus(s.cmd.Process.Pid, "VmHWM") }

// rss is the process's resident set (VmRSS) in bytes.
func (s *service) rss() int64 { return procStatus(s.cmd.Process.Pid, "VmRSS") }

func procStatus(pid int, field string) int64 {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return -1
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return -1
}

// stats returns the service's /api/v1/cache/stats.
func (s *service) stats() (map[string]int, error) {
	resp, err := http.Get(s.url + "/api/v1/cache/stats")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var m map[string]int
	return m, json.NewDecoder(resp.Body).Decode(&m)
}

// waitIndexed waits until the index holds n extensions and returns how long
// that took from start.
func (s *service) waitIndexed(start time.Time, n int, limit time.Duration) (time.Duration, error) {
	for time.Since(start) < limit {
		if m, err := s.stats(); err == nil && m["metadata_entries"] >= n {
			return time.Since(start), nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return 0, fmt.Errorf("the index did not hold %d extensions within %s", n, limit)
}

// counter is a reverse proxy in front of the distribution registry that
// counts requests by kind; Catalog counts first pages of /v2/_catalog
// only, that is listings of the whole registry.
type counter struct {
	host                                               string
	total, tags, manifestGet, manifestHead, blobs, cat atomic.Int64
}

func startCounter(registryHost string) (*counter, error) {
	target, _ := url.Parse("http://" + registryHost)
	rp := httputil.NewSingleHostReverseProxy(target)
	rp.Transport = &http.Transport{MaxIdleConnsPerHost: 256}
	c := &counter{}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	c.host = ln.Addr().String()
	go func() {
		_ = http.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			c.total.Add(1)
			p := r.URL.Path
			switch {
			case strings.HasSuffix(p, "/tags/list"):
				c.tags.Add(1)
			case strings.Contains(p, "/manifests/") && r.Method == http.MethodHead:
				c.manifestHead.Add(1)
			case strings.Contains(p, "/manifests/"):
				c.manifestGet.Add(1)
			case strings.Contains(p, "/blobs/"):
				c.blobs.Add(1)
			case strings.HasSuffix(p, "/_catalog"):
				if r.URL.Query().Get("last") == "" {
					c.cat.Add(1) // the first page: one per read of the source
				}
			}
			rp.ServeHTTP(w, r)
		}))
	}()
	return c, nil
}

// counts is a snapshot of a counter.
type counts struct {
	Total, Tags, ManifestGet, ManifestHead, Blobs, Catalog int64
}

func (c *counter) snapshot() counts {
	return counts{c.total.Load(), c.tags.Load(), c.manifestGet.Load(), c.manifestHead.Load(), c.blobs.Load(), c.cat.Load()}
}

func (a counts) minus(b counts) counts {
	return counts{a.Total - b.Total, a.Tags - b.Tags, a.ManifestGet - b.ManifestGet, a.ManifestHead - b.ManifestHead, a.Blobs - b.Blobs, a.Catalog - b.Catalog}
}

func freeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

func waitHTTP(u string, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		resp, err := http.Get(u)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode < 500 {
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("%s did not answer within %s", u, limit)
}
