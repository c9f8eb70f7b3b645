package catalog

import (
	"context"

	registry "github.com/provisioning-platform/extension-registry"
)

// cacheable is what a BlobCache may also tell: whether it would keep the
// archive of checksum (size bytes). *blobcache.Cache implements it.
type cacheable interface {
	Cacheable(checksum string, size int64) bool
}

// Stat answers a HEAD of a download: the archive of version of typ/name
// as Open would serve it, without its bytes (Body nil) and without opening
// it — its size, checksum and file name come from the resolved version,
// Ranged when the blob cache would keep it. A version whose listing gave no
// file name is opened instead (the backend names it); the caller then
// closes Body when it is not nil. Errors are those of Open.
func (c *Catalog) Stat(ctx context.Context, typ registry.Type, name, version string) (*registry.Archive, error) {
	_, v, _, err := c.resolve(ctx, typ, name, version)
	if err != nil {
		return nil, err
	}
	if v.FileName == "" {
		return c.Open(ctx, typ, name, version)
	}
	size := v.Size
	if size <= 0 {
		size = -1
	}
	a := &registry.Archive{Size: size, FileName: v.FileName, Checksum: v.Checksum}
	if cc, ok := c.blobs.(cacheable); ok && v.Checksum != "" {
		a.Ranged = cc.Cacheable(v.Checksum, v.Size)
	}
	return a, nil
}
