package testserver

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

// Registry is a running distribution registry (the real `registry` binary)
// on a loopback port, with filesystem storage.
type Registry struct {
	// Host is the registry's 127.0.0.1:port, served over plain HTTP.
	Host string
	// Username and Password are the accepted credentials when the registry
	// was started with RegistryOptions.Htpasswd; empty otherwise.
	Username, Password string
	// Dir holds the configuration, storage and LogFile.
	Dir string
	// LogFile receives the registry's output.
	LogFile string

	cmd  *exec.Cmd
	done chan struct{}
}

// RegistryOptions configures StartRegistry.
type RegistryOptions struct {
	// Htpasswd protects the registry with basic authentication: a generated
	// user and password in a bcrypt htpasswd file.
	Htpasswd bool
	// NotifyURL, when set, makes the registry post its event notifications
	// (distribution's notifications.endpoints) to this URL, with
	// NotifyAuthorization as the Authorization header when set.
	NotifyURL, NotifyAuthorization string
}

// StartRegistry starts a registry for one test (the binary named by
// EXTREG_TEST_REGISTRY, see Tool) and stops it when the test ends; on
// failure the test's output shows the registry's log.
func StartRegistry(tb testing.TB, opts RegistryOptions) *Registry {
	tb.Helper()
	bin := Tool(tb, "EXTREG_TEST_REGISTRY")
	return startForTest(tb, "registry", func(dir string) (*Registry, error) { return startRegistry(bin, dir, opts) })
}

var registries pool[RegistryOptions, *Registry]

// SharedRegistry returns a registry shared by every test of the binary that
// asks for the same options, started on first use. Tests sharing it keep
// apart by using their own repositories. Call StopSharedRegistries from
// TestMain after m.Run to stop it; on failure a test's output shows the end
// of the registry's log.
func SharedRegistry(tb testing.TB, opts RegistryOptions) *Registry {
	tb.Helper()
	bin := Tool(tb, "EXTREG_TEST_REGISTRY")
	return registries.get(tb, opts, "registry", func(dir string) (*Registry, error) { return startRegistry(bin, dir, opts) })
}

// StopSharedRegistries stops the registries SharedRegistry started and
// removes their data.
func StopSharedRegistries() { registries.stopAll() }

// Close stops the registry and waits for it to exit.
func (r *Registry) Close() {
	if r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
	}
	<-r.done
}

// startRegistry writes a configuration into dir and starts bin on a free
// loopback port, trying other ports when the chosen one is taken meanwhile.
func startRegistry(bin, dir string, opts RegistryOptions) (*Registry, error) {
	r := &Registry{Dir: dir, LogFile: filepath.Join(dir, "registry.log")}
	var auth string
	if opts.Htpasswd {
		r.Username, r.Password = "extreg", randomHex(12)
		hash, err := bcrypt.GenerateFromPassword([]byte(r.Password), bcrypt.MinCost)
		if err != nil {
			return nil, err
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, fmt.Appendf(nil, "%s:%s\n", r.Username, hash), 0o600); err != nil {
			return nil, err
		}
		auth = fmt.Sprintf("auth:\n  htpasswd:\n    realm: extreg-test\n    path: %s\n", htpasswd)
	}
	var lastErr error
	for range 5 {
		host, err := freePort()
		if err != nil {
			return nil, err
		}
		config := fmt.Sprintf(`version: 0.1
log:
  level: info
  formatter: text
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: %s
  secret: %s
%s%s`, filepath.Join(dir, "data"), host, randomHex(16), auth, notifications(opts))
		configFile := filepath.Join(dir, "config.yml")
		if err := os.WriteFile(configFile, []byte(config), 0o600); err != nil {
			return nil, err
		}
		if lastErr = r.run(bin, configFile, host); lastErr == nil {
			return r, nil
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			break
		}
	}
	return nil, lastErr
}

// notifications is the registry's notifications section for opts, or "".
// Deliveries are retried quickly (a test waits for them), at most 3 at a
// time per endpoint.
func notifications(opts RegistryOptions) string {
	if opts.NotifyURL == "" {
		return ""
	}
	headers := ""
	if opts.NotifyAuthorization != "" {
		headers = fmt.Sprintf("      headers:\n        Authorization: [%q]\n", opts.NotifyAuthorization)
	}
	return fmt.Sprintf("notifications:\n  endpoints:\n    - name: extreg-test\n      url: %s\n%s      timeout: 2s\n      threshold: 3\n      backoff: 100ms\n", opts.NotifyURL, headers)
}

// run starts the registry and waits until /v2/ answers.
func (r *Registry) run(bin, configFile, host string) error {
	logf, err := os.OpenFile(r.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := exec.Command(bin, "serve", configFile)
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start registry: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("registry exited at start:\n%s", r.logTail(30))
		case <-time.After(50 * time.Millisecond):
		}
		resp, err := client.Get("http://" + host + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK || resp.StatusCode == http.StatusUnauthorized {
				r.Host, r.cmd, r.done = host, cmd, done
				return nil
			}
		}
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("registry did not answer on %s within 20s:\n%s", host, r.logTail(30))
}

// logTail returns the last n lines of the registry's log.
// BlobPath is the file in which the registry's filesystem storage keeps the
// blob of the sha256 hex digest (for tests that corrupt it).
func (r *Registry) BlobPath(hex string) string {
	return filepath.Join(r.Dir, "data", "docker", "registry", "v2", "blobs", "sha256", hex[:2], hex, "data")
}

func (r *Registry) logTail(n int) string { return tail(r.LogFile, n) }

// freePort returns a loopback address that was free a moment ago.
func freePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Oras runs the oras CLI (EXTREG_TEST_ORAS, see Tool) in the current
// directory and returns its combined output; see OrasIn.
func Oras(tb testing.TB, args ...string) string {
	tb.Helper()
	return OrasIn(tb, "", args...)
}

// OrasIn runs the oras CLI in dir (relative file arguments of `oras push`
// are read from there) with a temporary HOME and DOCKER_CONFIG, so that no
// credential is read from or written to the real home. It fails the test
// with the output when oras fails, and gives up after two minutes.
func OrasIn(tb testing.TB, dir string, args ...string) string {
	tb.Helper()
	bin := Tool(tb, "EXTREG_TEST_ORAS")
	home := tb.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Dir = dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + home,
		"DOCKER_CONFIG=" + filepath.Join(home, ".docker"),
		"XDG_CONFIG_HOME=" + filepath.Join(home, ".config"),
		"XDG_CACHE_HOME=" + filepath.Join(home, ".cache"),
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		var exitErr *exec.ExitError
		if !errors.As(err, &exitErr) && ctx.Err() != nil {
			err = ctx.Err()
		}
		tb.Fatalf("oras %s: %v\n%s", strings.Join(redact(args), " "), err, out.String())
	}
	return out.String()
}

// redact hides the values of password flags.
func redact(args []string) []string {
	out := make([]string, len(args))
	hide := false
	for i, a := range args {
		switch {
		case hide:
			out[i], hide = "***", false
		case a == "-p" || a == "--password":
			out[i], hide = a, true
		case strings.HasPrefix(a, "--password="):
			out[i] = "--password=***"
		default:
			out[i] = a
		}
	}
	return out
}
