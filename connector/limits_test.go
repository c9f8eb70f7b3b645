package connector

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// TestOrganizationCap checks that a request naming more than
// MaxOrganizations organizations is refused with a 400 Status before any
// upstream call (the tool's address is a closed port: a call would answer
// 503).
func TestOrganizationCap(t *testing.T) {
	s := newServer(t, Options{})
	h := gatewayHeaders(closedPortURL(t), "", nil)
	orgs := func(n int) string {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("org%d", i)
		}
		return strings.Join(names, ",")
	}
	for _, n := range []int{MaxOrganizations + 1, 3000} {
		a := s.get(t, "/connectors/gitea/extensions?organization="+orgs(n), h)
		st := expectStatus(t, a, http.StatusBadRequest, "BadRequest")
		if !strings.Contains(st.Message, "organization") || len(a.body) > 1000 {
			t.Errorf("%d organizations: message %q (%d-byte body)", n, st.Message, len(a.body))
		}
	}
	// The most allowed is read (and fails upstream: the port is closed).
	a := s.get(t, "/connectors/gitea/extensions?organization="+orgs(MaxOrganizations), h)
	expectStatus(t, a, http.StatusServiceUnavailable, "ServiceUnavailable")
}

// countingMetrics returns metrics of their own, to count one test's
// upstream calls.
func countingMetrics() *metrics.Metrics { return metrics.New(prometheus.NewRegistry()) }

func upstreamCalls(m *metrics.Metrics, code string) float64 {
	return testutil.ToFloat64(m.BackendRequests.WithLabelValues("connector-oci", "get", code))
}

// TestClientReusedPerCredential checks, against the real htpasswd
// registry, that requests with the same credentials reuse one
// authenticated client: only the first one is challenged (401) before
// sending its credentials; a fresh client per request paid the challenge
// every time. Each request asks for something else: a cache miss.
func TestClientReusedPerCredential(t *testing.T) {
	f := ociEnv(t)
	m := countingMetrics()
	s := newServer(t, Options{Metrics: m, Cache: catalog.NewCache(10, time.Minute, m)})
	good := basic(f.url, f.reg.Username, f.reg.Password)
	for i, path := range []string{"/connectors/oci/extensions/provider/aws", "/connectors/oci/extensions/taskserv/k3s", "/connectors/oci/extensions/provider/aws/versions"} {
		before := upstreamCalls(m, "401")
		if a := s.get(t, path, good); a.code != http.StatusOK {
			t.Fatalf("%s: %d %s", path, a.code, a.body)
		}
		challenged := upstreamCalls(m, "401") - before
		switch {
		case i == 0 && challenged == 0:
			t.Errorf("%s: the first request was not challenged: the test counts nothing", path)
		case i > 0 && challenged != 0:
			t.Errorf("%s: %v challenges on request %d with the same credentials: the authenticated client was not reused", path, challenged, i+1)
		}
	}
	// Other credentials get a client of their own.
	other := basic(f.url, f.reg.Username, "reuse-wrong-pass")
	if a := s.get(t, "/connectors/oci/extensions/provider/aws", other); a.code != http.StatusUnauthorized {
		t.Errorf("other credentials: %d %s", a.code, a.body)
	}
}

// TestClientsBounded checks that at most MaxClients backends are kept,
// however many credentials call.
func TestClientsBounded(t *testing.T) {
	s := newServer(t, Options{MaxClients: 3})
	for i := range 20 {
		h := gatewayHeaders(closedPortURL(t), SecretOpaque, map[string]string{"token": fmt.Sprintf("bounded-token-%d", i)})
		s.get(t, "/connectors/oci/extensions", h)
	}
	if n := s.api.clients.Len(); n > 3 {
		t.Errorf("%d backends kept after 20 credentials, want at most 3", n)
	}
}

// TestUpstreamCallBudget checks, against the real registry and the real
// Gitea, that a request needing more upstream calls than its budget
// answers a 503 Status naming the budget, and that the default budget
// serves the same request.
func TestUpstreamCallBudget(t *testing.T) {
	oci := ociEnv(t)
	g := giteaEnv(t)
	for _, c := range []struct {
		name, path string
		h          http.Header
	}{
		{"oci", "/connectors/oci/extensions", basic(oci.url, oci.reg.Username, oci.reg.Password)},
		{"gitea", "/connectors/gitea/extensions?organization=" + publicOrg, gatewayHeaders(g.url, "", nil)},
	} {
		t.Run(c.name, func(t *testing.T) {
			tight := newServer(t, Options{MaxUpstreamCalls: 2, Cache: catalog.NewCache(10, time.Minute, nil)})
			st := expectStatus(t, tight.get(t, c.path, c.h), http.StatusServiceUnavailable, "ServiceUnavailable")
			if !strings.Contains(st.Message, "budget") {
				t.Errorf("message %q does not name the budget", st.Message)
			}
			roomy := newServer(t, Options{Cache: catalog.NewCache(10, time.Minute, nil)})
			if a := roomy.get(t, c.path, c.h); a.code != http.StatusOK {
				t.Errorf("default budget: %d %s", a.code, a.body)
			}
		})
	}
}

// TestCacheEntriesBounded checks the bound on the connector cache's
// entries, whatever cache.capacity says.
func TestCacheEntriesBounded(t *testing.T) {
	for capacity, want := range map[int]int{0: 1, 10: 10, MaxCacheEntries: MaxCacheEntries, 100000: MaxCacheEntries} {
		if got := CacheEntries(capacity); got != want {
			t.Errorf("CacheEntries(%d) = %d, want %d", capacity, got, want)
		}
	}
}
