package catalog

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestMaxStaleMessageTime: the 503 past index.max_stale names when the last
// good read was, and stays true while the same view is reused (it used to
// give the age computed when the view was built: "0s ago" a minute later).
func TestMaxStaleMessageTime(t *testing.T) {
	f := indexFixture()
	c := newIndexedCatalog(t, IndexOptions{MaxStale: 200 * time.Millisecond}, f)
	ctx := context.Background()
	readBy := time.Now()
	f.err = registry.Errorf(registry.ErrUnavailable, "registry down")
	if err := c.RefreshSource(ctx, registry.SourceOCI); err == nil {
		t.Fatal("a read of a failing backend succeeded")
	}
	time.Sleep(300 * time.Millisecond)
	var msgs []string
	for range 2 {
		_, err := c.Get(ctx, registry.Taskserv, "kubernetes")
		var re *registry.Error
		if !errors.As(err, &re) || !errors.Is(err, registry.ErrUnavailable) {
			t.Fatalf("Get past max_stale = %v, want an ErrUnavailable *registry.Error", err)
		}
		msgs = append(msgs, re.Message)
		time.Sleep(1100 * time.Millisecond)
	}
	for _, m := range msgs {
		_, rest, ok := strings.Cut(m, "last good read at ")
		if !ok {
			t.Fatalf("message %q does not say when the last good read was", m)
		}
		at, err := time.Parse(time.RFC3339, strings.Fields(rest)[0])
		if err != nil {
			t.Fatalf("message %q: read time: %v", m, err)
		}
		if at.After(readBy) || readBy.Sub(at) > time.Minute {
			t.Errorf("message %q: read at %v, want about %v", m, at, readBy)
		}
		if strings.Contains(m, "s ago") {
			t.Errorf("message %q gives an age that goes stale with the view", m)
		}
	}
}
