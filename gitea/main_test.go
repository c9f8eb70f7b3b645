package gitea_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// pageSize is the MAX_RESPONSE_ITEMS of the Gitea the tests share: small,
// so that every listing of the tests spans several pages.
const pageSize = 3

// TestMain runs the tests, then stops the shared Gitea.
func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedGiteas()
	os.Exit(code)
}

// sharedGitea returns the Gitea the tests of the package share; each test
// keeps to its own organizations.
func sharedGitea(t *testing.T) *testserver.Gitea {
	t.Helper()
	return testserver.SharedGitea(t, testserver.GiteaOptions{MaxResponseItems: pageSize})
}

// logSink collects what a backend logs.
type logSink struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logSink) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logSink) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

// count returns the number of log lines that contain every one of parts.
func (l *logSink) count(parts ...string) int {
	n := 0
	for _, line := range strings.Split(l.String(), "\n") {
		all := line != ""
		for _, p := range parts {
			all = all && strings.Contains(line, p)
		}
		if all {
			n++
		}
	}
	return n
}

// newBackend returns a backend of opts logging (at debug level) into the
// returned sink. When the test ends it fails if the token or the password
// shows in the logs, plainly or in Base64.
func newBackend(t *testing.T, opts gitea.Options) (*gitea.Backend, *logSink) {
	t.Helper()
	logs := &logSink{}
	opts.Logger = slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	b, err := gitea.New(opts)
	if err != nil {
		t.Fatalf("gitea.New: %v", err)
	}
	t.Cleanup(func() {
		out := logs.String()
		for _, s := range []string{opts.Token, opts.Password} {
			if s == "" {
				continue
			}
			if strings.Contains(out, s) || strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(s))) ||
				strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(opts.Username+":"+s))) {
				t.Errorf("a credential (%d chars) shows in the logs", len(s))
			}
		}
	})
	return b, logs
}

// ctx returns a context for one call, bounded so that a hung test fails
// instead of hanging.
func ctx(t *testing.T) context.Context {
	t.Helper()
	c, cancel := context.WithTimeout(context.Background(), time.Minute)
	t.Cleanup(cancel)
	return c
}

// sum returns "sha256:<hex>" of data.
func sum(data []byte) string { return testserver.Digest(data) }

// hexSum returns the bare hex SHA-256 of data.
func hexSum(data []byte) string { return testserver.SHA256(data) }

// wantKind fails the test unless err is of kind (errors.Is) and carries a
// client-facing message.
func wantKind(t *testing.T, what string, err, kind error) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Errorf("%s: error %v, want kind %q", what, err, kind)
		return
	}
	if registry.PublicMessage(err) == "" {
		t.Errorf("%s: error %v has no client-facing message", what, err)
	}
}

// closedURL returns the URL of a loopback port nothing listens on.
func closedURL(t *testing.T) string { return "http://" + testserver.ClosedAddr(t) }

// archive returns distinct bytes standing for an extension archive.
func archive(name string) []byte {
	return []byte("archive of " + name + "\n" + strings.Repeat(name, 64))
}
