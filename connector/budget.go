package connector

import (
	"context"
	"fmt"
	"sync/atomic"
)

// DefaultMaxUpstreamCalls is the upstream-call budget of one request when
// Options.MaxUpstreamCalls is zero: enough to list MaxOrganizations
// organizations of a few dozen repositories each, far below what one
// request could otherwise make the registry send (a crawl of everything
// the credentials see).
const DefaultMaxUpstreamCalls = 500

// callBudget counts the upstream calls one request may still make. Every
// call made for the request — redirects and token exchanges included —
// takes one, whichever backend or cache load makes it.
type callBudget struct {
	max  int64
	used atomic.Int64
}

type budgetKey struct{}

// withBudget returns ctx carrying a fresh budget of max calls.
func withBudget(ctx context.Context, max int) context.Context {
	return context.WithValue(ctx, budgetKey{}, &callBudget{max: int64(max)})
}

// take spends one call of ctx's budget; the error says the budget is spent.
// A context without a budget (a call made for no request) is not limited.
func take(ctx context.Context) error {
	b, ok := ctx.Value(budgetKey{}).(*callBudget)
	if !ok {
		return nil
	}
	if b.used.Add(1) > b.max {
		return &budgetError{max: b.max}
	}
	return nil
}

// budgetError is a request that needed more upstream calls than its budget.
type budgetError struct{ max int64 }

func (e *budgetError) Error() string {
	return fmt.Sprintf("answering needs more than %d calls to the tool (the per-request budget): ask for less, e.g. fewer organizations or a type filter", e.max)
}
