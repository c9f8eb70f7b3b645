package httpapi

import (
	"context"
	"errors"
	"net/http"
	"strconv"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// errorBody is the API's error format.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// answer is the v1 API's answer to one error kind.
type answer struct {
	status int
	body   errorBody
	// public: the error's client-safe message (registry.PublicMessage),
	// when it has one, replaces body.Message.
	public bool
}

// errorKinds is the one table from error kinds to the v1 API's answers;
// an error of no listed kind is a 500 internal_error. A new kind is a row
// here (and one in the connector's table).
var errorKinds = httpkit.Kinds[answer]{
	{Kind: registry.ErrInvalidType, Answer: answer{http.StatusBadRequest, errorBody{Error: "invalid_type", Message: "Invalid extension type"}, true}},
	{Kind: registry.ErrInvalidVersion, Answer: answer{http.StatusBadRequest, errorBody{Error: "invalid_version", Message: "Invalid version format"}, true}},
	{Kind: registry.ErrInvalid, Answer: answer{http.StatusBadRequest, errorBody{Error: "invalid_parameter", Message: "Invalid request"}, true}},
	{Kind: registry.ErrNotFound, Answer: answer{http.StatusNotFound, errorBody{Error: "not_found", Message: "Resource not found"}, true}},
	{Kind: registry.ErrUnauthorized, Answer: authFailed},
	{Kind: registry.ErrForbidden, Answer: authFailed},
	{Kind: registry.ErrRateLimited, Answer: answer{http.StatusTooManyRequests, errorBody{Error: "rate_limit", Message: "A backend is rate limiting the registry; retry later"}, false}},
	{Kind: registry.ErrTimeout, Answer: answer{http.StatusServiceUnavailable, errorBody{Error: "service_unavailable", Message: "Service temporarily unavailable", Details: "a backend did not answer in time"}, false}},
	{Kind: registry.ErrUnavailable, Answer: unreachable},
	{Kind: context.DeadlineExceeded, Answer: unreachable},
}

var (
	authFailed = answer{http.StatusUnauthorized, errorBody{Error: "auth_error", Message: "Authentication with a backend failed",
		Details: "the registry's configured backend credentials were refused"}, false}
	unreachable = answer{http.StatusServiceUnavailable, errorBody{Error: "service_unavailable", Message: "Service temporarily unavailable",
		Details: "a backend could not be reached"}, true}
	internalError = answer{http.StatusInternalServerError, errorBody{Error: "internal_error", Message: "Internal server error"}, false}
)

// writeError answers a failed request: the error's kind decides the status
// and error type, the message is the error's public message or a generic one
// (internal detail goes to the log, never to the client).
func (a *API) writeError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return // the client went away; nobody reads an answer
	}
	status, body := classify(err)
	if status >= 500 || status == http.StatusUnauthorized {
		a.log.Warn("request failed", "path", httpkit.Excerpt(r.URL.Path), "status", status, "error", err)
	}
	if status == http.StatusTooManyRequests {
		w.Header().Set("Retry-After", strconv.Itoa(httpkit.RetryAfter(err)))
	}
	writeJSON(w, status, body)
}

// classify maps an error to its status and body through errorKinds.
func classify(err error) (int, errorBody) {
	ans, ok := errorKinds.Find(err)
	if !ok {
		ans = internalError
	}
	if msg := registry.PublicMessage(err); ans.public && msg != "" {
		ans.body.Message = msg
	}
	return ans.status, ans.body
}

// writeJSON writes v as the JSON body of a status answer. Every v1 answer
// goes through it: the one place to add response headers.
func writeJSON(w http.ResponseWriter, status int, v any) {
	httpkit.WriteJSON(w, status, v)
}
