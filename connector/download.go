package connector

import (
	"context"
	"errors"
	"net/http"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// errBudget is the cause of a download cancelled because the tool did not
// start sending the archive within the request's budget.
var errBudget = &registry.Error{Kind: registry.ErrTimeout, Message: "the tool did not start sending the archive in time"}

// download answers GET {base}/extensions/{type}/{name}/{version} with the
// archive, streamed from the tool as it arrives: application/octet-stream,
// Content-Length when known, a Content-Disposition naming the file and
// X-Checksum. The budget bounds the time until the stream starts, not the
// stream itself. A HEAD is answered from the resolved version without
// opening the archive; an archive failing before its first byte is sent (a
// small one failing verification) gets a 503 Status saying so.
func (a *API) download(_ context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	timer := time.AfterFunc(time.Until(c.deadline), func() { cancel(errBudget) })
	open := c.catalog.Open
	if r.Method == http.MethodHead {
		open = c.catalog.Stat // the headers from the version, no stream
	}
	arc, err := open(ctx, typ, r.PathValue("name"), r.PathValue("version"))
	if !timer.Stop() && err == nil {
		// The budget ran out as the stream opened: its context is gone.
		if arc.Body != nil {
			arc.Body.Close()
		}
		err = errBudget
	}
	if err != nil {
		if context.Cause(ctx) == errBudget {
			err = errBudget
		}
		a.writeError(w, r, c.desc, err)
		return
	}
	if arc.Body != nil {
		defer arc.Body.Close()
	}

	httpkit.ServeArchiveOr(w, r, arc, a.archiveFailer(c.desc), a.log, "tool", c.desc)
}

// archiveFailer answers a download that failed before its first byte: a
// 503 Status that says what happened to the archive (it failed
// verification, the stream broke), which the generic "could not be reached"
// of an ErrUnavailable would hide.
func (a *API) archiveFailer(tool string) httpkit.ArchiveFailer {
	return func(w http.ResponseWriter, r *http.Request, err error) {
		if msg := registry.PublicMessage(err); msg != "" && errors.Is(err, registry.ErrUnavailable) {
			err = errors.Join(apierrors.NewServiceUnavailable(tool+": "+msg), err)
		}
		a.writeError(w, r, tool, err)
	}
}
