package edge

import (
	"context"
	"sync"
	"time"
)

// budgetCtx is a request context with a deadline that can be lifted: it
// ends with context.DeadlineExceeded when its budget runs out before lift
// is called, and otherwise only when its parent ends. The v1 handlers map
// DeadlineExceeded to 503, so a request whose backends are too slow gets
// an answer within the budget, while a download that has started streams
// on.
type budgetCtx struct {
	context.Context
	deadline time.Time
	timer    *time.Timer
	stopWait func() bool
	done     chan struct{}

	mu     sync.Mutex
	err    error
	lifted bool
}

func withBudget(parent context.Context, d time.Duration) *budgetCtx {
	c := &budgetCtx{Context: parent, deadline: time.Now().Add(d), done: make(chan struct{})}
	c.timer = time.AfterFunc(d, func() { c.end(context.DeadlineExceeded, true) })
	c.stopWait = context.AfterFunc(parent, func() { c.end(parent.Err(), false) })
	return c
}

// end closes the context with err, unless the budget was lifted and this
// is the budget's own timer.
func (c *budgetCtx) end(err error, budget bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || (budget && c.lifted) {
		return
	}
	if err == nil {
		err = context.Canceled
	}
	c.err = err
	close(c.done)
}

// lift removes the budget; only the parent can end the context from now on.
func (c *budgetCtx) lift() {
	c.mu.Lock()
	c.lifted = true
	c.mu.Unlock()
	c.timer.Stop()
}

// release frees the timer and the parent watch once the request is done.
func (c *budgetCtx) release() {
	c.timer.Stop()
	c.stopWait()
}

// Deadline is the budget's end while it applies, else the parent's.
func (c *budgetCtx) Deadline() (time.Time, bool) {
	c.mu.Lock()
	lifted := c.lifted
	c.mu.Unlock()
	if lifted {
		return c.Context.Deadline()
	}
	if d, ok := c.Context.Deadline(); ok && d.Before(c.deadline) {
		return d, true
	}
	return c.deadline, true
}

// Done is closed when the budget runs out or the parent ends.
func (c *budgetCtx) Done() <-chan struct{} { return c.done }

// Err is DeadlineExceeded when the budget ran out, the parent's error when
// it ended, else nil.
func (c *budgetCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}
