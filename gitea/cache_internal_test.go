package gitea

import (
	"testing"
	"time"
)

// TestReleaseCacheRereadsFurtherPages: the further pages of a release
// list are reused only within fullRereadAfter of their last full read; a
// single page is reused whatever its age; another signature or another
// repository ID is never reused.
func TestReleaseCacheRereadsFurtherPages(t *testing.T) {
	c := newReleaseCache()
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return now }
	r := repository{id: 7, owner: "Org", name: "aws_prov", ext: "aws", typ: "provider"}
	rels := []release{{tag: "v1.0.0"}}
	c.storeReleases(r, "sig", rels)

	if got, ok := c.releases(r, "sig", true); !ok || len(got) != 1 {
		t.Errorf("fresh entry not reused")
	}
	if _, ok := c.releases(r, "other", false); ok {
		t.Errorf("another first page reused the entry")
	}
	again := r
	again.id = 8
	if _, ok := c.releases(again, "sig", false); ok {
		t.Errorf("a repository created again (new ID) reused the entry")
	}
	now = now.Add(fullRereadAfter)
	if _, ok := c.releases(r, "sig", true); ok {
		t.Errorf("further pages reused %s after their last full read", fullRereadAfter)
	}
	if _, ok := c.releases(r, "sig", false); !ok {
		t.Errorf("a single page, unchanged, was not reused")
	}
	if got, ok := c.known(r); !ok || len(got) != 1 {
		t.Errorf("known() lost the entry")
	}
}
