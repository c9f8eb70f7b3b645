package connector

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	registry "github.com/provisioning-platform/extension-registry"
)

// extensionsResource names the resource of not-found answers.
var extensionsResource = schema.GroupResource{Resource: "extensions"}

// hostRefusedError is a tool host outside connectors.allowed_hosts.
type hostRefusedError struct{ host string }

func (e *hostRefusedError) Error() string {
	return fmt.Sprintf("host %q is not listed in %s", e.host, AllowedHostsKey)
}

// paramError is an invalid query or path parameter; its message names it.
type paramError struct{ msg string }

func (e *paramError) Error() string { return e.msg }

func badParam(format string, args ...any) error {
	return &paramError{msg: fmt.Sprintf(format, args...)}
}

// statusFor is the one place that turns an error into the Status the API
// answers with. tool describes the tool for messages ("Gitea server
// https://git.example.com"); it never holds credentials. Messages come from
// the error kinds and the client-safe messages of *registry.Error, never
// from a backend's internal text.
func statusFor(err error, tool string) *apierrors.StatusError {
	var (
		se    *apierrors.StatusError
		he    *headerError
		pe    *paramError
		hostE *hostRefusedError
	)
	public := registry.PublicMessage(err)
	orElse := func(fallback string) string {
		if public != "" {
			return public
		}
		return fallback
	}
	switch {
	case errors.As(err, &se):
		return se
	case errors.As(err, &he):
		return apierrors.NewBadRequest(he.Error())
	case errors.As(err, &pe):
		return apierrors.NewBadRequest(pe.Error())
	case errors.As(err, &hostE):
		return apierrors.NewForbidden(schema.GroupResource{}, "", hostE)
	case errors.Is(err, registry.ErrInvalidType):
		return apierrors.NewBadRequest(orElse("invalid extension type"))
	case errors.Is(err, registry.ErrInvalidVersion):
		return apierrors.NewBadRequest(orElse("invalid version: must be a semantic version such as 1.2.0"))
	case errors.Is(err, registry.ErrInvalid):
		return apierrors.NewBadRequest(orElse("invalid request"))
	case errors.Is(err, registry.ErrUnauthorized):
		return apierrors.NewUnauthorized(fmt.Sprintf("the %s refused the credentials", tool))
	case errors.Is(err, registry.ErrForbidden):
		return apierrors.NewForbidden(schema.GroupResource{}, "",
			fmt.Errorf("the %s does not allow these credentials to read the extensions", tool))
	case errors.Is(err, registry.ErrNotFound):
		st := apierrors.NewNotFound(extensionsResource, "")
		st.ErrStatus.Message = orElse("not found on the " + tool)
		return st
	case errors.Is(err, registry.ErrRateLimited):
		return apierrors.NewTooManyRequests(fmt.Sprintf("the %s is rate limiting requests; retry later", tool), 30)
	case errors.Is(err, registry.ErrTimeout), errors.Is(err, context.DeadlineExceeded):
		return apierrors.NewTimeoutError(fmt.Sprintf("the %s did not answer in time", tool), 0)
	case errors.Is(err, registry.ErrUnavailable):
		return apierrors.NewServiceUnavailable(fmt.Sprintf("the %s could not be reached or failed", tool))
	default:
		return apierrors.NewInternalError(errors.New("the registry failed to answer; see its log"))
	}
}

// writeStatus writes st as the JSON body of a non-200 answer, with st's
// code as the HTTP status.
func writeStatus(w http.ResponseWriter, st *apierrors.StatusError) {
	s := st.Status()
	s.TypeMeta = metav1.TypeMeta{Kind: "Status", APIVersion: "v1"}
	s.Status = metav1.StatusFailure
	code := int(s.Code)
	if code == 0 {
		code = http.StatusInternalServerError
		s.Code = int32(code)
	}
	if s.Details != nil && s.Details.RetryAfterSeconds > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(s.Details.RetryAfterSeconds)))
	}
	writeJSON(w, code, s)
}

// writeJSON writes v as a JSON answer with the given status.
func writeJSON(w http.ResponseWriter, code int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}

// fail writes the router's own answers (unknown route, wrong method,
// panic) as a Status.
func fail(w http.ResponseWriter, _ *http.Request, code int, message string) {
	var st *apierrors.StatusError
	switch code {
	case http.StatusNotFound:
		st = apierrors.NewNotFound(schema.GroupResource{}, "")
		st.ErrStatus.Message = message
	case http.StatusMethodNotAllowed:
		st = &apierrors.StatusError{ErrStatus: metav1.Status{
			Code:    http.StatusMethodNotAllowed,
			Reason:  metav1.StatusReasonMethodNotAllowed,
			Message: message,
		}}
	default:
		st = apierrors.NewInternalError(errors.New(message))
	}
	writeStatus(w, st)
}
