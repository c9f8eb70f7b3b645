package connector

import (
	"context"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
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
	typ, err := pathType(r)
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

	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	if arc.Size >= 0 {
		h.Set("Content-Length", strconv.FormatInt(arc.Size, 10))
	}
	if name := path.Base(arc.FileName); name != "." && name != "/" && name != "" {
		h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": name}))
	}
	if arc.Checksum != "" {
		h.Set("X-Checksum", arc.Checksum)
	}
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return
	}
	if _, err := io.Copy(w, arc.Body); err != nil {
		// The status is sent: cut the connection so the client sees an
		// incomplete body, and say why in the log.
		a.log.Warn("connector download interrupted", "path", r.URL.Path, "tool", c.desc, "error", err)
		panic(http.ErrAbortHandler)
	}
}
