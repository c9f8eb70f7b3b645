package catalog

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// sharedIndex is the index's side of a SharedStore: which stored snapshot
// (ETag) each source serves, and whether the store was reachable lately.
type sharedIndex struct {
	store SharedStore

	mu      sync.Mutex // held while a stored snapshot is fetched and applied
	etags   map[registry.Source]string
	applied map[registry.Source]chan struct{} // closed when a new snapshot is applied

	healthMu  sync.Mutex
	healthErr error // of the last poll; nil when the store answered
	polled    bool
}

// newSharedIndex returns the shared side of opts' store, replacing
// opts.Store by an adapter that records what it saves and loads, or nil
// when the store is not shared.
func newSharedIndex(opts *IndexOptions) *sharedIndex {
	st, ok := opts.Store.(SharedStore)
	if !ok {
		return nil
	}
	sh := &sharedIndex{store: st, etags: map[registry.Source]string{}, applied: map[registry.Source]chan struct{}{}}
	opts.Store = sharedAdapter{sh}
	return sh
}

// sharedAdapter is the IndexStore the index writes through when its store
// is shared: it keeps the ETag of what it saved or loaded.
type sharedAdapter struct{ sh *sharedIndex }

func (a sharedAdapter) Load(ctx context.Context, src registry.Source) (*Snapshot, error) {
	a.sh.mu.Lock()
	defer a.sh.mu.Unlock()
	st, err := a.sh.store.Fetch(ctx, src, "")
	if err != nil || st == nil || st.Snapshot == nil {
		return nil, err
	}
	a.sh.etags[src] = st.ETag
	return st.Snapshot, nil
}

func (a sharedAdapter) Save(ctx context.Context, s *Snapshot) error {
	a.sh.mu.Lock()
	defer a.sh.mu.Unlock()
	etag, err := a.sh.store.Put(ctx, s)
	if err != nil {
		return err
	}
	a.sh.etags[s.Source] = etag
	a.sh.signalApplied(s.Source)
	return nil
}

// appliedChan returns a channel closed when loadShared next applies a new
// snapshot of src.
func (sh *sharedIndex) appliedChan(src registry.Source) <-chan struct{} {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	ch := sh.applied[src]
	if ch == nil {
		ch = make(chan struct{})
		sh.applied[src] = ch
	}
	return ch
}

// signalApplied wakes the waiters of appliedChan(src); sh.mu is held.
func (sh *sharedIndex) signalApplied(src registry.Source) {
	if ch := sh.applied[src]; ch != nil {
		close(ch)
		delete(sh.applied, src)
	}
}

// tick is one periodic or triggered read of s: from the backend when the
// shared store grants this replica the refresh, else a load of what the
// replica holding it stored (waiting for its read to end, or for its claim
// to lapse). Without a shared store it is readSource.
func (c *Catalog) tick(ctx context.Context, s *sourceIndex) error {
	sh := c.idx.shared
	if sh == nil {
		return c.readSource(ctx, s)
	}
	for {
		lease, retry, err := sh.store.Claim(ctx, s.src, c.idx.opts.Interval)
		if err != nil {
			if snap, _, _ := s.state(); snap == nil {
				c.log.Warn("index: the shared store is unreachable and this replica has nothing to serve; reading the source itself",
					"source", s.src, "store", sh.store.Name(), "error", err)
				return c.readSource(ctx, s)
			}
			return fmt.Errorf("claim the refresh of %s: %w", s.src, err)
		}
		if lease != nil {
			return c.readLeased(lease, s)
		}
		applied := sh.appliedChan(s.src)
		c.loadShared(ctx, s)
		if retry <= 0 {
			return nil // read by another replica within the interval
		}
		// Another replica reads: wait for what it stores (then the next
		// claim finds the source fresh) or for its lock to lapse.
		t := time.NewTimer(min(retry+50*time.Millisecond, c.idx.opts.Interval))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-applied:
			t.Stop()
		case <-t.C:
		}
	}
}

// readLeased reads s whole under lease and records a failure for the
// replicas that do not read.
func (c *Catalog) readLeased(lease Lease, s *sourceIndex) error {
	defer lease.Release()
	lctx := lease.Context()
	err := c.readSource(lctx, s)
	if err != nil && lctx.Err() == nil {
		if ferr := c.idx.shared.store.Failed(lctx, s.src, describe(err)); ferr != nil {
			c.log.Warn("index: recording the failed read in the shared store failed", "source", s.src, "error", ferr)
		}
	}
	return err
}

// loadShared serves what the shared store holds for s when it differs
// from what s serves: new entries, a newer read time, a read failure.
func (c *Catalog) loadShared(ctx context.Context, s *sourceIndex) error {
	sh := c.idx.shared
	sh.mu.Lock()
	defer sh.mu.Unlock()
	st, err := sh.store.Fetch(ctx, s.src, sh.etags[s.src])
	if err != nil || st == nil {
		return err
	}
	var lastErr error
	if st.Err != "" {
		lastErr = &registry.Error{Kind: registry.ErrUnavailable, Message: st.Err}
	}
	s.mu.Lock()
	cur := s.snap
	changed := false
	switch {
	case st.Snapshot != nil:
		s.snap, changed = st.Snapshot, true
	case cur != nil && !cur.ReadAt.Equal(st.ReadAt):
		s.snap, changed = &Snapshot{Source: s.src, ReadAt: st.ReadAt, Entries: cur.Entries}, true
	}
	if (s.lastErr == nil) != (lastErr == nil) || (lastErr != nil && s.lastErr.Error() != lastErr.Error()) {
		s.lastErr, s.failedAt, changed = lastErr, st.FailedAt, true
	}
	s.mu.Unlock()
	if st.Snapshot != nil {
		sh.etags[s.src] = st.ETag
		sh.signalApplied(s.src)
	}
	if changed {
		c.rebuild()
	}
	return nil
}

// loadFirst loads the stored snapshot of s for a partial refresh of a
// source this replica has not read yet (Refresh), and reports whether s
// has one now. Without a shared store it reports false.
func (c *Catalog) loadFirst(ctx context.Context, s *sourceIndex) bool {
	if c.idx.shared == nil {
		return false
	}
	_ = c.loadShared(ctx, s)
	snap, _, _ := s.state()
	return snap != nil
}

// leaseForMerge prepares a partial refresh of s (Refresh): it waits, at
// most mergeWait, for the refresh of s, then loads the latest stored
// snapshot so that the refresh merges into what every replica serves. It
// returns the context to store under and the function that ends the
// lease. When the store cannot be reached, the refresh is merged into what
// this replica has.
func (c *Catalog) leaseForMerge(ctx context.Context, s *sourceIndex) (context.Context, func()) {
	sh := c.idx.shared
	if sh == nil {
		return ctx, func() {}
	}
	deadline := time.Now().Add(mergeWait)
	for {
		lease, retry, err := sh.store.Claim(ctx, s.src, 0)
		if err != nil {
			level := slog.LevelWarn
			if sh.down() {
				level = slog.LevelDebug // the outage is logged once, by watchShared
			}
			c.log.Log(ctx, level, "index: the shared store is unreachable; the refresh is served by this replica only", "source", s.src, "error", err)
			return ctx, func() {}
		}
		if lease != nil {
			if err := c.loadShared(lease.Context(), s); err != nil {
				c.log.Warn("index: loading the shared snapshot before a refresh failed", "source", s.src, "error", err)
			}
			return lease.Context(), lease.Release
		}
		if time.Now().After(deadline) {
			c.log.Warn("index: another replica held the refresh too long; merging into this replica's snapshot", "source", s.src)
			return ctx, func() {}
		}
		t := time.NewTimer(min(retry, 50*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx, func() {}
		case <-t.C:
		}
	}
}

// watchShared loads what other replicas store, as soon as the store tells
// and every SharedPollInterval, and records whether the store answers.
// When it answers again after failing, every source is read (or loaded)
// at once, so that the replicas catch up.
func (c *Catalog) watchShared(ctx context.Context) {
	sh := c.idx.shared
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		sh.store.Watch(ctx, func(src registry.Source) {
			if s := c.idx.source(src); s != nil {
				_ = c.loadShared(ctx, s)
			}
		})
	}()
	defer func() { <-watching }()
	t := time.NewTicker(SharedPollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		var errs []error
		for _, s := range c.idx.sources {
			if err := c.loadShared(ctx, s); err != nil {
				errs = append(errs, err)
				break
			}
		}
		err := errors.Join(errs...)
		sh.healthMu.Lock()
		recovered := sh.polled && sh.healthErr != nil && err == nil
		if (sh.healthErr == nil) != (err == nil) {
			if err != nil {
				c.log.Warn("index: the shared store is unreachable; serving what this replica has", "store", sh.store.Name(), "error", err)
			} else {
				c.log.Info("index: the shared store is reachable again", "store", sh.store.Name())
			}
		}
		sh.healthErr, sh.polled = err, true
		sh.healthMu.Unlock()
		if recovered {
			for _, s := range c.idx.sources {
				select {
				case s.trigger <- struct{}{}:
				default:
				}
			}
		}
	}
}

// down reports whether the last poll of the store failed.
func (sh *sharedIndex) down() bool {
	sh.healthMu.Lock()
	defer sh.healthMu.Unlock()
	return sh.healthErr != nil
}

// ComponentHealth is the state of one component the registry depends on
// besides its backends (the shared index store).
type ComponentHealth struct {
	Healthy bool
	// Error is why it is unhealthy, safe to show.
	Error string
}

// Components returns the health of the shared index store by its name
// (as of its last poll), or nil without one.
func (c *Catalog) Components() map[string]ComponentHealth {
	if c.idx == nil || c.idx.shared == nil {
		return nil
	}
	sh := c.idx.shared
	sh.healthMu.Lock()
	defer sh.healthMu.Unlock()
	h := ComponentHealth{Healthy: sh.healthErr == nil}
	if sh.healthErr != nil {
		h.Error = "The shared index store is unreachable: " + describe(sh.healthErr)
	}
	return map[string]ComponentHealth{sh.store.Name(): h}
}
