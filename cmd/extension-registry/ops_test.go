package main

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestServeTLS: with tls.cert_file and tls.key_file the service speaks
// HTTPS only; a client trusting the CA (the Go client, and the command
// line through SSL_CERT_FILE) gets answers whose download URLs are https.
func TestServeTLS(t *testing.T) {
	pki := testserver.NewPKI(t)
	s := startService(t, t.TempDir(), environ("EXTENSION_REGISTRY_TLS_CERT_FILE="+pki.CertFile, "EXTENSION_REGISTRY_TLS_KEY_FILE="+pki.KeyFile),
		"serve", "--demo", "--listen", "127.0.0.1:0")
	host := strings.TrimPrefix(s.url, "http://")
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pki.Pool}}}
	resp, err := hc.Get("https://" + host + "/api/v1/extensions/provider/aws")
	if err != nil {
		t.Fatal(err)
	}
	var aws struct {
		DownloadURL string `json:"download_url"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&aws)
	resp.Body.Close()
	if resp.StatusCode != 200 || resp.TLS == nil || !strings.HasPrefix(aws.DownloadURL, "https://"+host+"/") {
		t.Errorf("over HTTPS: %d, download_url %q", resp.StatusCode, aws.DownloadURL)
	}
	if resp, err := http.Get("http://" + host + "/livez"); err == nil && resp.StatusCode == 200 {
		t.Error("plain HTTP is answered too")
	}

	env := environ("EXTENSION_REGISTRY_URL=https://"+host, "SSL_CERT_FILE="+pki.CAFile)
	if r := run(t, t.TempDir(), env, "info", "provider/aws"); r.code != 0 || !strings.Contains(r.stdout, "provider/aws") {
		t.Errorf("info over HTTPS trusting the CA: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	other := testserver.NewPKI(t) // another CA
	r := run(t, t.TempDir(), environ("EXTENSION_REGISTRY_URL=https://"+host, "SSL_CERT_FILE="+other.CAFile), "info", "provider/aws")
	if line := strings.TrimSuffix(r.stderr, "\n"); r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, "https://"+host) ||
		!strings.Contains(line, "certificate") {
		t.Errorf("info over HTTPS without trusting the CA: exit %d, %q", r.code, r.stderr)
	}
}

// TestBackendCA: a registry behind HTTPS with a certificate of the test's
// own CA is read with oci.ca_file, and refused without it.
func TestBackendCA(t *testing.T) {
	pki := testserver.NewPKI(t)
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{})
	ns := "cabackend/provisioning-extensions"
	examples, _ := filepath.Abs("../../examples/provider/aws/1.2.0")
	mustRun(t, t.TempDir(), environ(), "publish", examples, "--type", "provider", "--name", "aws", "--version", "1.2.0",
		"--to", reg.Host+"/"+ns, "--plain-http")
	target, _ := url.Parse("http://" + reg.Host)
	proxy := httptest.NewUnstartedServer(httputil.NewSingleHostReverseProxy(target))
	proxy.Config.ErrorLog = log.New(io.Discard, "", 0) // the refused handshakes below
	proxy.TLS = &tls.Config{Certificates: []tls.Certificate{pki.Cert}}
	proxy.StartTLS()
	defer proxy.Close()
	tlsHost := strings.TrimPrefix(proxy.URL, "https://")
	base := []string{"EXTENSION_REGISTRY_OCI_REGISTRY=" + tlsHost, "EXTENSION_REGISTRY_OCI_NAMESPACE=" + ns,
		"EXTENSION_REGISTRY_OCI_REPOSITORIES=aws"}

	s := startService(t, t.TempDir(), environ(append(base, "EXTENSION_REGISTRY_OCI_CA_FILE="+pki.CAFile)...), "serve", "--listen", "127.0.0.1:0")
	if code, body, _ := s.get(t, "/api/v1/extensions/provider/aws"); code != 200 || !strings.Contains(string(body), `"version":"1.2.0"`) {
		t.Errorf("with oci.ca_file: %d %s", code, body)
	}
	if code, body, _ := s.get(t, "/api/v1/extensions/provider/aws/1.2.0"); code != 200 || len(body) == 0 {
		t.Errorf("download with oci.ca_file: %d", code)
	}

	s = startService(t, t.TempDir(), environ(base...), "serve", "--listen", "127.0.0.1:0")
	if code, body, _ := s.get(t, "/api/v1/extensions/provider/aws"); code != 503 {
		t.Errorf("without oci.ca_file: %d %s, want 503", code, body)
	}
}

// TestProbes: /livez never depends on a backend; /readyz is 503 naming the
// source until it has been read, 200 after.
func TestProbes(t *testing.T) {
	t.Run("backend down from the start", func(t *testing.T) {
		s := startService(t, t.TempDir(), environ("EXTENSION_REGISTRY_OCI_REGISTRY="+testserver.ClosedAddr(t), "EXTENSION_REGISTRY_OCI_INSECURE=true"),
			"serve", "--listen", "127.0.0.1:0")
		if code, body, _ := s.get(t, "/livez"); code != 200 || string(body) != "{\"status\":\"alive\"}\n" {
			t.Errorf("/livez = %d %s", code, body)
		}
		code, body, _ := s.get(t, "/readyz")
		var e struct{ Error, Message string }
		_ = json.Unmarshal(body, &e)
		if code != 503 || e.Error != "service_unavailable" || !strings.Contains(e.Message, "source oci") {
			t.Errorf("/readyz = %d %s, want 503 naming the oci source", code, body)
		}
	})
	t.Run("backend stopped after start", func(t *testing.T) {
		reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
		s := startService(t, t.TempDir(), environ("EXTENSION_REGISTRY_OCI_REGISTRY="+reg.Host, "EXTENSION_REGISTRY_OCI_INSECURE=true",
			"EXTENSION_REGISTRY_OCI_NAMESPACE=probes/provisioning-extensions"), "serve", "--listen", "127.0.0.1:0")
		// Ready once the index has read the registry (at start, in the
		// background): poll, bounded.
		code, body := 0, []byte(nil)
		for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
			if code, body, _ = s.get(t, "/readyz"); code == 200 {
				break
			}
		}
		if code != 200 || string(body) != "{\"status\":\"ready\"}\n" {
			t.Fatalf("/readyz with the registry up = %d %s", code, body)
		}
		reg.Close()
		if code, _, _ := s.get(t, "/livez"); code != 200 {
			t.Errorf("/livez with the registry stopped = %d", code)
		}
		if code, body, _ := s.get(t, "/api/v1/health"); code != 200 || !strings.Contains(string(body), `"degraded"`) {
			t.Errorf("/api/v1/health with the registry stopped = %d %s", code, body)
		}
		if code, _, _ := s.get(t, "/readyz"); code != 200 {
			t.Errorf("/readyz = %d: a source read once stays ready (until index.max_stale)", code)
		}
	})
}

// TestLogFormatJSON: log_format json makes every log line a JSON object.
func TestLogFormatJSON(t *testing.T) {
	s := startService(t, t.TempDir(), environ("EXTENSION_REGISTRY_LOG_FORMAT=json"), "serve", "--demo", "--listen", "127.0.0.1:0")
	s.get(t, "/api/v1/extensions")
	if s.stop(t) != 0 {
		t.Fatal("serve did not stop cleanly")
	}
	lines := strings.Split(strings.TrimSpace(s.stderr.String()), "\n")
	if len(lines) < 3 {
		t.Fatalf("too few log lines:\n%s", s.stderr)
	}
	for _, l := range lines {
		var rec struct{ Time, Level, Msg string }
		if err := json.Unmarshal([]byte(l), &rec); err != nil || rec.Time == "" || rec.Level == "" || rec.Msg == "" {
			t.Errorf("not a JSON log record: %q", l)
		}
	}
}

// TestVersionCommand: version names the version, the commit (stamped by
// go build from git) and the Go version, in both formats.
func TestVersionCommand(t *testing.T) {
	r := mustRun(t, t.TempDir(), environ(), "version", "-o", "json")
	var v struct{ Version, Commit, Go string }
	if err := json.Unmarshal([]byte(r.stdout), &v); err != nil {
		t.Fatalf("version -o json = %q", r.stdout)
	}
	want := "unknown"
	if st, err := os.Stat("../../.git"); err == nil && st.IsDir() {
		// A checkout of its own (not a worktree, whose .git is a file
		// go build does not read): go build stamps the commit.
		if out, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil {
			want = strings.TrimSpace(string(out))
		}
	}
	if v.Version == "" || v.Commit != want || v.Go != runtime.Version() {
		t.Errorf("version = %+v, want commit %s and %s", v, want, runtime.Version())
	}
	r = mustRun(t, t.TempDir(), environ(), "version")
	if !strings.HasPrefix(r.stdout, "extension-registry "+v.Version+"\ncommit: "+want) || !strings.Contains(r.stdout, "go: "+runtime.Version()) {
		t.Errorf("version:\n%s", r.stdout)
	}
}

// TestOpsConfigErrors: the new keys refuse what cannot work, naming the
// key, before serving.
func TestOpsConfigErrors(t *testing.T) {
	pki := testserver.NewPKI(t)
	notPEM := writeFile(t, filepath.Join(t.TempDir(), "ca.pem"), "not a certificate\n", 0o644)
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"EXTENSION_REGISTRY_LOG_FORMAT=xml"}, "log_format"},
		{[]string{"EXTENSION_REGISTRY_TLS_CERT_FILE=" + pki.CertFile}, "tls.cert_file"},
		{[]string{"EXTENSION_REGISTRY_TLS_CERT_FILE=" + pki.CertFile, "EXTENSION_REGISTRY_TLS_KEY_FILE=" + pki.CAFile}, "tls.cert_file"},
		{[]string{"EXTENSION_REGISTRY_OCI_CA_FILE=" + notPEM}, "oci.ca_file"},
		{[]string{"EXTENSION_REGISTRY_OCI_CA_FILE=/nonexistent/ca.pem"}, "oci.ca_file"},
		{[]string{"EXTENSION_REGISTRY_GITEA_CA_FILE=" + pki.CAFile}, "gitea.ca_file"},
	} {
		r := run(t, t.TempDir(), environ(append(c.env, "EXTENSION_REGISTRY_LISTEN=127.0.0.1:0")...), "serve")
		line := strings.TrimSuffix(r.stderr, "\n")
		if r.code != 1 || strings.Contains(line, "\n") || !strings.Contains(line, c.want) {
			t.Errorf("%v: exit %d, %q; want one line naming %s", c.env, r.code, r.stderr, c.want)
		}
	}
}
