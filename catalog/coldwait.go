package catalog

import (
	"context"
	"time"
)

// maxColdWait bounds how long a request that the index cannot answer yet
// (a source it needs has not been read once since start) waits for the
// index's first read before it asks the backends itself.
const maxColdWait = 15 * time.Second

// awaitFirstRead is called when the index cannot answer a request because
// some source has not been read once yet. It waits for the first read of
// every source to end (successfully or not), for at most half of what is
// left of ctx's deadline and never more than maxColdWait, and returns the
// view to answer from then; nil when the wait ran out (or the catalog has
// no index), and the caller asks the backends as before.
//
// This is what keeps a burst of requests arriving at start from costing the
// backend anything on top of the index's own read: they are answered from
// that read when it ends, rather than each key being fetched once more.
func (c *Catalog) awaitFirstRead(ctx context.Context) *view {
	if c.idx == nil {
		return nil
	}
	select {
	case <-c.idx.first:
		return c.current()
	default:
	}
	wait := maxColdWait
	if dl, ok := ctx.Deadline(); ok {
		wait = min(wait, time.Until(dl)/2)
	}
	if wait <= 0 {
		return nil
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-c.idx.first:
		return c.current()
	case <-t.C:
		return nil
	case <-ctx.Done():
		return nil
	}
}

// waitedKey marks a context whose request has already waited for the
// index's first read, so that the calls it goes on to make do not wait
// again.
type waitedKey struct{}

// coldView returns the view to answer from and whether the caller's answer
// can come from it (ok as the caller's check on the view reports it):
// when the index cannot answer yet because of a source not read once, the
// request waits for the first read (awaitFirstRead) once and checks again.
// The context returned is the one to go on with: marked as having waited
// when it did, so that the backend calls that follow do not wait again.
func (c *Catalog) coldView(ctx context.Context, answers func(*view) bool) (context.Context, *view, bool) {
	v := c.current()
	if v == nil {
		return ctx, nil, false
	}
	if answers(v) {
		return ctx, v, true
	}
	if ctx.Value(waitedKey{}) != nil {
		return ctx, v, false
	}
	ctx = context.WithValue(ctx, waitedKey{}, true)
	if w := c.awaitFirstRead(ctx); w != nil && answers(w) {
		return ctx, w, true
	}
	return ctx, v, false
}
