package httpapi

import (
	_ "embed"
	"net/http"

	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// openAPIDocument is the OpenAPI 3.0 document of the v1 API (and of the
// probes), kept in the repository as httpapi/openapi.json. Tests hold it
// to the routes, parameters and answers the API really has.
//
//go:embed openapi.json
var openAPIDocument []byte

// OpenAPI returns the OpenAPI 3.0 document of the v1 API as JSON. The
// caller must not modify it.
func OpenAPI() []byte { return openAPIDocument }

// RegisterOpenAPI adds GET {Prefix}/openapi.json, the v1 API's OpenAPI
// document, to mux. m may be nil.
func RegisterOpenAPI(mux *http.ServeMux, m *metrics.Metrics) {
	rt := &route.Router{Mux: mux, Metrics: m, Fail: WriteStatus}
	rt.Get(Prefix+"/openapi.json", serveDocument(openAPIDocument))
}

// serveDocument answers with a fixed JSON document.
func serveDocument(doc []byte) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "public, max-age=300")
		_, _ = w.Write(doc)
	}
}
