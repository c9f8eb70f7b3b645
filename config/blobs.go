package config

import (
	"fmt"
	"math"
	"path/filepath"
	"strconv"
	"strings"
)

// Blobs configures the blob cache of downloaded archives (contract §8).
type Blobs struct {
	// Dir holds the cached blobs; empty means {data_dir}/blobs.
	Dir string
	// MaxSize bounds the cache in bytes; 0 turns it off.
	MaxSize int64
}

// defaultBlobsMaxSize is blobs.max_size when not set: 10GiB.
const defaultBlobsMaxSize = 10 << 30

// BlobsDir returns the blob cache's directory: blobs.dir, else
// {data_dir}/blobs.
func (c Config) BlobsDir() string {
	if c.Blobs.Dir != "" {
		return c.Blobs.Dir
	}
	return filepath.Join(c.DataDir, "blobs")
}

func init() {
	keys = append(keys,
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

// sizeUnits are the suffixes ParseSize accepts, longest first, in lower
// case: binary (KiB = 1024) and decimal (kB = 1000) multiples of a byte.
var sizeUnits = []struct {
	suffix string
	factor int64
}{
	{"kib", 1 << 10}, {"mib", 1 << 20}, {"gib", 1 << 30}, {"tib", 1 << 40},
	{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"tb", 1e12},
	{"b", 1},
}

// ParseSize reads a size in bytes: a whole number, optionally followed by a
// unit (B, KiB, MiB, GiB, TiB, or kB, MB, GB, TB; case does not matter),
// such as "512MiB" or "10GiB". "0" is zero.
func ParseSize(s string) (int64, error) {
	t := strings.ToLower(strings.TrimSpace(s))
	factor := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, factor = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.factor
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || t == "" || t[0] == '+' || t[0] == '-' {
		return 0, fmt.Errorf("invalid size %q (use e.g. 512MiB, 10GiB, or 0 for off)", s)
	}
	if n > math.MaxInt64/factor {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return n * factor, nil
}
