package connector

import (
	"net/http"
	"testing"
)

// backendCalls sums the backend requests the tests' metrics counted for
// one backend label ("connector-gitea", "connector-oci").
func backendCalls(tb testing.TB, backend string) float64 {
	tb.Helper()
	families, err := testRegistry.Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var n float64
	for _, mf := range families {
		if mf.GetName() != "backend_requests_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "backend" && l.GetValue() == backend {
					n += m.GetCounter().GetValue()
				}
			}
		}
	}
	return n
}

// isolationCase is one tool's good and bad credentials for the same data.
type isolationCase struct {
	name    string
	backend string
	paths   []string
	good    http.Header
	others  []http.Header // other credentials: each must be refused
	code    int           // what the others get
}

// checkIsolation makes the good call (so that its answers are cached),
// checks that repeating it is served from the shared cache, then that
// every other credential is refused by the tool instead of being served
// the cached answers, and that the good call still succeeds.
func checkIsolation(t *testing.T, s *server, tc isolationCase) {
	t.Helper()
	for _, p := range tc.paths {
		if a := s.get(t, p, tc.good); a.code != http.StatusOK {
			t.Fatalf("good GET %s = %d: %s", p, a.code, a.body)
		}
	}
	before := backendCalls(t, tc.backend)
	for _, p := range tc.paths {
		if a := s.get(t, p, tc.good); a.code != http.StatusOK {
			t.Fatalf("good GET %s again = %d", p, a.code)
		}
	}
	if after := backendCalls(t, tc.backend); after != before {
		t.Errorf("repeating the good calls made %v backend requests; want them served from the cache", after-before)
	}
	for i, h := range tc.others {
		for _, p := range tc.paths {
			a := s.get(t, p, h)
			if a.code != tc.code {
				t.Errorf("other credentials #%d: GET %s = %d, want %d: %s", i, p, a.code, tc.code, a.body)
			}
			a.status(t)
		}
	}
	for _, p := range tc.paths {
		if a := s.get(t, p, tc.good); a.code != http.StatusOK {
			t.Errorf("good GET %s after the refusals = %d", p, a.code)
		}
	}
}

func TestIsolationOCI(t *testing.T) {
	f := ociEnv(t)
	s := newServer(t, Options{})
	checkIsolation(t, s, isolationCase{
		name:    "oci",
		backend: "connector-oci",
		paths: []string{
			"/connectors/oci/extensions",
			"/connectors/oci/extensions/provider/aws",
			"/connectors/oci/extensions/provider/aws/versions",
		},
		good: basic(f.url, f.reg.Username, f.reg.Password),
		others: []http.Header{
			basic(f.url, f.reg.Username, "isolation-wrong-pass"),
			gatewayHeaders(f.url, "", nil),
			gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"` + f.reg.Host + `":{"auth":"` + b64(f.reg.Username+":isolation-wrong-docker") + `"}}}`}),
		},
		code: http.StatusUnauthorized,
	})
}
