package connector

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/provisioning-platform/extension-registry/internal/openapitest"
)

// TestOpenAPIDocuments checks the served OpenAPI document of each base
// against the ConnectorClass manifest of deploy/: a valid OpenAPI 3.0
// document, served at {base}/openapi.json without the gateway's headers,
// with exactly the manifest's paths, the same parameters on each, and
// the router's Status answers documented.
func TestOpenAPIDocuments(t *testing.T) {
	mux := http.NewServeMux()
	New(Options{Logger: testLogger}).Register(mux)
	RegisterOpenAPI(mux, nil)
	for _, tc := range []struct{ file, base string }{
		{"connectorclass-gitea.yaml", GiteaBase},
		{"connectorclass-oci.yaml", OCIBase},
	} {
		t.Run(tc.base, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, tc.base+"/openapi.json", nil))
			if rec.Code != 200 || rec.Header().Get("Content-Type") != "application/json" || !bytes.Equal(rec.Body.Bytes(), OpenAPI(tc.base)) {
				t.Fatalf("GET %s/openapi.json = %d %s, want 200 and the document", tc.base, rec.Code, rec.Header().Get("Content-Type"))
			}
			doc := openapitest.Load(t, rec.Body.Bytes())

			var spec connectorClassSpec
			if err := readManifests(t, tc.file)[0].Spec.Decode(&spec); err != nil {
				t.Fatal(err)
			}
			var want []string
			for p := range spec.API.OpenAPI.Paths {
				want = append(want, p)
			}
			slices.Sort(want)
			var got []string
			for p, item := range doc.Paths.Map() {
				got = append(got, p)
				op := item.Get
				if op == nil {
					t.Errorf("%s: no get operation", p)
					continue
				}
				var params []string
				for _, pr := range op.Parameters {
					params = append(params, pr.Value.In+":"+pr.Value.Name)
				}
				slices.Sort(params)
				if m := manifestParams(t, spec, p); !slices.Equal(params, m) {
					t.Errorf("%s: parameters %v, the manifest has %v", p, params, m)
				}
				for _, code := range []string{"200", "400", "404", "405", "500"} {
					if op.Responses.Value(code) == nil {
						t.Errorf("%s: status %s not documented", p, code)
					}
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("document paths %v, manifest paths %v", got, want)
			}
			if !slices.Equal(got, servedPaths()) {
				t.Errorf("document paths %v, router serves %v", got, servedPaths())
			}

			// Real answers of the router without the gateway's headers
			// (a BadRequest Status) and of an unknown route validate.
			for _, p := range []string{"/extensions", "/extensions/provider/aws", "/extensions/provider/aws/versions", "/extensions/provider/aws/1.2.0", "/authcheck", "/"} {
				req := httptest.NewRequest(http.MethodGet, tc.base+p, nil)
				rec := httptest.NewRecorder()
				mux.ServeHTTP(rec, req)
				if err := openapitest.Validate(doc, req, rec.Code, rec.Header(), rec.Body.Bytes()); err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// manifestParams returns "in:name" of every parameter the manifest lists
// for path, sorted.
func manifestParams(t *testing.T, spec connectorClassSpec, path string) []string {
	t.Helper()
	raw, err := yaml.Marshal(spec.API.OpenAPI.Paths[path]["get"]["parameters"])
	if err != nil {
		t.Fatal(err)
	}
	var ps []struct{ Name, In string }
	if err := yaml.Unmarshal(raw, &ps); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, p := range ps {
		out = append(out, p.In+":"+p.Name)
	}
	slices.Sort(out)
	return out
}
