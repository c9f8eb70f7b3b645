package app

import (
	"fmt"
	"log/slog"

	"github.com/provisioning-platform/extension-registry/blobcache"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
)

// openBlobs opens the blob cache of cfg (blobs.dir, blobs.max_size) and
// returns it with the catalog's seam to it; both are nil when
// blobs.max_size is 0.
func openBlobs(cfg config.Config, log *slog.Logger) (*blobcache.Cache, catalog.BlobCache, error) {
	c, err := blobcache.Open(cfg.BlobsDir(), cfg.Blobs.MaxSize, log.With("component", "blobcache"))
	if err != nil {
		return nil, nil, fmt.Errorf("blobs.dir %s: %w", cfg.BlobsDir(), err)
	}
	if c == nil {
		return nil, nil, nil
	}
	return c, c, nil
}
