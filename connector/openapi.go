package connector

import (
	_ "embed"
	"net/http"

	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// The OpenAPI 3.0 documents of the two base paths, kept in the repository
// beside this file. Their paths and parameters are those of spec.api.openapi
// in deploy/connectorclass-*.yaml; a test holds them together.
var (
	//go:embed openapi-gitea.json
	giteaOpenAPI []byte
	//go:embed openapi-oci.json
	ociOpenAPI []byte
)

// OpenAPI returns the OpenAPI document of a base path (GiteaBase or
// OCIBase) as JSON, nil for any other. The caller must not modify it.
func OpenAPI(base string) []byte {
	switch base {
	case GiteaBase:
		return giteaOpenAPI
	case OCIBase:
		return ociOpenAPI
	}
	return nil
}

// RegisterOpenAPI adds GET {base}/openapi.json for both base paths to mux.
// It needs none of the gateway's headers. m may be nil.
func RegisterOpenAPI(mux *http.ServeMux, m *metrics.Metrics) {
	rt := &route.Router{Mux: mux, Metrics: m, Fail: WriteStatus}
	for _, base := range []string{GiteaBase, OCIBase} {
		doc := OpenAPI(base)
		rt.Get(base+"/openapi.json", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Content-Type-Options", "nosniff")
			w.Header().Set("Cache-Control", "public, max-age=300")
			_, _ = w.Write(doc)
		})
	}
}
