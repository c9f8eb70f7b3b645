package redisindex

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// newStore returns a Store over r's database 0, closed when the test ends.
func newStore(t *testing.T, r *testserver.Redis, id string, expiry time.Duration) *Store {
	t.Helper()
	s, err := New(Options{URL: r.URL(0), ID: id, LockExpiry: expiry})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func snapshot(versions ...string) *catalog.Snapshot {
	published := time.Date(2026, 1, 2, 3, 4, 5, 0, time.FixedZone("CET", 3600))
	e := catalog.Entry{Extension: registry.Extension{Name: "aws", Type: registry.Provider, Version: versions[0], Source: registry.SourceOCI, PublishedAt: published, Tags: []string{"cloud"}}}
	for _, v := range versions {
		e.Versions = append(e.Versions, registry.Version{Version: v, PublishedAt: published, Checksum: "sha256:00", Size: 3, Ref: "v" + v, Prerelease: strings.Contains(v, "-")})
		e.Refs = append(e.Refs, "v"+v)
	}
	return &catalog.Snapshot{Source: registry.SourceOCI, ReadAt: time.Now().Round(0), Entries: []catalog.Entry{e}}
}

// TestPutFetchKeepEverythingAServedAnswerNeeds: what one replica stores,
// another fetches unchanged — refs and pre-release marks included, which
// registry.Version does not encode — with one ETag; the same entries
// stored again keep ETag and generation, new ones bump the generation.
func TestPutFetchKeepEverythingAServedAnswerNeeds(t *testing.T) {
	r := testserver.StartRedis(t)
	a, b := newStore(t, r, "a", 0), newStore(t, r, "b", 0)
	ctx := t.Context()
	if st, err := b.Fetch(ctx, registry.SourceOCI, ""); err != nil || st != nil {
		t.Fatalf("empty store: %v %v, want nothing", st, err)
	}
	snap := snapshot("2.0.0-rc.1", "1.0.0")
	etag, err := a.Put(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	st, err := b.Fetch(ctx, registry.SourceOCI, "")
	if err != nil || st == nil || st.Snapshot == nil {
		t.Fatalf("fetch: %v %v", st, err)
	}
	if st.ETag != etag || st.Generation != 1 || !st.ReadAt.Equal(snap.ReadAt) || st.Err != "" {
		t.Errorf("stored etag %q gen %d read %v err %q; want %q 1 %v", st.ETag, st.Generation, st.ReadAt, st.Err, etag, snap.ReadAt)
	}
	got := st.Snapshot.Entries[0]
	want := snap.Entries[0]
	if !got.Extension.PublishedAt.Equal(want.Extension.PublishedAt) {
		t.Errorf("published %v, want %v", got.Extension.PublishedAt, want.Extension.PublishedAt)
	}
	for i := range got.Versions {
		g, w := got.Versions[i], want.Versions[i]
		if g.Version != w.Version || g.Ref != w.Ref || g.Prerelease != w.Prerelease || g.Checksum != w.Checksum || !g.PublishedAt.Equal(w.PublishedAt) {
			t.Errorf("version %d: %+v, want %+v", i, g, w)
		}
	}
	if !reflect.DeepEqual(got.Refs, want.Refs) {
		t.Errorf("refs %v, want %v", got.Refs, want.Refs)
	}
	if st, _ := b.Fetch(ctx, registry.SourceOCI, etag); st == nil || st.Snapshot != nil {
		t.Errorf("fetch with the current etag: %+v, want no snapshot", st)
	}

	again := snapshot("2.0.0-rc.1", "1.0.0")
	again.ReadAt = snap.ReadAt.Add(time.Minute)
	if e2, err := a.Put(ctx, again); err != nil || e2 != etag {
		t.Fatalf("same entries: etag %q %v, want %q", e2, err, etag)
	}
	if st, _ := b.Fetch(ctx, registry.SourceOCI, etag); st.Generation != 1 || !st.ReadAt.Equal(again.ReadAt) {
		t.Errorf("same entries stored again: gen %d read %v, want 1 %v", st.Generation, st.ReadAt, again.ReadAt)
	}
	if e3, _ := a.Put(ctx, snapshot("1.1.0", "1.0.0")); e3 == etag {
		t.Error("new entries kept the etag")
	}
	if st, _ := b.Fetch(ctx, registry.SourceOCI, etag); st.Generation != 2 || st.Snapshot == nil || st.Snapshot.Entries[0].Versions[0].Version != "1.1.0" {
		t.Errorf("new entries: %+v", st)
	}
}

// TestClaimIsExclusiveFreshAndReleased: one replica at a time holds a
// source's refresh; another is told how long the claim has left; after a
// whole read the source is fresh (nobody reads it again within the
// interval) and a release lets the next claim in at once.
func TestClaimIsExclusiveFreshAndReleased(t *testing.T) {
	r := testserver.StartRedis(t)
	a, b := newStore(t, r, "a", 5*time.Second), newStore(t, r, "b", 5*time.Second)
	ctx := t.Context()
	la, _, err := a.Claim(ctx, registry.SourceOCI, time.Second)
	if err != nil || la == nil {
		t.Fatalf("first claim: %v %v", la, err)
	}
	if holder, _ := b.Holder(ctx, registry.SourceOCI); holder != "a" {
		t.Errorf("holder %q, want a", holder)
	}
	lb, retry, err := b.Claim(ctx, registry.SourceOCI, time.Second)
	if err != nil || lb != nil || retry <= 0 || retry > 5*time.Second {
		t.Fatalf("second claim: %v retry %v %v; want refused with the lock's time left", lb, retry, err)
	}
	// Another source is not held.
	if lg, _, _ := b.Claim(ctx, registry.SourceGitea, 0); lg == nil {
		t.Error("claim of another source refused")
	} else {
		lg.Release()
	}
	if _, err := a.Put(la.Context(), snapshot("1.0.0")); err != nil {
		t.Fatal(err)
	}
	la.Release()
	if la.Context().Err() == nil {
		t.Error("a released lease's context has not ended")
	}
	if holder, _ := b.Holder(ctx, registry.SourceOCI); holder != "" {
		t.Errorf("holder %q after release, want none", holder)
	}
	if lb, retry, _ := b.Claim(ctx, registry.SourceOCI, time.Second); lb != nil || retry != 0 {
		t.Fatalf("whole read just after one: %v retry %v; want refused as fresh", lb, retry)
	}
	// A partial refresh (a webhook's) does not wait for the interval.
	lp, _, err := b.Claim(ctx, registry.SourceOCI, 0)
	if err != nil || lp == nil {
		t.Fatalf("partial claim: %v %v", lp, err)
	}
	lp.Release()
	time.Sleep(1100 * time.Millisecond)
	if lb, _, _ := b.Claim(ctx, registry.SourceOCI, time.Second); lb == nil {
		t.Fatal("whole read after the interval refused")
	} else {
		lb.Release()
	}
}

// TestDeadHoldersLockLapses: a replica that holds the refresh and then
// cannot reach Redis (dead, partitioned) keeps it at most one lock expiry;
// its lease ends, and what it stores after that is refused, so that it
// cannot overwrite its successor's read.
func TestDeadHoldersLockLapses(t *testing.T) {
	r := testserver.StartRedis(t)
	const expiry = 600 * time.Millisecond
	a, b := newStore(t, r, "a", expiry), newStore(t, r, "b", expiry)
	ctx := t.Context()
	la, _, err := a.Claim(ctx, registry.SourceOCI, 0)
	if err != nil || la == nil {
		t.Fatal(err)
	}
	// Held across several expiries while a lives: it is extended.
	time.Sleep(2 * expiry)
	if lb, _, _ := b.Claim(ctx, registry.SourceOCI, 0); lb != nil {
		t.Fatal("b took a lock a still extends")
	}
	_ = a.Close() // a can no longer extend nor release
	dead := time.Now()
	var lb catalog.Lease
	for lb == nil {
		if time.Since(dead) > 2*expiry {
			t.Fatalf("b has not taken over %v after a died (lock expiry %v)", time.Since(dead), expiry)
		}
		var retry time.Duration
		if lb, retry, err = b.Claim(ctx, registry.SourceOCI, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(min(retry, 20*time.Millisecond))
	}
	t.Logf("b took over %v after a stopped (lock expiry %v)", time.Since(dead).Round(time.Millisecond), expiry)
	defer lb.Release()
	select {
	case <-la.Context().Done():
	case <-time.After(2 * expiry):
		t.Error("a's lease did not end although it could not extend its lock")
	}

	// A stale holder's write is refused; b's stands.
	c := newStore(t, r, "c", expiry)
	lc, _, _ := c.Claim(ctx, registry.SourceGitea, 0)
	if lc == nil {
		t.Fatal("claim of gitea refused")
	}
	if err := c.rdb.Del(ctx, c.lockKey(registry.SourceGitea)).Err(); err != nil { // its lock lapsed
		t.Fatal(err)
	}
	ld, _, _ := b.Claim(ctx, registry.SourceGitea, 0)
	if ld == nil {
		t.Fatal("successor's claim refused")
	}
	defer ld.Release()
	gsnap := snapshot("1.0.0")
	gsnap.Source = registry.SourceGitea
	if _, err := c.Put(lc.Context(), gsnap); err == nil || !strings.Contains(err.Error(), "lapsed") {
		t.Errorf("put after the lock lapsed: %v, want refused", err)
	}
	if st, _ := b.Fetch(ctx, registry.SourceGitea, ""); st != nil {
		t.Errorf("a lapsed holder's snapshot was stored: %+v", st)
	}
	lc.Release() // deletes nothing: the lock is ld's
	if holder, _ := b.Holder(ctx, registry.SourceGitea); holder != "b" {
		t.Errorf("holder %q after the stale holder released, want b", holder)
	}
}

// TestWatchTellsOfEveryStore: a replica subscribed to the channel hears
// of a Put by another at once.
func TestWatchTellsOfEveryStore(t *testing.T) {
	r := testserver.StartRedis(t)
	a, b := newStore(t, r, "a", 0), newStore(t, r, "b", 0)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	heard := make(chan registry.Source, 4)
	go b.Watch(ctx, func(src registry.Source) { heard <- src })
	deadline := time.Now().Add(5 * time.Second)
	for {
		if _, err := a.Put(ctx, snapshot("1.0.0")); err != nil {
			t.Fatal(err)
		}
		select {
		case src := <-heard:
			if src != registry.SourceOCI {
				t.Fatalf("heard of %q, want oci", src)
			}
			return
		case <-time.After(200 * time.Millisecond): // the subscription may not be up yet
		}
		if time.Now().After(deadline) {
			t.Fatal("no message within 5s")
		}
	}
}

// TestUnreachableRedisFailsFast: with Redis down, calls fail with an
// error naming Redis (and never the URL's password); New itself does not
// connect.
func TestUnreachableRedisFailsFast(t *testing.T) {
	s, err := New(Options{URL: "redis://:s3cret-pw@" + testserver.ClosedAddr(t) + "/0"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	start := time.Now()
	_, _, err = s.Claim(t.Context(), registry.SourceOCI, time.Second)
	if err == nil || !strings.Contains(err.Error(), "redis") || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("claim with Redis down: %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("claim took %v with Redis refusing connections", time.Since(start))
	}
	if _, err := New(Options{URL: "http://:s3cret-pw@host/"}); err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("bad URL: %v", err)
	}
}
