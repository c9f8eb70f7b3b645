package config

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
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

// Blobs configures the on-disk cache of downloaded archives.
type Blobs struct {
	// Dir holds the cache; empty means {data_dir}/blobs.
	Dir string
	// MaxSize is the cache's size bound in bytes; 0 turns it off.
	MaxSize int64
}

// BlobsDir returns the directory of the blob cache: blobs.dir, or
// {data_dir}/blobs when it is not set.
func (c Config) BlobsDir() string {
	if c.Blobs.Dir != "" {
		return c.Blobs.Dir
	}
	return filepath.Join(c.DataDir, "blobs")
}

func init() {
	keys = append(keys,
		key{path: "index.interval", set: duration(func(c *Config) *time.Duration { return &c.Index.Interval })},
		key{path: "index.max_stale", set: duration(func(c *Config) *time.Duration { return &c.Index.MaxStale })},
		key{path: "index.concurrency", set: func(c *Config, v []string) error {
			n, err := strconv.Atoi(strings.TrimSpace(v[0]))
			if err != nil {
				return fmt.Errorf("invalid number %q", v[0])
			}
			c.Index.Concurrency = n
			return nil
		}},
		key{path: "blobs.dir", set: str(func(c *Config) *string { return &c.Blobs.Dir })},
		key{path: "blobs.max_size", set: func(c *Config, v []string) error {
			n, err := ParseSize(v[0])
			if err != nil {
				return err
			}
			c.Blobs.MaxSize = n
			return nil
		}},
	)
}

func duration(dst func(*Config) *time.Duration) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		d, err := time.ParseDuration(strings.TrimSpace(v[0]))
		if err != nil {
			return fmt.Errorf("invalid duration %q (use e.g. 30s, 5m, 1h)", v[0])
		}
		*dst(c) = d
		return nil
	}
}

// sizeUnits are the suffixes ParseSize accepts, longest first.
var sizeUnits = []struct {
	suffix string
	mult   int64
}{
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"KB", 1e3}, {"MB", 1e6}, {"GB", 1e9}, {"TB", 1e12},
	{"B", 1},
}

// ParseSize parses a byte size: a whole number with an optional unit (B,
// KB, MB, GB, TB, KiB, MiB, GiB, TiB), such as "10GiB" or "0".
func ParseSize(s string) (int64, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if num, ok := strings.CutSuffix(t, u.suffix); ok {
			t, mult = strings.TrimSpace(num), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q (use e.g. 0, 512MiB, 10GiB)", s)
	}
	return n * mult, nil
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
