package httpapi

import (
	"net/http"

	"github.com/provisioning-platform/extension-registry/internal/route"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// Readiness tells whether the service is ready for traffic: nil once it
// is, else the reason it is not (a sentence safe to show).
// *catalog.Catalog implements it.
type Readiness interface {
	Ready() error
}

// probeBody is the answer of a probe that passes.
type probeBody struct {
	Status string `json:"status"`
}

// RegisterProbes adds the Kubernetes probes to mux: GET /livez answers 200
// while the process serves, without any backend call; GET /readyz answers
// 200 when ready says so, else 503 with the API's error body naming the
// reason. m may be nil.
func RegisterProbes(mux *http.ServeMux, ready Readiness, m *metrics.Metrics) {
	rt := &route.Router{Mux: mux, Metrics: m, Fail: WriteStatus}
	rt.Get("/livez", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, probeBody{Status: "alive"})
	})
	rt.Get("/readyz", func(w http.ResponseWriter, _ *http.Request) {
		if err := ready.Ready(); err != nil {
			writeJSON(w, http.StatusServiceUnavailable, errorBody{
				Error:   "service_unavailable",
				Message: "Not ready: " + err.Error(),
			})
			return
		}
		writeJSON(w, http.StatusOK, probeBody{Status: "ready"})
	})
}
