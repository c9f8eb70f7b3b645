package registry

import (
	"context"
	"time"
)

// Indexer is implemented by backends that can read every extension
// together with all its versions in one pass, cheaper than List followed by
// Versions for each extension. The catalog's background index uses it when
// a backend has it. Errors are those of List.
type Indexer interface {
	ListVersions(ctx context.Context) ([]ExtensionVersions, error)
}

// ExtensionVersions is one extension, described by its current version,
// and all its versions, newest first (as Versions returns them).
type ExtensionVersions struct {
	Extension Extension
	Versions  []Version
}

// RetryAfterError is implemented by errors of kind ErrRateLimited that
// know how long the backend asked the registry to wait (its Retry-After).
type RetryAfterError interface {
	error
	RetryAfter() time.Duration
}
