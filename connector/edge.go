package connector

import (
	"net/http"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// edgeReasons is the Status reason of each status the server edge answers
// itself (bad paths and queries, limits, rate limiting).
var edgeReasons = map[int]metav1.StatusReason{
	http.StatusBadRequest:                  metav1.StatusReasonBadRequest,
	http.StatusNotFound:                    metav1.StatusReasonNotFound,
	http.StatusMethodNotAllowed:            metav1.StatusReasonMethodNotAllowed,
	http.StatusRequestTimeout:              metav1.StatusReasonTimeout,
	http.StatusRequestEntityTooLarge:       metav1.StatusReasonRequestEntityTooLarge,
	http.StatusRequestURITooLong:           metav1.StatusReasonBadRequest,
	http.StatusRequestHeaderFieldsTooLarge: metav1.StatusReasonBadRequest,
	http.StatusTooManyRequests:             metav1.StatusReasonTooManyRequests,
	http.StatusNotImplemented:              metav1.StatusReasonBadRequest,
	http.StatusHTTPVersionNotSupported:     metav1.StatusReasonBadRequest,
	http.StatusServiceUnavailable:          metav1.StatusReasonServiceUnavailable,
}

// WriteStatus writes the metav1.Status body for an answer the server edge
// gives before any route runs, and for the router's own answers (a query
// string that does not parse, unknown route, wrong method, panic), with status as its code. message must already
// be safe to show and bounded. A Retry-After header set by the caller is
// kept.
func WriteStatus(w http.ResponseWriter, _ *http.Request, status int, message string) {
	reason, ok := edgeReasons[status]
	if !ok {
		reason = metav1.StatusReasonInternalError
	}
	writeStatus(w, &apierrors.StatusError{ErrStatus: metav1.Status{
		Code:    int32(status),
		Reason:  reason,
		Message: message,
	}})
}
