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
//
// Its timer and its watch of the parent start only when Done is first
// called: an answer from memory, which never waits on its context, costs
// no timer. Err checks the budget's end and the parent itself meanwhile.
type budgetCtx struct {
	context.Context
	deadline time.Time

	mu       sync.Mutex
	done     chan struct{} // made by the first Done
	timer    *time.Timer   // started with done, while the budget applies
	stopWait func() bool   // the parent watch, started with done
	err      error
	lifted   bool
}

func withBudget(parent context.Context, d time.Duration) *budgetCtx {
	return &budgetCtx{Context: parent, deadline: time.Now().Add(d)}
}

// end closes the context with err, unless the budget was lifted and this
// is the budget's own timer.
func (c *budgetCtx) end(err error, budget bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err != nil || (budget && c.lifted) {
		return
	}
	c.setLocked(err)
}

// setLocked records why the context ended and closes done if it exists.
func (c *budgetCtx) setLocked(err error) {
	if err == nil {
		err = context.Canceled
	}
	c.err = err
	if c.done != nil {
		close(c.done)
	}
}

// checkLocked ends the context when its budget is over or its parent has
// ended, as the timer and the watch would.
func (c *budgetCtx) checkLocked() {
	if c.err != nil {
		return
	}
	if !c.lifted && !time.Now().Before(c.deadline) {
		c.setLocked(context.DeadlineExceeded)
	} else if perr := c.Context.Err(); perr != nil {
		c.setLocked(perr)
	}
}

// lift removes the budget; only the parent can end the context from now on.
func (c *budgetCtx) lift() {
	c.mu.Lock()
	c.lifted = true
	t := c.timer
	c.mu.Unlock()
	if t != nil {
		t.Stop()
	}
}

// release frees the timer and the parent watch once the request is done.
func (c *budgetCtx) release() {
	c.mu.Lock()
	t, stop := c.timer, c.stopWait
	c.mu.Unlock()
	if t != nil {
		t.Stop()
	}
	if stop != nil {
		stop()
	}
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

// Done is closed when the budget runs out or the parent ends. The first
// call starts the budget's timer and the parent watch.
func (c *budgetCtx) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done != nil {
		return c.done
	}
	c.done = make(chan struct{})
	if c.err != nil {
		close(c.done)
		return c.done
	}
	if c.checkLocked(); c.err != nil {
		return c.done
	}
	if !c.lifted {
		c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.end(context.DeadlineExceeded, true) })
	}
	parent := c.Context
	c.stopWait = context.AfterFunc(parent, func() { c.end(parent.Err(), false) })
	return c.done
}

// Err is DeadlineExceeded when the budget ran out, the parent's error when
// it ended, else nil.
func (c *budgetCtx) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.checkLocked()
	return c.err
}
