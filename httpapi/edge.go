package httpapi

import "net/http"

// edgeTypes is the error type of each status the server edge answers
// itself (bad paths and queries, limits, rate limiting).
var edgeTypes = map[int]string{
	http.StatusBadRequest:                  "invalid_parameter",
	http.StatusNotFound:                    "not_found",
	http.StatusMethodNotAllowed:            "method_not_allowed",
	http.StatusRequestTimeout:              "invalid_parameter",
	http.StatusRequestEntityTooLarge:       "invalid_parameter",
	http.StatusRequestURITooLong:           "invalid_parameter",
	http.StatusRequestHeaderFieldsTooLarge: "invalid_parameter",
	http.StatusTooManyRequests:             "rate_limit",
	http.StatusNotImplemented:              "invalid_parameter",
	http.StatusHTTPVersionNotSupported:     "invalid_parameter",
	http.StatusServiceUnavailable:          "service_unavailable",
}

// WriteStatus writes the v1 error body for an answer the server edge gives
// before any route runs, and for the router's own answers (a query string
// that does not parse, unknown route, wrong method, panic): status decides the error type (400 and the other
// client errors invalid_parameter, 404 not_found, 429 rate_limit, 503
// service_unavailable, anything else internal_error). message must already
// be safe to show and bounded.
func WriteStatus(w http.ResponseWriter, _ *http.Request, status int, message string) {
	typ := edgeTypes[status]
	if typ == "" {
		typ = "internal_error"
	}
	writeJSON(w, status, errorBody{Error: typ, Message: message})
}
