package app

import (
	"crypto/tls"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"testing"

	sdk "code.gitea.io/sdk/gitea"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestGiteaCAFile: a real Gitea behind HTTPS with a certificate of the
// test's own CA is read — list, metadata and a download through the
// registry — with gitea.ca_file, and refused without it.
func TestGiteaCAFile(t *testing.T) {
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("ca")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "aws_prov", "AWS provider behind a private CA")
	archive := []byte("the archive behind TLS\n")
	s.Release(org, "aws_prov", testserver.Release{Tag: "v1.2.0", Assets: []testserver.Asset{{Name: "aws_prov.tar.gz", Data: archive}}})

	pki := testserver.NewPKI(t)
	target, _ := url.Parse(g.URL)
	proxy := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	proxy.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Cert}}
	proxy.StartTLS()
	defer proxy.Close()

	start := func(caFile string) string {
		cfg := config.Default()
		cfg.Listen, cfg.DataDir, cfg.Sources = "127.0.0.1:0", t.TempDir(), []string{"gitea"}
		cfg.Gitea = config.Gitea{URL: proxy.URL, Organizations: []string{org}, CAFile: caFile}
		if err := cfg.Validate(); err != nil {
			t.Fatal(err)
		}
		return runForTest(t, cfg, slog.New(slog.DiscardHandler))
	}
	get := func(u string) (int, []byte) {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, b
	}

	base := start(pki.CAFile)
	if code, body := get(base + "/api/v1/extensions/provider/aws"); code != 200 || !strings.Contains(string(body), `"version":"1.2.0"`) ||
		!strings.Contains(string(body), "behind a private CA") {
		t.Errorf("with gitea.ca_file: %d %s", code, body)
	}
	if code, body := get(base + "/api/v1/extensions/provider/aws/1.2.0"); code != 200 || string(body) != string(archive) {
		t.Errorf("download with gitea.ca_file: %d %q", code, body)
	}

	base = start("")
	if code, body := get(base + "/api/v1/extensions"); code != 503 {
		t.Errorf("without gitea.ca_file: %d %s, want 503", code, body)
	}
}
