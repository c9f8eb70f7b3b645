package app

import (
	"context"
	"fmt"
	"hash/fnv"
	"io/fs"
	"os"
	"path/filepath"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
)

// indexOptions returns the catalog's index options of cfg. With the
// embedded store, its layouts' index.json files are watched (their size
// and modification time, polled), so that a publish shows up at once.
func indexOptions(cfg config.Config) *catalog.IndexOptions {
	opts := &catalog.IndexOptions{
		Interval:    cfg.Index.Interval,
		MaxStale:    cfg.Index.MaxStale,
		Concurrency: cfg.Index.Concurrency,
	}
	if cfg.OCI.Registry == "" {
		root := LayoutRoot(cfg.DataDir)
		opts.Fingerprints = map[registry.Source]func(context.Context) (string, error){
			registry.SourceOCI: func(ctx context.Context) (string, error) { return layoutFingerprint(ctx, root) },
		}
	}
	return opts
}

// layoutFingerprint summarises the embedded store under root: the path,
// size and modification time of every index.json (what publish rewrites)
// and of every directory (a new or removed layout).
func layoutFingerprint(ctx context.Context, root string) (string, error) {
	h := fnv.New64a()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if os.IsNotExist(err) {
				return nil
			}
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case d.IsDir() && d.Name() == "blobs":
			return fs.SkipDir
		case !d.IsDir() && d.Name() != "index.json":
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil // removed meanwhile
		}
		fmt.Fprintf(h, "%s\x00%d\x00%d\n", p, info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return fmt.Sprintf("%x", h.Sum64()), err
}
