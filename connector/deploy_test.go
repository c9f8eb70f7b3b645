package connector

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/provisioning-platform/extension-registry/config"
)

const deployDir = "../deploy"

// manifest is a Kubernetes object read loosely: only what the tests check.
type manifest struct {
	APIVersion string `yaml:"apiVersion"`
	Kind       string `yaml:"kind"`
	Metadata   struct {
		Name      string `yaml:"name"`
		Namespace string `yaml:"namespace"`
	} `yaml:"metadata"`
	Spec yaml.Node         `yaml:"spec"`
	Data map[string]string `yaml:"data"`
}

// authType is one spec.auth.types entry of a ConnectorClass.
type authType struct {
	Name       string `yaml:"name"`
	SecretType string `yaml:"secretType"`
	Params     []struct {
		Name string `yaml:"name"`
	} `yaml:"params"`
}

// declares reports whether the auth type declares the Secret key name.
func (a authType) declares(name string) bool {
	for _, p := range a.Params {
		if p.Name == name {
			return true
		}
	}
	return false
}

// connectorClassSpec is the part of a ConnectorClass spec the API serves.
type connectorClassSpec struct {
	Auth struct {
		Types []authType `yaml:"types"`
	} `yaml:"auth"`
	LivenessProbe struct {
		API struct {
			Path string `yaml:"path"`
		} `yaml:"api"`
	} `yaml:"livenessProbe"`
	AuthProbes []struct {
		AuthName string `yaml:"authName"`
		Probe    struct {
			API struct {
				Path string `yaml:"path"`
			} `yaml:"api"`
		} `yaml:"probe"`
	} `yaml:"authProbes"`
	API struct {
		Ref struct {
			Kind      string `yaml:"kind"`
			Name      string `yaml:"name"`
			Namespace string `yaml:"namespace"`
		} `yaml:"ref"`
		URI     string `yaml:"uri"`
		OpenAPI struct {
			OpenAPI string                               `yaml:"openapi"`
			Paths   map[string]map[string]map[string]any `yaml:"paths"`
		} `yaml:"openapi"`
	} `yaml:"api"`
}

// readManifests parses every YAML document of a file under deploy/.
func readManifests(tb testing.TB, name string) []manifest {
	tb.Helper()
	raw, err := os.ReadFile(filepath.Join(deployDir, name))
	if err != nil {
		tb.Fatal(err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(false)
	var out []manifest
	for {
		var m manifest
		err := dec.Decode(&m)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			tb.Fatalf("%s: %v", name, err)
		}
		out = append(out, m)
	}
}

// servedPaths returns the OpenAPI paths the router serves under a base.
func servedPaths() []string {
	var out []string
	for _, r := range resources {
		out = append(out, r.path)
	}
	slices.Sort(out)
	return out
}

// concrete replaces the OpenAPI path placeholders with sample values.
func concrete(p string) string {
	return strings.NewReplacer("{type}", "provider", "{name}", "aws", "{version}", "1.2.0").Replace(p)
}

// TestDeployConnectorClasses checks both ConnectorClass manifests against
// the router: every OpenAPI path is served (a request through the mux
// reaches its handler, which asks for the gateway's headers, instead of
// the catch-all), every served resource is listed with x-provider-type api,
// and the probes and auth types are ones the API answers.
func TestDeployConnectorClasses(t *testing.T) {
	svc := registryService(t)
	mux := http.NewServeMux()
	New(withConstructors(Options{Logger: testLogger, AllowedHosts: []string{"127.0.0.1"}})).Register(mux)
	tests := []struct {
		file, base  string
		secretTypes []string
	}{
		{"connectorclass-gitea.yaml", GiteaBase, []string{SecretBasicAuth}},
		{"connectorclass-oci.yaml", OCIBase, []string{SecretBasicAuth, SecretDockerConfigJSON}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			ms := readManifests(t, tc.file)
			if len(ms) != 1 || ms[0].Kind != "ConnectorClass" || ms[0].APIVersion != "connectors.alauda.io/v1alpha1" {
				t.Fatalf("want one connectors.alauda.io/v1alpha1 ConnectorClass, got %+v", ms)
			}
			var spec connectorClassSpec
			if err := ms[0].Spec.Decode(&spec); err != nil {
				t.Fatal(err)
			}
			ref := spec.API.Ref
			if ref.Kind != "Service" || ref.Name != svc.Metadata.Name || ref.Namespace != svc.Metadata.Namespace {
				t.Errorf("spec.api.ref = %+v, want the Service %s/%s of registry.yaml", ref, svc.Metadata.Namespace, svc.Metadata.Name)
			}
			if spec.API.URI != tc.base {
				t.Errorf("spec.api.uri = %q, want %q", spec.API.URI, tc.base)
			}
			if !strings.HasPrefix(spec.API.OpenAPI.OpenAPI, "3.") {
				t.Errorf("spec.api.openapi.openapi = %q, want 3.x", spec.API.OpenAPI.OpenAPI)
			}

			var listed []string
			for p, ops := range spec.API.OpenAPI.Paths {
				listed = append(listed, p)
				if len(ops) != 1 || ops["get"] == nil {
					t.Errorf("path %s: want exactly a get operation, got %v", p, keys(ops))
					continue
				}
				if ops["get"]["x-provider-type"] != "api" {
					t.Errorf("path %s: x-provider-type = %v, want api", p, ops["get"]["x-provider-type"])
				}
				assertRouted(t, mux, tc.base, p)
			}
			slices.Sort(listed)
			if !slices.Equal(listed, servedPaths()) {
				t.Errorf("OpenAPI paths %v, router serves %v", listed, servedPaths())
			}

			if spec.LivenessProbe.API.Path != "/" {
				t.Errorf("livenessProbe.api.path = %q, want /", spec.LivenessProbe.API.Path)
			}
			assertRouted(t, mux, tc.base, spec.LivenessProbe.API.Path)

			probes := map[string]string{}
			for _, p := range spec.AuthProbes {
				probes[p.AuthName] = p.Probe.API.Path
			}
			var secretTypes []string
			for _, at := range spec.Auth.Types {
				secretTypes = append(secretTypes, at.SecretType)
				if probes[at.Name] != "/authcheck" {
					t.Errorf("auth type %s: auth probe api.path = %q, want /authcheck", at.Name, probes[at.Name])
				}
				if at.SecretType != SecretBasicAuth && at.SecretType != SecretDockerConfigJSON && !at.declares("token") {
					t.Errorf("auth type %s (%s) declares no token parameter, which the API needs for that Secret type", at.Name, at.SecretType)
				}
			}
			for _, want := range tc.secretTypes {
				if !slices.Contains(secretTypes, want) {
					t.Errorf("auth types %v lack %s", secretTypes, want)
				}
			}
			for name := range probes {
				if !slices.ContainsFunc(spec.Auth.Types, func(at authType) bool { return at.Name == name }) {
					t.Errorf("auth probe for unknown auth type %s", name)
				}
			}
		})
	}
}

// assertRouted sends the path (placeholders filled) through the mux the
// way the gateway resolves it (spec.api.uri + path) without the gateway's
// headers: a served resource answers a BadRequest naming X-Plugin-Meta; the
// catch-all would answer NotFound.
func assertRouted(t *testing.T, mux *http.ServeMux, base, openapiPath string) {
	t.Helper()
	target := base + concrete(openapiPath)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	st := decodeStatus(t, rec)
	if rec.Code != http.StatusBadRequest || !strings.Contains(st.Message, HeaderMeta) {
		t.Errorf("GET %s (OpenAPI %s) = %d %q: not served by a resource handler", target, openapiPath, rec.Code, st.Message)
	}
	// The same path without the trailing slash of the base, as a client
	// may resolve "/" against spec.api.uri.
	if openapiPath == "/" {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, base, nil))
		if rec.Code != http.StatusBadRequest {
			t.Errorf("GET %s = %d, want the liveness handler", base, rec.Code)
		}
	}
}

// registryService returns the Service of registry.yaml after checking the
// Deployment and ConfigMap it fronts.
func registryService(t *testing.T) manifest {
	t.Helper()
	byKind := map[string]manifest{}
	for _, m := range readManifests(t, "registry.yaml") {
		byKind[m.Kind] = m
	}
	for _, k := range []string{"ConfigMap", "Deployment", "Service"} {
		if _, ok := byKind[k]; !ok {
			t.Fatalf("registry.yaml has no %s", k)
		}
	}

	var deploy struct {
		Template struct {
			Spec struct {
				Containers []struct {
					Args           []string                `yaml:"args"`
					Ports          []struct{ Name string } `yaml:"ports"`
					ReadinessProbe *struct {
						HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
					} `yaml:"readinessProbe"`
					LivenessProbe *struct {
						HTTPGet struct{ Path, Port string } `yaml:"httpGet"`
					} `yaml:"livenessProbe"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
			} `yaml:"spec"`
		} `yaml:"template"`
	}
	d := byKind["Deployment"]
	if err := d.Spec.Decode(&deploy); err != nil {
		t.Fatal(err)
	}
	if len(deploy.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment has %d containers, want 1", len(deploy.Template.Spec.Containers))
	}
	c := deploy.Template.Spec.Containers[0]
	if c.ReadinessProbe == nil || c.LivenessProbe == nil {
		t.Fatal("the container needs a readiness and a liveness probe")
	}
	if p := c.ReadinessProbe.HTTPGet.Path; p != "/readyz" {
		t.Errorf("readiness probe path %q, want /readyz", p)
	}
	if p := c.LivenessProbe.HTTPGet.Path; p != "/livez" {
		t.Errorf("liveness probe path %q, want /livez", p)
	}

	// The configuration the container reads must load and validate.
	cm := byKind["ConfigMap"]
	cfgText, ok := cm.Data["config.yaml"]
	if !ok {
		t.Fatal("ConfigMap has no config.yaml")
	}
	i := slices.Index(c.Args, "--config")
	if i < 0 || i+1 >= len(c.Args) {
		t.Fatalf("container args %v lack --config", c.Args)
	}
	mounted := false
	for _, m := range c.VolumeMounts {
		if path.Dir(c.Args[i+1]) == m.MountPath && m.Name == "config" {
			mounted = true
		}
	}
	if !mounted || path.Base(c.Args[i+1]) != "config.yaml" {
		t.Errorf("--config %s is not the ConfigMap's config.yaml", c.Args[i+1])
	}
	file := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(file, []byte(cfgText), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(file, nil)
	if err != nil {
		t.Fatalf("the ConfigMap's config.yaml does not load: %v", err)
	}
	if len(cfg.Connectors.AllowedHosts) == 0 {
		t.Error("the ConfigMap's config.yaml sets no connectors.allowed_hosts: every Connector would get 403")
	}

	svc := byKind["Service"]
	var svcSpec struct {
		Ports []struct {
			TargetPort string `yaml:"targetPort"`
		} `yaml:"ports"`
	}
	if err := svc.Spec.Decode(&svcSpec); err != nil {
		t.Fatal(err)
	}
	if len(svcSpec.Ports) == 0 || len(c.Ports) == 0 || svcSpec.Ports[0].TargetPort != c.Ports[0].Name {
		t.Errorf("the Service's targetPort does not name the container's port")
	}
	return svc
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
