package catalog

import (
	"context"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

// SharedStore is a store of snapshots that several replicas share
// (contract §11; the Redis one is package redisindex). When
// IndexOptions.Store implements it, the index reads a source's backend only
// when the store grants this replica the source's refresh (Claim); else it
// loads what another replica stored, when it is told of a change (Watch)
// and at least every SharedPollInterval. N replicas then cost the backends
// what one does, and serve the same snapshots.
//
// Every method that talks to the store returns an error when it cannot be
// reached; the index then keeps serving what it has.
type SharedStore interface {
	// Name names the store in /health ("redis").
	Name() string
	// Claim asks for the refresh of src. With fresh > 0 it is a whole
	// read: it is not granted (nil Lease, zero retry) when a whole read of
	// src was stored less than fresh ago. With fresh == 0 it is a partial
	// refresh (a webhook's). When another replica holds the refresh it is
	// not granted and retry is how long that replica's claim has left.
	// A granted Lease must be released.
	Claim(ctx context.Context, src registry.Source, fresh time.Duration) (lease Lease, retry time.Duration, err error)
	// Fetch returns what is stored for src: nil when nothing is; its
	// Snapshot is nil when its ETag equals have (the caller has it).
	Fetch(ctx context.Context, src registry.Source, have string) (*Stored, error)
	// Put stores snap as the snapshot of snap.Source and tells the other
	// replicas, returning its ETag. Under a Lease's context it is stored
	// only while the lease holds; under a whole read's lease it also marks
	// the source freshly read.
	Put(ctx context.Context, snap *Snapshot) (etag string, err error)
	// Failed records that the read under the lease of ctx failed with a
	// client-safe message, for the replicas that do not read.
	Failed(ctx context.Context, src registry.Source, msg string) error
	// Watch calls changed with each source whose stored snapshot changed,
	// as soon as the store tells, until ctx ends. It reconnects by itself.
	Watch(ctx context.Context, changed func(registry.Source))
}

// Lease is a granted claim on the refresh of one source.
type Lease interface {
	// Context is the context to read and Put under: it ends when the
	// lease is lost (it lapsed, or the store could not be reached to
	// extend it) or released.
	Context() context.Context
	// Release gives the refresh up at once.
	Release()
}

// Stored is what a SharedStore holds for one source.
type Stored struct {
	// Snapshot is the stored snapshot; nil when the caller has it already.
	Snapshot *Snapshot
	// ETag identifies the snapshot's entries; equal entries, equal ETag.
	ETag string
	// Generation counts the changes of the stored entries.
	Generation uint64
	// ReadAt is when the stored entries were last confirmed by a read.
	ReadAt time.Time
	// Err is the client-safe message of the last whole read, when it
	// failed (the stored snapshot is then served stale); empty when it
	// worked.
	Err string
	// FailedAt is when Err happened.
	FailedAt time.Time
}

// SharedPollInterval is how often a replica checks the shared store for a
// change it was not told of (a lost notification, a store that was down).
const SharedPollInterval = time.Second

// mergeWait bounds how long a partial refresh waits for another replica's
// refresh of the same source to end before it merges locally.
const mergeWait = 15 * time.Second
