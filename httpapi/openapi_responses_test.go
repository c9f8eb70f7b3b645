package httpapi_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/httpapi"
	"github.com/provisioning-platform/extension-registry/internal/openapitest"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestOpenAPIResponses validates real answers of a running registry — the
// built-in examples in the embedded store and in a real registry, then a
// registry whose backend is stopped — against httpapi/openapi.json with
// kin-openapi: every status must be documented and every body must fit
// its schema.
func TestOpenAPIResponses(t *testing.T) {
	doc := openapitest.Load(t, httpapi.OpenAPI())
	hc := &http.Client{}
	for _, fl := range flavours() {
		t.Run(fl.name, func(t *testing.T) {
			cfg := fl.config(t)
			if _, err := app.PublishBuiltinExamples(testContext(t), publisher(t, cfg)); err != nil {
				t.Fatal(err)
			}
			s := startServer(t, cfg)
			waitReady(t, s.URL)
			for _, c := range []struct {
				path   string
				status int
			}{
				{"/api/v1/extensions", 200},
				{"/api/v1/extensions?type=taskserv&limit=1&offset=1", 200},
				{"/api/v1/extensions?source=oci&offset=99", 200},
				{"/api/v1/extensions?type=plugin", 400},
				{"/api/v1/extensions?limit=0", 400},
				{"/api/v1/extensions?source=s3", 400},
				{"/api/v1/extensions/search?q=kubernetes", 200},
				{"/api/v1/extensions/search?q=cloud&type=provider&limit=1", 200},
				{"/api/v1/extensions/search?q=+", 400},
				{"/api/v1/extensions/taskserv/kubernetes", 200},
				{"/api/v1/extensions/taskserv/nope", 404},
				{"/api/v1/extensions/plugin/kubernetes", 400},
				{"/api/v1/extensions/taskserv/kubernetes/versions", 200},
				{"/api/v1/extensions/taskserv/kubernetes/1.28.0", 200},
				{"/api/v1/extensions/taskserv/kubernetes/v1.27.5", 200},
				{"/api/v1/extensions/taskserv/kubernetes/9.9.9", 404},
				{"/api/v1/extensions/taskserv/kubernetes/latest", 400},
				{"/api/v1/health", 200},
				{"/api/v1/metrics", 200},
				{"/api/v1/cache/stats", 200},
				{"/api/v1/openapi.json", 200},
				{"/livez", 200},
				{"/readyz", 200},
				{"/api/v1/health?x=1&x=2", 400},
				{"/api/v1/extensions?q=" + strings.Repeat("x", 20000), 414},
			} {
				if got, body := openapitest.Get(t, doc, hc, s.URL+c.path, nil); got != c.status {
					t.Errorf("GET %s = %d, want %d: %.200s", c.path, got, c.status, body)
				}
			}
			// A method other than GET is documented as the 405 of the route.
			req, _ := http.NewRequest(http.MethodPost, s.URL+"/api/v1/extensions", strings.NewReader("{}"))
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != 405 {
				t.Errorf("POST = %d", resp.StatusCode)
			}
			if err := openapitest.Validate(doc, req, resp.StatusCode, resp.Header, body); err != nil {
				t.Error(err)
			}
		})
	}

	t.Run("webhooks", func(t *testing.T) {
		cfg := baseConfig(t)
		const key, token = "openapi-hook-secret", "openapi-hook-token"
		cfg.Webhooks.GiteaSecret, cfg.Webhooks.RegistryToken = secret.New(key), secret.New(token)
		s := startServer(t, cfg)
		sign := func(body string) string {
			m := hmac.New(sha256.New, []byte(key))
			m.Write([]byte(body))
			return hex.EncodeToString(m.Sum(nil))
		}
		release := `{"action":"published","repository":{"name":"aws_prov","full_name":"o/aws_prov","owner":{"login":"o"}}}`
		envelope := `{"events":[{"action":"push","target":{"mediaType":"application/vnd.oci.image.manifest.v1+json","repository":"provisioning-extensions/aws","tag":"1.0.0"}}]}`
		for _, c := range []struct {
			method, path, body string
			header             map[string]string
			status             int
		}{
			{"POST", "/api/v1/hooks/gitea", release, map[string]string{"X-Gitea-Signature": sign(release), "X-Gitea-Event": "release"}, 202},
			{"POST", "/api/v1/hooks/gitea", release, map[string]string{"X-Gitea-Signature": sign(release), "X-Gitea-Event": "issues"}, 200},
			{"POST", "/api/v1/hooks/gitea", release, map[string]string{"X-Gitea-Signature": sign("other")}, 401},
			{"POST", "/api/v1/hooks/gitea", "{", map[string]string{"X-Gitea-Signature": sign("{")}, 400},
			{"GET", "/api/v1/hooks/gitea", "", nil, 405},
			{"POST", "/api/v1/hooks/registry", envelope, map[string]string{"Authorization": "Bearer " + token, "Content-Type": "application/vnd.docker.distribution.events.v1+json"}, 202},
			{"POST", "/api/v1/hooks/registry", envelope, map[string]string{"Authorization": "Bearer wrong"}, 401},
		} {
			req, _ := http.NewRequest(c.method, s.URL+c.path, strings.NewReader(c.body))
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			resp, err := hc.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body := readAll(t, resp)
			if resp.StatusCode != c.status {
				t.Errorf("%s %s = %d, want %d: %s", c.method, c.path, resp.StatusCode, c.status, body)
			}
			if err := openapitest.Validate(doc, req, resp.StatusCode, resp.Header, body); err != nil {
				t.Error(err)
			}
		}
	})

	t.Run("backend stopped", func(t *testing.T) {
		cfg := registryConfig(t, testserver.ClosedAddr(t))
		s := startServer(t, cfg)
		for _, c := range []struct {
			path   string
			status int
		}{
			{"/api/v1/extensions", 503},
			{"/api/v1/extensions/search?q=kubernetes", 503},
			{"/api/v1/extensions/taskserv/kubernetes", 503},
			{"/api/v1/extensions/taskserv/kubernetes/versions", 503},
			{"/api/v1/extensions/taskserv/kubernetes/1.28.0", 503},
			{"/api/v1/health", 200},
			{"/livez", 200},
			{"/readyz", 503},
		} {
			if got, body := openapitest.Get(t, doc, hc, s.URL+c.path, nil); got != c.status {
				t.Errorf("GET %s = %d, want %d: %.200s", c.path, got, c.status, body)
			}
		}
	})
}

// readAll reads and closes a response body.
func readAll(t *testing.T, resp *http.Response) []byte {
	t.Helper()
	defer resp.Body.Close()
	var b strings.Builder
	if _, err := io.Copy(&b, resp.Body); err != nil {
		t.Fatal(err)
	}
	return []byte(b.String())
}

// waitReady polls /readyz until the index has read every source, at most
// 20 s.
func waitReady(t *testing.T, base string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			return
		}
	}
	t.Fatalf("%s/readyz never answered 200", base)
}
