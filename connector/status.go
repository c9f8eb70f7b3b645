package connector

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
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

// statusOf builds the Status of one error kind: tool describes the tool
// for messages ("Gitea server https://git.example.com"), public is the
// error's client-safe message ("" when it has none), err the error itself.
type statusOf func(tool, public string, err error) *apierrors.StatusError

// orElse returns public, or fallback when public is empty.
func orElse(public, fallback string) string {
	if public != "" {
		return public
	}
	return fallback
}

// statusKinds is the one table from error kinds to the API's Status; an
// error of no listed kind is a 500 InternalError. A new kind is a row here
// (and one in the v1 API's table).
var statusKinds = httpkit.Kinds[statusOf]{
	{Kind: registry.ErrInvalidType, Answer: func(_, public string, _ error) *apierrors.StatusError {
		return apierrors.NewBadRequest(orElse(public, "invalid extension type"))
	}},
	{Kind: registry.ErrInvalidVersion, Answer: func(_, public string, _ error) *apierrors.StatusError {
		return apierrors.NewBadRequest(orElse(public, "invalid version: must be a semantic version such as 1.2.0"))
	}},
	{Kind: registry.ErrInvalid, Answer: func(_, public string, _ error) *apierrors.StatusError {
		return apierrors.NewBadRequest(orElse(public, "invalid request"))
	}},
	{Kind: registry.ErrUnauthorized, Answer: func(tool, _ string, _ error) *apierrors.StatusError {
		return apierrors.NewUnauthorized(fmt.Sprintf("the %s refused the credentials", tool))
	}},
	{Kind: registry.ErrForbidden, Answer: func(tool, _ string, _ error) *apierrors.StatusError {
		return apierrors.NewForbidden(schema.GroupResource{}, "",
			fmt.Errorf("the %s does not allow these credentials to read the extensions", tool))
	}},
	{Kind: registry.ErrNotFound, Answer: func(tool, public string, _ error) *apierrors.StatusError {
		st := apierrors.NewNotFound(extensionsResource, "")
		st.ErrStatus.Message = orElse(public, "not found on the "+tool)
		return st
	}},
	{Kind: registry.ErrRateLimited, Answer: func(tool, _ string, err error) *apierrors.StatusError {
		// The delay the tool asked for, when it named one.
		return apierrors.NewTooManyRequests(fmt.Sprintf("the %s is rate limiting requests; retry later", tool), httpkit.RetryAfter(err))
	}},
	{Kind: registry.ErrTimeout, Answer: timedOut},
	{Kind: context.DeadlineExceeded, Answer: timedOut},
	{Kind: registry.ErrUnavailable, Answer: func(tool, _ string, _ error) *apierrors.StatusError {
		return apierrors.NewServiceUnavailable(fmt.Sprintf("the %s could not be reached or failed", tool))
	}},
}

func timedOut(tool, _ string, _ error) *apierrors.StatusError {
	return apierrors.NewTimeoutError(fmt.Sprintf("the %s did not answer in time", tool), 0)
}

// statusFor is the one place that turns an error into the Status the API
// answers with: the API's own error types first (a Status made already, a
// spent call budget, a header, a parameter, a refused host), then the kinds of statusKinds.
// tool describes the tool for messages; it never holds credentials.
// Messages come from the error kinds and the client-safe messages of
// *registry.Error, never from a backend's internal text.
func statusFor(err error, tool string) *apierrors.StatusError {
	var (
		se    *apierrors.StatusError
		he    *headerError
		pe    *paramError
		hostE *hostRefusedError
		be    *budgetError
	)
	switch {
	case errors.As(err, &be):
		return apierrors.NewServiceUnavailable(be.Error())
	case errors.As(err, &se):
		return se
	case errors.As(err, &he):
		return apierrors.NewBadRequest(he.Error())
	case errors.As(err, &pe):
		return apierrors.NewBadRequest(pe.Error())
	case errors.As(err, &hostE):
		return apierrors.NewForbidden(schema.GroupResource{}, "", hostE)
	}
	if build, ok := statusKinds.Find(err); ok {
		return build(tool, registry.PublicMessage(err), err)
	}
	return apierrors.NewInternalError(errors.New("the registry failed to answer; see its log"))
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

// writeJSON writes v as a JSON answer with the given status. Answers are
// per credential: never stored by a shared cache.
func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Cache-Control", "no-store")
	httpkit.WriteJSON(w, code, v)
}
