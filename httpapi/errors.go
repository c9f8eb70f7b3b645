package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
)

// errorBody is the API's error format.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// writeError answers a failed request: the error's kind decides the status
// and error type, the message is the error's public message or a generic one
// (internal detail goes to the log, never to the client).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody reads an answer
	}
	status, body := classify(err)
	if status >= 500 || status == http.StatusUnauthorized {
		a.log.Warn("request failed", "path", r.URL.Path, "status", status, "error", err)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", "30")
	}
	writeJSON(w, status, body)
}

// classify maps an error to its status and body. Messages of *registry.Error
// are shown as they are; other errors get a generic message.
func classify(err error) (int, errorBody) {
	msg := registry.PublicMessage(err)
	pick := func(status int, typ, fallback string) (int, errorBody) {
		if msg == "" {
			msg = fallback
		}
		return status, errorBody{Error: typ, Message: msg}
	}
	switch {
	case errors.Is(err, registry.ErrInvalidType):
		return pick(http.StatusBadRequest, "invalid_type", "Invalid extension type")
	case errors.Is(err, registry.ErrInvalidVersion):
		return pick(http.StatusBadRequest, "invalid_version", "Invalid version format")
	case errors.Is(err, registry.ErrInvalid):
		return pick(http.StatusBadRequest, "invalid_parameter", "Invalid request")
	case errors.Is(err, registry.ErrNotFound):
		return pick(http.StatusNotFound, "not_found", "Resource not found")
	case errors.Is(err, registry.ErrUnauthorized), errors.Is(err, registry.ErrForbidden):
		st, b := http.StatusUnauthorized, errorBody{Error: "auth_error", Message: "Authentication with a backend failed"}
		b.Details = "the registry's configured backend credentials were refused"
		return st, b
	case errors.Is(err, registry.ErrRateLimited):
		return http.StatusTooManyRequests, errorBody{Error: "rate_limit", Message: "A backend is rate limiting the registry; retry later"}
	case errors.Is(err, registry.ErrTimeout):
		return http.StatusServiceUnavailable, errorBody{Error: "service_unavailable", Message: "Service temporarily unavailable", Details: "a backend did not answer in time"}
	case errors.Is(err, registry.ErrUnavailable), errors.Is(err, context.DeadlineExceeded):
		st, b := pick(http.StatusServiceUnavailable, "service_unavailable", "Service temporarily unavailable")
		b.Details = "a backend could not be reached"
		return st, b
	default:
		return http.StatusInternalServerError, errorBody{Error: "internal_error", Message: "Internal server error"}
	}
}

// fail writes an error body for the router's own answers (404, 405, 500).
func (a *API) fail(w http.ResponseWriter, _ *http.Request, status int, message string) {
	typ := map[int]string{
		http.StatusNotFound:         "not_found",
		http.StatusMethodNotAllowed: "method_not_allowed",
	}[status]
	if typ == "" {
		typ = "internal_error"
	}
	writeJSON(w, status, errorBody{Error: typ, Message: message})
}

// writeJSON writes v as the JSON body of a status answer.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	_ = enc.Encode(v)
}
