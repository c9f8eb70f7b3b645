package connector

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	registry "github.com/provisioning-platform/extension-registry"
)

func TestStatusFor(t *testing.T) {
	tool := "Gitea server https://git.example.com"
	tests := []struct {
		name       string
		err        error
		code       int32
		reason     metav1.StatusReason
		msgContain string
	}{
		{"header", badHeader(HeaderSecret, "not valid Base64"), 400, metav1.StatusReasonBadRequest, HeaderSecret},
		{"parameter", badParam("query parameter page must be a whole number"), 400, metav1.StatusReasonBadRequest, "page"},
		{"type", &registry.Error{Kind: registry.ErrInvalidType, Message: "Invalid extension type \"x\""}, 400, metav1.StatusReasonBadRequest, "Invalid extension type"},
		{"version", &registry.Error{Kind: registry.ErrInvalidVersion, Message: "Invalid version \"1.x\""}, 400, metav1.StatusReasonBadRequest, "Invalid version"},
		{"host", &hostRefusedError{host: "evil.example.com"}, 403, metav1.StatusReasonForbidden, "connectors.allowed_hosts"},
		{"unauthorized", fmt.Errorf("list: %w", registry.ErrUnauthorized), 401, metav1.StatusReasonUnauthorized, "refused the credentials"},
		{"forbidden", fmt.Errorf("list: %w", registry.ErrForbidden), 403, metav1.StatusReasonForbidden, tool},
		{"not found", &registry.Error{Kind: registry.ErrNotFound, Message: "Extension provider/aws not found"}, 404, metav1.StatusReasonNotFound, "provider/aws"},
		{"rate limited", registry.ErrRateLimited, 429, metav1.StatusReasonTooManyRequests, "rate limiting"},
		{"timeout", fmt.Errorf("x: %w", registry.ErrTimeout), 504, metav1.StatusReasonTimeout, "in time"},
		{"deadline", context.DeadlineExceeded, 504, metav1.StatusReasonTimeout, "in time"},
		{"unavailable", errors.Join(errors.New("dial tcp: refused"), registry.ErrUnavailable), 503, metav1.StatusReasonServiceUnavailable, "could not be reached"},
		{"internal", errors.New("boom: secret internal detail"), 500, metav1.StatusReasonInternalError, "see its log"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			st := statusFor(tc.err, tool).ErrStatus
			if st.Code != tc.code || st.Reason != tc.reason {
				t.Errorf("status = %d %s, want %d %s", st.Code, st.Reason, tc.code, tc.reason)
			}
			if !strings.Contains(st.Message, tc.msgContain) {
				t.Errorf("message %q does not contain %q", st.Message, tc.msgContain)
			}
			if strings.Contains(st.Message, "secret internal detail") {
				t.Errorf("message %q shows internal detail", st.Message)
			}
		})
	}
}

// TestRouterAnswersAreStatus checks the answers of the router itself:
// unknown paths and wrong methods.
func TestRouterAnswersAreStatus(t *testing.T) {
	mux := http.NewServeMux()
	New(withConstructors(Options{Logger: testLogger})).Register(mux)
	tests := []struct {
		method, path string
		code         int
		reason       metav1.StatusReason
	}{
		{http.MethodGet, "/connectors/", 404, metav1.StatusReasonNotFound},
		{http.MethodGet, "/connectors", 404, metav1.StatusReasonNotFound},
		{http.MethodGet, "/connectors/github/extensions", 404, metav1.StatusReasonNotFound},
		{http.MethodGet, "/connectors/gitea/nothing", 404, metav1.StatusReasonNotFound},
		{http.MethodPost, "/connectors/oci/extensions", 405, metav1.StatusReasonMethodNotAllowed},
		{http.MethodDelete, "/connectors/gitea/", 405, metav1.StatusReasonMethodNotAllowed},
	}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(tc.method, tc.path, nil))
			st := decodeStatus(t, rec)
			if rec.Code != tc.code || st.Reason != tc.reason || int(st.Code) != tc.code {
				t.Errorf("answer %d %s (code %d), want %d %s", rec.Code, st.Reason, st.Code, tc.code, tc.reason)
			}
		})
	}
}

// TestPaging checks the paging parameters, under the toolkit's one
// integer rule: a page number of more digits than an int holds is the
// largest page (empty), not a 400.
func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		query   string
		page    int
		per     int
		wantErr string
	}{
		{"", 1, 20, ""},
		{"page=3&itemsPerPage=5", 3, 5, ""},
		{"itemsPerPage=5000", 1, 1000, ""},
		{"page=99999999999999999999", math.MaxInt, 20, ""},
		{"itemsPerPage=99999999999999999999", 1, 1000, ""},
		{"page=99999999999999999999.5", 0, 0, "page"},
		{"page=0", 0, 0, "page"},
		{"page=x", 0, 0, "page"},
		{"itemsPerPage=-1", 0, 0, "itemsPerPage"},
		{"itemsPerPage=ten", 0, 0, "itemsPerPage"},
	} {
		r := httptest.NewRequest(http.MethodGet, "/x?"+tc.query, nil)
		page, per, err := pageParams(r)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("%s: error %v, want one naming %s", tc.query, err, tc.wantErr)
			}
			continue
		}
		if err != nil || page != tc.page || per != tc.per {
			t.Errorf("%s: page %d, per page %d, err %v; want %d, %d", tc.query, page, per, err, tc.page, tc.per)
		}
	}
}
