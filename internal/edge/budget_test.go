package edge

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestBudgetEndsLazilyStartedOrNot: the budget ends the context whether
// Done was asked for before its end (the timer closes it) or not (Err
// and a later Done report it); lift keeps it open; the parent's end
// propagates.
func TestBudgetEndsLazilyStartedOrNot(t *testing.T) {
	const d = 30 * time.Millisecond
	t.Run("Done first", func(t *testing.T) {
		c := withBudget(context.Background(), d)
		defer c.release()
		select {
		case <-c.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("Done was not closed when the budget ran out")
		}
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v, want DeadlineExceeded", c.Err())
		}
	})
	t.Run("Err without Done", func(t *testing.T) {
		c := withBudget(context.Background(), d)
		defer c.release()
		if c.Err() != nil {
			t.Fatalf("Err = %v before the budget ran out", c.Err())
		}
		time.Sleep(2 * d)
		if !errors.Is(c.Err(), context.DeadlineExceeded) {
			t.Errorf("Err = %v, want DeadlineExceeded", c.Err())
		}
		select {
		case <-c.Done():
		default:
			t.Error("Done asked after the budget ran out is not closed")
		}
	})
	t.Run("lifted", func(t *testing.T) {
		c := withBudget(context.Background(), d)
		defer c.release()
		_ = c.Done()
		c.lift()
		time.Sleep(2 * d)
		if c.Err() != nil {
			t.Errorf("Err = %v after lift", c.Err())
		}
	})
	t.Run("parent ends", func(t *testing.T) {
		parent, cancel := context.WithCancel(context.Background())
		c := withBudget(parent, time.Hour)
		defer c.release()
		done := c.Done()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("Done was not closed when the parent ended")
		}
		if !errors.Is(c.Err(), context.Canceled) {
			t.Errorf("Err = %v, want Canceled", c.Err())
		}
		// A context derived from it ends with it too.
		p2, cancel2 := context.WithCancel(context.Background())
		c2 := withBudget(p2, time.Hour)
		defer c2.release()
		child, stop := context.WithCancel(c2)
		defer stop()
		cancel2()
		select {
		case <-child.Done():
		case <-time.After(5 * time.Second):
			t.Fatal("a derived context did not end with its parent")
		}
	})
}
