package config

import (
	"time"
)

// Index configures the catalog's background index (contract §8).
type Index struct {
	// Interval is the time between two reads of a source.
	Interval time.Duration
	// MaxStale is how long the last good read of a failing source is
	// served; past it, what needs that source answers 503.
	MaxStale time.Duration
	// Concurrency bounds the calls one read makes to a backend at a time.
	Concurrency int
}

func init() {
	keys = append(keys,
		key{path: "index.interval", set: duration(func(c *Config) *time.Duration { return &c.Index.Interval })},
		key{path: "index.max_stale", set: duration(func(c *Config) *time.Duration { return &c.Index.MaxStale })},
		key{path: "index.concurrency", set: integer(func(c *Config) *int { return &c.Index.Concurrency })},
	)
}

// validateIndex checks the index and blobs keys.
func (c *Config) validateIndex(bad func(string, string, ...any) error) error {
	if c.Index.Interval <= 0 {
		return bad("index.interval", "must be positive, got %s", c.Index.Interval)
	}
	if c.Index.MaxStale <= 0 {
		return bad("index.max_stale", "must be positive, got %s", c.Index.MaxStale)
	}
	if c.Index.Concurrency < 1 || c.Index.Concurrency > 256 {
		return bad("index.concurrency", "must be between 1 and 256, got %d", c.Index.Concurrency)
	}
	if c.Blobs.MaxSize < 0 {
		return bad("blobs.max_size", "must not be negative")
	}
	return nil
}
