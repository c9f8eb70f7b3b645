package hooks

import (
	"context"
	"log/slog"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// Bounds of the background refreshes.
const (
	// maxPending is how many distinct refreshes may wait; beyond it a
	// notification's refresh is dropped (logged): the periodic refresh
	// catches up.
	maxPending = 1024
	// workers run refreshes side by side.
	workers = 2
	// refreshTimeout bounds one refresh.
	refreshTimeout = time.Minute
)

// job is one refresh to run.
type job struct {
	src         registry.Source
	name        string
	tag, digest string // from a registry notification, or empty
}

// key identifies the extensions a job refreshes.
type key struct {
	src  registry.Source
	name string
}

// queue runs refreshes in the background: at most maxPending waiting, one
// per extension (a job for an extension already waiting is merged into it).
type queue struct {
	r   Refresher
	log *slog.Logger

	mu      sync.Mutex
	pending map[key]job
	order   []key
	wake    chan struct{}
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
}

func newQueue(r Refresher, log *slog.Logger) *queue {
	ctx, cancel := context.WithCancel(context.Background())
	q := &queue{r: r, log: log, pending: map[key]job{}, wake: make(chan struct{}, 1), ctx: ctx, cancel: cancel}
	for range workers {
		q.wg.Add(1)
		go q.work()
	}
	return q
}

// add queues j; it reports false when j was dropped (queue full or closed).
func (q *queue) add(j job) bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.ctx.Err() != nil {
		return false
	}
	k := key{j.src, j.name}
	if _, waiting := q.pending[k]; waiting {
		q.pending[k] = j // the latest tag and digest win
		return true
	}
	if len(q.pending) >= maxPending {
		q.log.Warn("webhook refresh dropped: too many waiting", "source", j.src, "name", j.name)
		return false
	}
	q.pending[k] = j
	q.order = append(q.order, k)
	select {
	case q.wake <- struct{}{}:
	default:
	}
	return true
}

// next takes the oldest waiting job.
func (q *queue) next() (job, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.order) == 0 {
		return job{}, false
	}
	k := q.order[0]
	q.order = q.order[1:]
	j := q.pending[k]
	delete(q.pending, k) // a notification from now on queues it again
	if len(q.order) > 0 {
		select {
		case q.wake <- struct{}{}:
		default:
		}
	}
	return j, true
}

func (q *queue) work() {
	defer q.wg.Done()
	for {
		select {
		case <-q.ctx.Done():
			return
		case <-q.wake:
		}
		for {
			j, ok := q.next()
			if !ok {
				break
			}
			q.run(j)
			if q.ctx.Err() != nil {
				return
			}
		}
	}
}

// run refreshes one job, through RefreshTag when it carries a tag or
// digest and the refresher can use them.
func (q *queue) run(j job) {
	ctx, cancel := context.WithTimeout(q.ctx, refreshTimeout)
	defer cancel()
	var err error
	if tr, ok := q.r.(TagRefresher); ok && (j.tag != "" || j.digest != "") {
		err = tr.RefreshTag(ctx, j.src, j.name, j.tag, j.digest)
	} else {
		err = q.r.Refresh(ctx, j.src, j.name)
	}
	if err != nil && q.ctx.Err() == nil {
		q.log.Warn("webhook refresh failed", "source", j.src, "name", j.name, "error", err)
	}
}

// close stops the workers, cancelling the refreshes that run.
func (q *queue) close() {
	q.mu.Lock()
	q.cancel()
	q.mu.Unlock()
	q.wg.Wait()
}
