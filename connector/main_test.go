package connector

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// Every API the tests build logs into logBuf and counts into testRegistry,
// so that TestMain can search both for the secrets the tests used.
var (
	logBuf       syncBuffer
	bodyBuf      syncBuffer // the error and JSON bodies the tests read
	testLogger   = slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	testRegistry = prometheus.NewRegistry()
	testMetrics  = metrics.New(testRegistry)

	secretsMu sync.Mutex
	secrets   = map[string]bool{"leaky-user": true, "leaky-pass": true}
)

// rememberSecret records secret values that must never appear in the logs
// or the metrics.
func rememberSecret(values ...string) {
	secretsMu.Lock()
	defer secretsMu.Unlock()
	for _, v := range values {
		if v != "" {
			secrets[v] = true
		}
	}
}

// TestMain runs the tests, then fails the run if any secret value a test
// used (or its Base64) shows in the captured logs, the metrics or the
// error and JSON bodies of the answers.
// CONNECTOR_TEST_LOGS=1 prints the captured logs.
func TestMain(m *testing.M) {
	code := m.Run()
	testserver.StopSharedRegistries()
	testserver.StopSharedGiteas()
	if os.Getenv("CONNECTOR_TEST_LOGS") != "" {
		fmt.Fprint(os.Stderr, logBuf.String())
	}
	if leaks := findLeaks(); len(leaks) > 0 {
		fmt.Fprintf(os.Stderr, "FAIL: secret values leaked into logs or metrics:\n  %s\n", strings.Join(leaks, "\n  "))
		code = 1
	}
	os.Exit(code)
}

// findLeaks returns a line per secret found in the logs or the metrics,
// naming where, never the value itself.
func findLeaks() []string {
	rec := httptest.NewRecorder()
	promhttp.HandlerFor(testRegistry, promhttp.HandlerOpts{}).ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	places := map[string]string{"logs": logBuf.String(), "metrics": rec.Body.String(), "answer bodies": bodyBuf.String()}

	secretsMu.Lock()
	defer secretsMu.Unlock()
	var leaks []string
	n := 0
	for s := range secrets {
		n++
		forms := map[string]string{
			"plain":     s,
			"base64":    base64.StdEncoding.EncodeToString([]byte(s)),
			"base64url": base64.RawURLEncoding.EncodeToString([]byte(s)),
		}
		for where, text := range places {
			for form, v := range forms {
				if strings.Contains(text, v) {
					leaks = append(leaks, fmt.Sprintf("secret #%d (%d chars, %s form) in %s", n, len(s), form, where))
				}
			}
		}
	}
	sort.Strings(leaks)
	return leaks
}

// syncBuffer is a buffer safe for concurrent writers.
type syncBuffer = testserver.LogBuffer

// gatewayHeaders encodes a Connector's address and Secret exactly as the
// Connectors gateway forwards them: X-Plugin-Meta is Base64 JSON,
// X-Plugin-Auth the Base64 Secret type, X-Plugin-Secret the Base64 JSON of
// the Secret's data, whose values are Base64 again. An empty secretType
// sends no auth headers (anonymous).
func gatewayHeaders(baseURL, secretType string, data map[string]string) http.Header {
	h := http.Header{}
	meta, _ := json.Marshal(map[string]string{"baseURL": baseURL})
	h.Set(HeaderMeta, base64.StdEncoding.EncodeToString(meta))
	if secretType == "" {
		return h
	}
	encoded := make(map[string]string, len(data))
	for k, v := range data {
		encoded[k] = base64.StdEncoding.EncodeToString([]byte(v))
		rememberSecret(v)
	}
	secret, _ := json.Marshal(encoded)
	h.Set(HeaderAuth, base64.StdEncoding.EncodeToString([]byte(secretType)))
	h.Set(HeaderSecret, base64.StdEncoding.EncodeToString(secret))
	return h
}

// decodeStatus reads a metav1.Status answer and checks its envelope.
func decodeStatus(tb testing.TB, rec *httptest.ResponseRecorder) metav1.Status {
	tb.Helper()
	var st metav1.Status
	if err := json.Unmarshal(rec.Body.Bytes(), &st); err != nil {
		tb.Fatalf("answer %d is not a Status: %v: %s", rec.Code, err, rec.Body.String())
	}
	if st.Kind != "Status" || st.APIVersion != "v1" {
		tb.Errorf("Status envelope kind=%q apiVersion=%q", st.Kind, st.APIVersion)
	}
	if rec.Code != http.StatusOK && st.Status != metav1.StatusFailure {
		tb.Errorf("non-200 Status has status %q, want Failure", st.Status)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		tb.Errorf("Content-Type = %q", ct)
	}
	return st
}

// readAll reads a body for comparisons.
func readAll(tb testing.TB, r io.Reader) []byte {
	tb.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}
