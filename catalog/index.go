package catalog

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// IndexOptions turns on the background index (contract §8): every source
// is read at start and every Interval, and reads are answered from what
// the last good read found.
type IndexOptions struct {
	// Interval is the time between two reads of a source; zero means one
	// minute.
	Interval time.Duration
	// MaxStale is how long the last good read of a source is served while
	// its reads fail; past it, what needs that source answers
	// ErrUnavailable. Zero means 24 hours.
	MaxStale time.Duration
	// Concurrency bounds the calls a read makes to one backend at a time;
	// zero means 8.
	Concurrency int
	// Store keeps the snapshots; nil means NewMemoryStore().
	Store IndexStore
	// Fingerprints, per source, return a cheap summary of the source's
	// state (for the embedded store: the size and time of every
	// index.json). It is polled every PollInterval; a change reads the
	// source at once, so that a publish shows up within a second.
	Fingerprints map[registry.Source]func(context.Context) (string, error)
	// PollInterval is the time between two fingerprint polls; zero means
	// 250ms.
	PollInterval time.Duration
}

// readTimeout bounds one full read of a source.
const readTimeout = 10 * time.Minute

// sourceIndex is the index state of one source.
type sourceIndex struct {
	src registry.Source
	b   registry.Backend

	mu       sync.Mutex
	snap     *Snapshot
	lastErr  error     // of the last read, nil when it succeeded
	failedAt time.Time // when lastErr happened
	nextAt   time.Time // when the next periodic read is due
	reading  sync.Mutex
	trigger  chan struct{}
}

// state returns the snapshot, the last error and the next read's time.
func (s *sourceIndex) state() (*Snapshot, error, time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snap, s.lastErr, s.nextAt
}

// index is the background index of a Catalog.
type index struct {
	opts    IndexOptions
	sources []*sourceIndex // in precedence order

	viewMu sync.Mutex
	view   *view // replaced, never modified; read under viewMu or via current
	gen    uint64
	first  chan struct{} // closed once every source has been tried once
	tried  map[registry.Source]bool
	shared *sharedIndex // nil unless opts.Store is a SharedStore (sharedindex.go)
}

func newIndex(opts IndexOptions, backends []registry.Backend) *index {
	if opts.Interval <= 0 {
		opts.Interval = time.Minute
	}
	if opts.MaxStale <= 0 {
		opts.MaxStale = 24 * time.Hour
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = 8
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = 250 * time.Millisecond
	}
	if opts.Store == nil {
		opts.Store = NewMemoryStore()
	}
	shared := newSharedIndex(&opts)
	ix := &index{opts: opts, first: make(chan struct{}), tried: map[registry.Source]bool{}, shared: shared}
	for _, b := range backends {
		ix.sources = append(ix.sources, &sourceIndex{src: b.Source(), b: b, trigger: make(chan struct{}, 1)})
	}
	return ix
}

func (ix *index) source(src registry.Source) *sourceIndex {
	for _, s := range ix.sources {
		if s.src == src {
			return s
		}
	}
	return nil
}

// Run reads every source now and then every index interval, until ctx
// ends. A Catalog without an index returns at once. Call it once, in its
// own goroutine.
func (c *Catalog) Run(ctx context.Context) {
	if c.idx == nil {
		return
	}
	var wg sync.WaitGroup
	if c.idx.shared != nil {
		wg.Go(func() { c.watchShared(ctx) })
	}
	for _, s := range c.idx.sources {
		if snap, err := c.idx.opts.Store.Load(ctx, s.src); err == nil && snap != nil {
			s.mu.Lock()
			s.snap = snap
			s.mu.Unlock()
			c.rebuild()
		}
		wg.Go(func() { c.loop(ctx, s) })
		if fp := c.idx.opts.Fingerprints[s.src]; fp != nil {
			wg.Go(func() { c.poll(ctx, s, fp) })
		}
	}
	wg.Wait()
}

// loop reads s at once, then whenever it is due or triggered. After a
// failed read it tries again sooner (1s, doubling up to the interval).
func (c *Catalog) loop(ctx context.Context, s *sourceIndex) {
	retry := time.Second
	for {
		err := c.tick(ctx, s) // readSource, or a load of what another replica read
		c.idx.markTried(s.src)
		wait := c.idx.opts.Interval
		if err != nil && ctx.Err() == nil {
			wait = min(retry, wait)
			retry = min(2*retry, c.idx.opts.Interval)
		} else {
			retry = time.Second
		}
		s.mu.Lock()
		s.nextAt = time.Now().Add(wait)
		s.mu.Unlock()
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		case <-s.trigger:
			t.Stop()
		}
	}
}

// poll reads s whenever its fingerprint changes.
func (c *Catalog) poll(ctx context.Context, s *sourceIndex, fp func(context.Context) (string, error)) {
	last, _ := fp(ctx)
	t := time.NewTicker(c.idx.opts.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		cur, err := fp(ctx)
		if err != nil || cur == last {
			continue
		}
		last = cur
		select {
		case s.trigger <- struct{}{}:
		default:
		}
	}
}

func (ix *index) markTried(src registry.Source) {
	ix.viewMu.Lock()
	defer ix.viewMu.Unlock()
	if ix.tried[src] {
		return
	}
	ix.tried[src] = true
	if len(ix.tried) == len(ix.sources) {
		close(ix.first)
	}
}

// readSource reads every extension of s with its versions and, when that
// works, stores and serves the result; when it fails, the last good
// snapshot stays and the error is kept for Ready and Health.
func (c *Catalog) readSource(ctx context.Context, s *sourceIndex) error {
	s.reading.Lock()
	defer s.reading.Unlock()
	rctx, cancel := context.WithTimeout(ctx, readTimeout)
	defer cancel()
	start := time.Now()
	entries, err := c.readAll(rctx, s.b)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		s.mu.Lock()
		s.lastErr, s.failedAt = err, time.Now()
		s.mu.Unlock()
		c.log.Warn("index: reading the source failed; serving its last good read", "source", s.src, "error", err)
		c.rebuild()
		return err
	}
	snap := &Snapshot{Source: s.src, ReadAt: time.Now(), Entries: entries}
	c.store(ctx, s, snap)
	c.log.Debug("index: source read", "source", s.src, "extensions", len(entries), "took", time.Since(start))
	return nil
}

// store makes snap the snapshot of s and serves it.
func (c *Catalog) store(ctx context.Context, s *sourceIndex, snap *Snapshot) {
	s.mu.Lock()
	if s.snap != nil && sameEntries(s.snap.Entries, snap.Entries) {
		// Nothing changed: keep the entries the view was built from, so
		// that its generation (and every ETag) stays.
		snap.Entries = s.snap.Entries
	}
	s.mu.Unlock()
	if err := c.idx.opts.Store.Save(ctx, snap); err != nil {
		c.log.Warn("index: storing the snapshot failed; serving it from this process", "source", s.src, "error", err)
	}
	s.mu.Lock()
	s.snap, s.lastErr = snap, nil
	s.mu.Unlock()
	c.rebuild()
}

// RefreshSource reads src now, waits for the read and returns its error.
// It returns an ErrInvalid error for a source the catalog does not serve
// or a catalog without an index.
func (c *Catalog) RefreshSource(ctx context.Context, src registry.Source) error {
	s, err := c.indexed(src)
	if err != nil {
		return err
	}
	return c.readSource(ctx, s)
}

// Refresh re-reads now every extension called name in src (of every type)
// and serves the result at once; an extension that is gone is dropped. It
// is what change notifications (webhooks) call. A source that has never
// been read is read whole. It returns the backend's error, the snapshot
// staying as it was.
func (c *Catalog) Refresh(ctx context.Context, src registry.Source, name string) error {
	s, err := c.indexed(src)
	if err != nil {
		return err
	}
	s.mu.Lock()
	snap := s.snap
	s.mu.Unlock()
	if snap == nil && !c.loadFirst(ctx, s) {
		return c.tick(ctx, s)
	}
	// With a shared store, read and merge under the source's lock: two
	// refreshes of one name (two notifications, two replicas) then never
	// store an older read over a newer one.
	ctx, release := c.leaseForMerge(ctx, s)
	defer release()
	var fresh []Entry
	for _, typ := range registry.Types {
		e, found, err := c.readOne(ctx, s.b, typ, name)
		if err != nil {
			return fmt.Errorf("refresh %s/%s in %s: %w", typ, name, src, err)
		}
		if found {
			fresh = append(fresh, e)
		}
	}
	s.reading.Lock()
	defer s.reading.Unlock()
	s.mu.Lock()
	cur := s.snap
	s.mu.Unlock()
	next := &Snapshot{Source: src, ReadAt: cur.ReadAt, Entries: make([]Entry, 0, len(cur.Entries)+len(fresh))}
	for _, e := range cur.Entries {
		if e.Extension.Name != name {
			next.Entries = append(next.Entries, e)
		}
	}
	next.Entries = append(next.Entries, fresh...)
	c.store(ctx, s, next)
	return nil
}

func (c *Catalog) indexed(src registry.Source) (*sourceIndex, error) {
	if c.idx == nil {
		return nil, registry.Errorf(registry.ErrInvalid, "The catalog has no index")
	}
	s := c.idx.source(src)
	if s == nil {
		return nil, registry.Errorf(registry.ErrInvalid, "The %s source is not served", src)
	}
	return s, nil
}

// WaitIndexed waits until every source has been read at least once,
// successfully or not, or until ctx ends. It is meant for start-up logs
// and tests. A catalog without an index returns at once.
func (c *Catalog) WaitIndexed(ctx context.Context) error {
	if c.idx == nil {
		return nil
	}
	select {
	case <-c.idx.first:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Ready returns nil once every source has been read successfully at least
// once and none is past index.max_stale; else an error that names the
// source and why. A catalog without an index is always ready.
func (c *Catalog) Ready() error {
	if c.idx == nil {
		return nil
	}
	var errs []error
	for _, s := range c.idx.sources {
		snap, lastErr, _ := s.state()
		switch {
		case snap == nil && lastErr != nil:
			errs = append(errs, fmt.Errorf("source %s has not been read yet: %w", s.src, lastErr))
		case snap == nil:
			errs = append(errs, fmt.Errorf("source %s has not been read yet", s.src))
		case lastErr != nil && time.Since(snap.ReadAt) > c.idx.opts.MaxStale:
			errs = append(errs, fmt.Errorf("source %s: last good read %s ago, past index.max_stale (%s): %w",
				s.src, time.Since(snap.ReadAt).Round(time.Second), c.idx.opts.MaxStale, lastErr))
		}
	}
	return errors.Join(errs...)
}
