package connector

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"github.com/provisioning-platform/extension-registry/oci"
)

// ociFixture is a real distribution registry with htpasswd authentication,
// seeded once for the package with extensions in the default namespace and
// one in the namespace "team-b/extensions".
type ociFixture struct {
	reg      *testserver.Registry
	url      string // http://127.0.0.1:port: a plain-HTTP registry
	archives map[string]seeded
}

// seeded is a published version's archive as the tests expect it back.
type seeded struct {
	data     []byte
	checksum string
	file     string
}

var (
	ociOnce sync.Once
	ociFix  *ociFixture
	ociErr  error
)

// ociEnv returns the seeded registry, starting it on first use.
func ociEnv(t *testing.T) *ociFixture {
	t.Helper()
	reg := testserver.SharedRegistry(t, testserver.RegistryOptions{Htpasswd: true})
	rememberSecret(reg.Username, reg.Password)
	ociOnce.Do(func() { ociFix, ociErr = seedOCI(t, reg) })
	if ociErr != nil {
		t.Fatal(ociErr)
	}
	return ociFix
}

func seedOCI(t *testing.T, reg *testserver.Registry) (*ociFixture, error) {
	f := &ociFixture{reg: reg, url: "http://" + reg.Host, archives: map[string]seeded{}}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	publish := func(ns string, typ registry.Type, name, version, desc string, tags ...string) error {
		b, err := oci.NewRemote(oci.RemoteOptions{
			Registry: reg.Host, Namespace: ns, Username: reg.Username, Password: reg.Password, Insecure: true,
		})
		if err != nil {
			return err
		}
		file := fmt.Sprintf("%s_%s.tar.gz", name, typ)
		path, data, sum := makeArchive(t, file, fmt.Sprintf("%s %s %s\n", typ, name, version))
		_, err = b.Publish(ctx, oci.Artifact{
			Path: path, Type: typ, Name: name, Version: version, Description: desc,
			Author: "platform-team", Tags: tags, Created: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC),
		})
		if err != nil {
			return fmt.Errorf("publish %s/%s %s: %w", typ, name, version, err)
		}
		f.archives[ns+"|"+string(typ)+"/"+name+"/"+version] = seeded{data: data, checksum: sum, file: file}
		return nil
	}
	steps := []error{
		publish(DefaultOCINamespace, registry.Provider, "aws", "1.2.0", "AWS provider", "cloud"),
		publish(DefaultOCINamespace, registry.Provider, "aws", "1.10.0", "AWS provider", "cloud"),
		publish(DefaultOCINamespace, registry.Provider, "aws", "1.9.0", "AWS provider", "cloud"),
		publish(DefaultOCINamespace, registry.Taskserv, "k3s", "1.27.5", "Lightweight Kubernetes", "kubernetes"),
		publish(DefaultOCINamespace, registry.Cluster, "buildkit", "0.12.0", "BuildKit cluster", "build"),
		publish("team-b/extensions", registry.Provider, "hetzner", "0.3.0", "Hetzner Cloud provider"),
	}
	for _, err := range steps {
		if err != nil {
			return nil, err
		}
	}
	return f, nil
}

// basic returns the gateway headers of a basic-auth Secret.
func basic(baseURL, user, pass string) http.Header {
	return gatewayHeaders(baseURL, SecretBasicAuth, map[string]string{"username": user, "password": pass})
}

func TestOCI(t *testing.T) {
	f := ociEnv(t)
	s := newServer(t, Options{})
	good := basic(f.url, f.reg.Username, f.reg.Password)

	t.Run("list", func(t *testing.T) {
		var l List[registry.Extension]
		a := s.get(t, "/connectors/oci/extensions", good)
		if a.code != http.StatusOK {
			t.Fatalf("answer %d: %s", a.code, a.body)
		}
		a.json(t, &l)
		if l.ListMeta.TotalItems != 3 || names(l.Items) != "aws,buildkit,k3s" {
			t.Fatalf("list = %d %s", l.ListMeta.TotalItems, names(l.Items))
		}
		aws := l.Items[0]
		if aws.Version != "1.10.0" || aws.Source != registry.SourceOCI || aws.Type != registry.Provider ||
			aws.Description != "AWS provider" || aws.DownloadURL != "/extensions/provider/aws/1.10.0" ||
			aws.Checksum != f.archives[DefaultOCINamespace+"|provider/aws/1.10.0"].checksum {
			t.Errorf("aws = %+v", aws)
		}
	})
	t.Run("list filters and pages", func(t *testing.T) {
		tests := []struct {
			query string
			total int
			names string
		}{
			{"type=provider", 1, "aws"},
			{"type=taskserv", 1, "k3s"},
			{"q=kubernetes", 1, "k3s"},
			{"q=BUILD&type=cluster", 1, "buildkit"},
			{"itemsPerPage=1&page=2", 3, "buildkit"},
			{"itemsPerPage=2&page=2", 3, "k3s"},
			{"page=9", 3, ""},
			{"itemsPerPage=5000", 3, "aws,buildkit,k3s"},
		}
		for _, tc := range tests {
			t.Run(tc.query, func(t *testing.T) {
				var l List[registry.Extension]
				s.get(t, "/connectors/oci/extensions?"+tc.query, good).json(t, &l)
				if l.ListMeta.TotalItems != tc.total || names(l.Items) != tc.names || l.Items == nil {
					t.Errorf("got %d %q (items nil: %v), want %d %q", l.ListMeta.TotalItems, names(l.Items), l.Items == nil, tc.total, tc.names)
				}
			})
		}
	})
	t.Run("namespace parameter", func(t *testing.T) {
		var l List[registry.Extension]
		s.get(t, "/connectors/oci/extensions?namespace=team-b/extensions", good).json(t, &l)
		if l.ListMeta.TotalItems != 1 || names(l.Items) != "hetzner" {
			t.Errorf("list = %d %s", l.ListMeta.TotalItems, names(l.Items))
		}
	})
	t.Run("get", func(t *testing.T) {
		var e registry.Extension
		a := s.get(t, "/connectors/oci/extensions/taskserv/k3s", good)
		a.json(t, &e)
		if a.code != http.StatusOK || e.Name != "k3s" || e.Version != "1.27.5" || e.DownloadURL != "/extensions/taskserv/k3s/1.27.5" {
			t.Errorf("answer %d: %+v", a.code, e)
		}
	})
	t.Run("versions", func(t *testing.T) {
		var l List[registry.Version]
		s.get(t, "/connectors/oci/extensions/provider/aws/versions", good).json(t, &l)
		var vs []string
		for _, v := range l.Items {
			vs = append(vs, v.Version)
			if v.DownloadURL != "/extensions/provider/aws/"+v.Version || v.Checksum == "" {
				t.Errorf("version %+v", v)
			}
		}
		if l.ListMeta.TotalItems != 3 || strings.Join(vs, ",") != "1.10.0,1.9.0,1.2.0" {
			t.Errorf("versions = %d %v", l.ListMeta.TotalItems, vs)
		}
		s.get(t, "/connectors/oci/extensions/provider/aws/versions?itemsPerPage=2&page=2", good).json(t, &l)
		if l.ListMeta.TotalItems != 3 || len(l.Items) != 1 || l.Items[0].Version != "1.2.0" {
			t.Errorf("page 2 = %+v", l)
		}
	})
	t.Run("download", func(t *testing.T) {
		for _, v := range []string{"1.9.0", "v1.9.0"} {
			a := s.get(t, "/connectors/oci/extensions/provider/aws/"+v, good)
			want := f.archives[DefaultOCINamespace+"|provider/aws/1.9.0"]
			if a.code != http.StatusOK || string(a.body) != string(want.data) {
				t.Fatalf("%s: answer %d, %d bytes, want %d", v, a.code, len(a.body), len(want.data))
			}
			if a.header.Get("X-Checksum") != want.checksum || a.header.Get("Content-Type") != "application/octet-stream" ||
				!strings.Contains(a.header.Get("Content-Disposition"), want.file) {
				t.Errorf("%s: headers %v", v, a.header)
			}
		}
	})
	t.Run("secret types", func(t *testing.T) {
		user, pass := f.reg.Username, f.reg.Password
		tests := []struct {
			name string
			h    http.Header
			code int
		}{
			{"basic-auth", good, 200},
			{"dockerconfigjson auth field", gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"` + f.reg.Host + `":{"auth":"` + b64(user+":"+pass) + `"}}}`}), 200},
			{"dockerconfigjson username field, URL key", gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"http://` + f.reg.Host + `/v2/":{"username":"` + user + `","password":"` + pass + `"}}}`}), 200},
			{"dockerconfigjson wrong password", gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"` + f.reg.Host + `":{"auth":"` + b64(user+":wrong-docker-pass") + `"}}}`}), 401},
			{"dockerconfigjson other registry", gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"elsewhere.example.com":{"auth":"` + b64(user+":"+pass) + `"}}}`}), 400},
			{"dockerconfigjson entry without credentials", gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{
				".dockerconfigjson": `{"auths":{"` + f.reg.Host + `":{}}}`}), 400},
			{"custom type with username and password", gatewayHeaders(f.url, "cpaas.io/distribution-registry-token", map[string]string{
				"username": user, "password": pass}), 200},
			{"opaque token refused by a basic-auth registry", gatewayHeaders(f.url, SecretOpaque, map[string]string{
				"token": "oci-bearer-token-xyz"}), 401},
			{"anonymous", gatewayHeaders(f.url, "", nil), 401},
			{"wrong password", basic(f.url, user, "wrong-oci-pass"), 401},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				for _, p := range []string{"/connectors/oci/extensions", "/connectors/oci/authcheck"} {
					a := s.get(t, p, tc.h)
					want := tc.code
					if want == http.StatusBadRequest && strings.HasSuffix(p, "authcheck") {
						// A Secret with nothing for this registry: the
						// auth probe answers only 200, 401 or 403.
						want = http.StatusUnauthorized
					}
					if a.code != want {
						t.Errorf("GET %s = %d, want %d: %s", p, a.code, want, a.body)
					}
					if a.code != http.StatusOK || strings.HasSuffix(p, "authcheck") {
						a.status(t)
					}
				}
			})
		}
	})
	t.Run("liveness", func(t *testing.T) {
		for _, h := range []http.Header{good, gatewayHeaders(f.url, "", nil), basic(f.url, f.reg.Username, "wrong-oci-pass"),
			gatewayHeaders(f.url, SecretDockerConfigJSON, map[string]string{".dockerconfigjson": `{"auths":{"elsewhere.example.com":{"auth":"eDp5"}}}`})} {
			for _, p := range []string{"/connectors/oci/", "/connectors/oci"} {
				a := s.get(t, p, h)
				if st := a.status(t); a.code != http.StatusOK || st.Status != "Success" {
					t.Errorf("GET %s = %d %+v, want 200 Success: the registry answers", p, a.code, st)
				}
			}
		}
	})
	t.Run("not found", func(t *testing.T) {
		for _, p := range []string{
			"/connectors/oci/extensions/provider/nope",
			"/connectors/oci/extensions/provider/nope/versions",
			"/connectors/oci/extensions/provider/aws/9.9.9",
			"/connectors/oci/extensions/cluster/aws",
		} {
			t.Run(p, func(t *testing.T) { expectStatus(t, s.get(t, p, good), 404, "NotFound") })
		}
	})
	t.Run("bad input", func(t *testing.T) {
		tests := []struct{ path, mention string }{
			{"/connectors/oci/extensions/widget/aws", "widget"},
			{"/connectors/oci/extensions/provider/aws/1.x", "1.x"},
			{"/connectors/oci/extensions?type=widget", "type"},
			{"/connectors/oci/extensions?page=0", "page"},
			{"/connectors/oci/extensions?itemsPerPage=many", "itemsPerPage"},
			{"/connectors/oci/extensions/provider/aws/versions?page=-1", "page"},
			{"/connectors/oci/extensions?namespace=Bad_Namespace", "namespace"},
		}
		for _, tc := range tests {
			t.Run(tc.path, func(t *testing.T) {
				st := expectStatus(t, s.get(t, tc.path, good), 400, "BadRequest")
				if !strings.Contains(st.Message, tc.mention) {
					t.Errorf("message %q does not name %q", st.Message, tc.mention)
				}
			})
		}
		st := expectStatus(t, s.get(t, "/connectors/oci/extensions", basic(f.url+"/v2", f.reg.Username, f.reg.Password)), 400, "BadRequest")
		if !strings.Contains(st.Message, HeaderMeta) {
			t.Errorf("a baseURL with a path: message %q does not name %s", st.Message, HeaderMeta)
		}
	})
}

// names joins the names of extensions with commas.
func names(exts []registry.Extension) string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Name
	}
	return strings.Join(out, ",")
}
