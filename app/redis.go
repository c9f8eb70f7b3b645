package app

import (
	"fmt"
	"log/slog"

	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/redisindex"
)

// openShared makes idx keep its snapshots in the Redis of redis.url
// (contract §11), so that the replicas over one Redis share one index:
// one replica at a time reads a source, the others load what it stored.
// Without redis.url it returns nil and idx is left alone.
func openShared(cfg config.Config, idx *catalog.IndexOptions, log *slog.Logger) (*redisindex.Store, error) {
	if !cfg.Redis.Enabled() {
		return nil, nil
	}
	st, err := redisindex.New(redisindex.Options{
		URL:        cfg.Redis.URL.Reveal(),
		LockExpiry: cfg.Redis.LockExpiry,
		Logger:     log,
	})
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	idx.Store = st
	return st, nil
}
