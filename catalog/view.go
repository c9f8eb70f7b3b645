package catalog

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"sync"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// view is the merged index of every source at one moment: built when a
// snapshot changes, then only read. Lookups in it make no backend call.
type view struct {
	gen uint64
	sig string // what the view was built from; equal signatures, equal views
	// firstUnread is the precedence rank of the first source that has no
	// snapshot yet (len(sources) when every source has one): answers that
	// depend on it or a later source are not the index's to give.
	firstUnread int
	nsources    int
	// byKey is the owner of every "type/name": the first source in
	// precedence order whose snapshot holds it.
	byKey map[string]owner
	// expired holds, per source past index.max_stale, the error to answer.
	expired map[registry.Source]error
	// staleAt is when a failing source passes index.max_stale, so that the
	// view must be rebuilt; zero when none is failing. Read and written
	// under the index's viewMu.
	staleAt time.Time
	// list is every served extension, sorted by name then type; docs holds
	// the lower-case text search looks at, one per list entry.
	list     []registry.Extension
	docs     []searchDoc
	filtered sync.Map // Filter → []int (indexes into list)
	// corpus is every document's text end to end, starts where each
	// begins (see buildCorpus).
	corpus   string
	starts   []int32
	shadowed map[string]bool
}

// owner is the source that serves one extension and its index entry.
type owner struct {
	src   registry.Source
	rank  int
	entry *Entry
}

// searchDoc is what search matches an extension against, in lower case.
type searchDoc struct {
	name, desc string
	tags       []string
}

// current returns the view to answer from, rebuilding it when a failing
// source has passed index.max_stale since it was built. It is nil without
// an index.
func (c *Catalog) current() *view {
	if c.idx == nil {
		return nil
	}
	c.idx.viewMu.Lock()
	v := c.idx.view
	expired := v == nil || (!v.staleAt.IsZero() && time.Now().After(v.staleAt))
	c.idx.viewMu.Unlock()
	if expired {
		return c.rebuild()
	}
	return v
}

// rebuild builds the view from the sources' snapshots and returns it. A
// view built from the same snapshots and expiries as the current one keeps
// its generation (and so its ETags and encoded answers).
func (c *Catalog) rebuild() *view {
	ix := c.idx
	ix.viewMu.Lock()
	defer ix.viewMu.Unlock()
	now := time.Now()
	v := &view{firstUnread: len(ix.sources), nsources: len(ix.sources), byKey: map[string]owner{}, expired: map[registry.Source]error{}, shadowed: map[string]bool{}}
	snaps := make([]*Snapshot, len(ix.sources))
	var sig strings.Builder
	for i, s := range ix.sources {
		snap, lastErr, _ := s.state()
		snaps[i] = snap
		if snap == nil {
			v.firstUnread = min(v.firstUnread, i)
			fmt.Fprintf(&sig, "%s:none;", s.src)
			continue
		}
		expired := false
		if lastErr != nil {
			if until := snap.ReadAt.Add(ix.opts.MaxStale); now.After(until) {
				expired = true
				v.expired[s.src] = &registry.Error{
					Kind: registry.ErrUnavailable,
					// The time of the read, not its age: this view (and
					// the message) is reused until the sources change.
					Message: fmt.Sprintf("The %s source has failed since its last good read at %s (more than index.max_stale ago): %s",
						s.src, snap.ReadAt.UTC().Format(time.RFC3339), describe(lastErr)),
					Err: lastErr,
				}
			} else if v.staleAt.IsZero() || until.Before(v.staleAt) {
				v.staleAt = until
			}
		}
		fmt.Fprintf(&sig, "%s:%p:%d:%t;", s.src, snap.Entries, len(snap.Entries), expired)
	}
	if prev := ix.view; prev != nil && prev.sig == sig.String() {
		prev.staleAt = v.staleAt
		return prev
	}
	v.sig = sig.String()
	for i, snap := range snaps {
		if snap == nil {
			continue
		}
		_, expired := v.expired[ix.sources[i].src]
		for j := range snap.Entries {
			e := &snap.Entries[j]
			key := e.Extension.Key()
			if o, dup := v.byKey[key]; dup {
				v.shadowed[key] = true
				if ix.view == nil || !ix.view.shadowed[key] {
					c.log.Info("extension shadowed by a higher-precedence source",
						"extension", key, "served_from", o.src, "shadowed", ix.sources[i].src)
				}
				continue
			}
			v.byKey[key] = owner{src: ix.sources[i].src, rank: i, entry: e}
			if !expired {
				v.list = append(v.list, e.Extension)
			}
		}
	}
	sort.SliceStable(v.list, func(i, j int) bool {
		if v.list[i].Name != v.list[j].Name {
			return v.list[i].Name < v.list[j].Name
		}
		return v.list[i].Type < v.list[j].Type
	})
	v.docs = make([]searchDoc, len(v.list))
	for i, e := range v.list {
		d := searchDoc{name: strings.ToLower(e.Name), desc: strings.ToLower(e.Description)}
		for _, t := range e.Tags {
			d.tags = append(d.tags, strings.ToLower(t))
		}
		v.docs[i] = d
	}
	v.buildCorpus()
	ix.gen++
	v.gen = ix.gen
	ix.view = v
	if v.firstUnread == len(ix.sources) {
		c.setGauge(v.list)
	}
	return v
}

// sameEntries reports whether two reads found the same thing.
func sameEntries(a, b []Entry) bool { return reflect.DeepEqual(a, b) }

// lookup answers where typ/name comes from. handled is false when the
// index cannot say (a source it depends on has not been read yet); err is
// a not-found when a complete index does not hold it, and the expiry error
// when its owner is past index.max_stale.
func (v *view) lookup(typ registry.Type, name string) (o owner, err error, handled bool) {
	o, ok := v.byKey[string(typ)+"/"+name]
	if !ok {
		if v.firstUnread < v.nsources {
			return owner{}, nil, false
		}
		if err := v.anyExpired(); err != nil {
			return owner{}, err, true
		}
		return owner{}, &registry.Error{Kind: registry.ErrNotFound, Message: fmt.Sprintf("Extension %s/%s not found", typ, registry.Excerpt(name))}, true
	}
	if o.rank > v.firstUnread {
		return owner{}, nil, false
	}
	if err := v.expired[o.src]; err != nil {
		return owner{}, err, true
	}
	return o, nil, true
}

// anyExpired returns the error of a source past index.max_stale, or nil.
func (v *view) anyExpired() error {
	for _, err := range v.expired {
		return err
	}
	return nil
}
