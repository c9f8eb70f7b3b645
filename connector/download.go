package connector

import (
	"context"
	"net/http"
	"time"

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
// stream itself.
func (a *API) download(_ context.Context, w http.ResponseWriter, r *http.Request, c *call) {
	typ, err := httpkit.PathType(r)
	if err != nil {
		a.writeError(w, r, c.desc, err)
		return
	}
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	timer := time.AfterFunc(time.Until(c.deadline), func() { cancel(errBudget) })
	arc, err := c.catalog.Open(ctx, typ, r.PathValue("name"), r.PathValue("version"))
	if !timer.Stop() && err == nil {
		// The budget ran out as the stream opened: its context is gone.
		arc.Body.Close()
		err = errBudget
	}
	if err != nil {
		if context.Cause(ctx) == errBudget {
			err = errBudget
		}
		a.writeError(w, r, c.desc, err)
		return
	}
	defer arc.Body.Close()

	httpkit.ServeArchive(w, r, arc, a.log, "tool", c.desc)
}
