package catalog

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestJoinerOfACancelledCallAsksAgain: a request that joins a shared call
// just after its last earlier waiter left (so the call was cancelled but
// has not returned yet) gets an answer of its own, not that call's
// context.Canceled (seen as a 500 of the ConnectorClass API when a
// request followed one that had timed out on the same key).
func TestJoinerOfACancelledCallAsksAgain(t *testing.T) {
	c := NewCache(10, time.Minute, nil)
	key := Key{Kind: KindMetadata, Type: registry.Provider, Name: "aws"}
	var calls atomic.Int32
	started, cancelled, release := make(chan struct{}), make(chan struct{}), make(chan struct{})
	fn := func(ctx context.Context) (string, bool, error) {
		if calls.Add(1) == 1 {
			close(started)
			<-ctx.Done()
			close(cancelled)
			<-release // still in flight after its cancellation
			return "", false, ctx.Err()
		}
		return "fresh", true, nil
	}

	actx, acancel := context.WithCancel(context.Background())
	errA := make(chan error, 1)
	go func() { _, err := load(actx, c, key, fn); errA <- err }()
	<-started
	acancel()
	<-cancelled
	if err := <-errA; err == nil {
		t.Fatal("the first caller got an answer although it left")
	}

	type result struct {
		v   string
		err error
	}
	b := make(chan result, 1)
	go func() { v, err := load(context.Background(), c, key, fn); b <- result{v, err} }()
	// Let the second caller join the cancelled call still in flight; if it
	// has not joined yet it simply starts its own call.
	time.Sleep(50 * time.Millisecond)
	close(release)
	select {
	case r := <-b:
		if r.err != nil || r.v != "fresh" {
			t.Fatalf("second caller = %q, %v; want its own answer", r.v, r.err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("second caller never answered")
	}
}
