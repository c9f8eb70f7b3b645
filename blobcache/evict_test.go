package blobcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// fill puts data into c through a backend that must be called.
func fill(tb testing.TB, c *Cache, data []byte) string {
	tb.Helper()
	digest := testserver.Digest(data)
	b := &backend{data: data}
	if got, err := readAll(tb, c, digest, int64(len(data)), b.open); err != nil || !bytes.Equal(got, data) {
		tb.Fatalf("fill: %d bytes, %v", len(got), err)
	}
	return digest
}

// cached reports whether c serves digest from disk.
func cached(tb testing.TB, c *Cache, digest string) bool {
	tb.Helper()
	f, _, ok := c.Get(digest)
	if ok {
		f.Close()
	}
	return ok
}

func TestEvictsLeastRecentlyUsedBeyondMaxSize(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 3000)
	var digests []string
	for range 3 {
		digests = append(digests, fill(t, c, randomBlob(t, 1000)))
	}
	// Using the oldest makes the second one the least recently used.
	if !cached(t, c, digests[0]) {
		t.Fatal("first blob not cached")
	}
	digests = append(digests, fill(t, c, randomBlob(t, 1000)))
	want := map[int]bool{0: true, 1: false, 2: true, 3: true}
	for i, d := range digests {
		if got := cached(t, c, d); got != want[i] {
			t.Errorf("blob %d cached = %v, want %v", i, got, want[i])
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "sha256", digests[1][7:9], digests[1][7:])); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("evicted blob still on disk: %v", err)
	}
	s := c.Stats()
	if s.Entries != 3 || s.Bytes != 3000 || s.Evictions != 1 || s.MaxBytes != 3000 {
		t.Errorf("stats %+v", s)
	}
	// A file open for a download survives the eviction of its blob.
	f, _, ok := c.Get(digests[0])
	if !ok {
		t.Fatal("blob 0 not cached")
	}
	defer f.Close()
	fill(t, c, randomBlob(t, 2500)) // evicts everything else
	if cached(t, c, digests[0]) {
		t.Error("blob 0 still cached after a 2500-byte blob came in a 3000-byte cache")
	}
	if b, err := io.ReadAll(f); err != nil || len(b) != 1000 {
		t.Errorf("reading an evicted blob's open file: %d bytes, %v", len(b), err)
	}
}

func TestFillsInFlightReserveTheirSize(t *testing.T) {
	c := mustOpen(t, "", 3000)
	a := randomBlob(t, 2000)
	g := &gatedBackend{data: a, release: make(chan struct{})}
	rc, err := c.Stream(context.Background(), testserver.Digest(a), int64(len(a)), g.open)
	if err != nil {
		t.Fatal(err)
	}
	// A second blob that does not fit beside the fill in flight is
	// streamed from its backend, not cached.
	bData := randomBlob(t, 2000)
	b := &backend{data: bData}
	if got, err := readAll(t, c, testserver.Digest(bData), int64(len(bData)), b.open); err != nil || !bytes.Equal(got, bData) {
		t.Fatalf("second blob: %d bytes, %v", len(got), err)
	}
	if cached(t, c, testserver.Digest(bData)) {
		t.Error("a blob that did not fit beside a fill in flight was cached")
	}
	close(g.release)
	if got, err := io.ReadAll(rc); err != nil || !bytes.Equal(got, a) {
		t.Fatalf("first blob: %d bytes, %v", len(got), err)
	}
	rc.Close()
	if !cached(t, c, testserver.Digest(a)) {
		t.Error("first blob not cached")
	}
}

func TestRestartKeepsBlobsAndDropsLeftovers(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 10_000)
	old := fill(t, c, randomBlob(t, 3000))
	mid := fill(t, c, randomBlob(t, 3000))
	recent := fill(t, c, randomBlob(t, 3000))
	// Give the blobs distinct ages, as hours of use would.
	now := time.Now()
	for i, d := range []string{old, mid, recent} {
		at := now.Add(time.Duration(i-3) * time.Hour)
		if err := os.Chtimes(c.blobPath(d[7:]), at, at); err != nil {
			t.Fatal(err)
		}
	}
	// Leftovers of a crash: a half-written fill and stray files.
	mustWrite(t, filepath.Join(dir, "tmp", old[7:]+"-123"), []byte("partial"))
	mustWrite(t, filepath.Join(dir, "sha256", "zz", "junk"), []byte("junk"))
	mustWrite(t, filepath.Join(dir, "sha256", "ab", "not-a-digest"), []byte("junk"))

	// Reopened smaller: the oldest blob no longer fits.
	c2 := mustOpen(t, dir, 6000)
	down := func(context.Context) (io.ReadCloser, error) { return nil, errors.New("backend down") }
	for _, d := range []string{mid, recent} {
		rc, err := c2.Stream(context.Background(), d, 3000, down)
		if err != nil {
			t.Fatalf("blob kept across the restart: %v", err)
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if testserver.Digest(got) != d {
			t.Errorf("blob %s differs after the restart", d)
		}
	}
	if cached(t, c2, old) {
		t.Error("the oldest blob survived a restart with room for two")
	}
	if left := append(blobFiles(t, dir, "tmp"), blobFiles(t, dir, "sha256")...); len(left) != 2 {
		t.Errorf("files after the restart: %v, want the two blobs", left)
	}
	if s := c2.Stats(); s.Entries != 2 || s.Bytes != 6000 {
		t.Errorf("stats %+v", s)
	}
}

func mustWrite(tb testing.TB, path string, data []byte) {
	tb.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o600); err != nil {
		tb.Fatal(err)
	}
}

func TestCollector(t *testing.T) {
	c := mustOpen(t, "", 3000)
	for range 4 {
		fill(t, c, randomBlob(t, 1000))
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(c.Collector())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]float64{}
	for _, f := range families {
		m := f.GetMetric()[0]
		if m.GetCounter() != nil {
			got[f.GetName()] = m.GetCounter().GetValue()
		} else {
			got[f.GetName()] = m.GetGauge().GetValue()
		}
	}
	want := map[string]float64{
		"blob_cache_hits_total": 0, "blob_cache_misses_total": 4, "blob_cache_fetches_total": 4,
		"blob_cache_failed_fills_total": 0, "blob_cache_evictions_total": 1,
		"blob_cache_bytes": 3000, "blob_cache_blobs": 3, "blob_cache_max_bytes": 3000,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
}

func TestHitsRenewTheOrderARestartRebuilds(t *testing.T) {
	dir := t.TempDir()
	c := mustOpen(t, dir, 10_000)
	a := fill(t, c, randomBlob(t, 3000))
	b := fill(t, c, randomBlob(t, 3000))
	now := time.Now()
	for i, d := range []string{a, b} { // a is the older
		at := now.Add(time.Duration(i-3) * time.Hour)
		if err := os.Chtimes(c.blobPath(d[7:]), at, at); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	c = mustOpen(t, dir, 10_000)
	down := func(context.Context) (io.ReadCloser, error) { return nil, errors.New("backend down") }
	rc, err := c.Stream(context.Background(), a, 3000, down) // a is now the most recent
	if err != nil {
		t.Fatal(err)
	}
	rc.Close()
	c.Close()
	c = mustOpen(t, dir, 3000) // room for one
	if !cached(t, c, a) || cached(t, c, b) {
		t.Errorf("after a hit on the older blob and a restart with room for one: a cached %v, b cached %v; want a only", cached(t, c, a), cached(t, c, b))
	}
}
