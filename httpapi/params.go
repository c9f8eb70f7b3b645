package httpapi

import (
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// Page sizes of the list and search endpoints. limit and offset follow the
// toolkit's one integer rule (httpkit.Int): larger values are clamped.
const (
	listDefaultLimit   = 100
	listMaxLimit       = 1000
	searchDefaultLimit = 50
	searchMaxLimit     = 100
)

// intParam reads an integer parameter by the toolkit's one rule
// (httpkit.Int).
var intParam = httpkit.Int

// sourceParam reads the optional source filter.
func sourceParam(r *http.Request) (registry.Source, error) {
	s := httpkit.Query(r, "source")
	if s == "" {
		return "", nil
	}
	return registry.ParseSource(s)
}
