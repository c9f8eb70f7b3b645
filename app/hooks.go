package app

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/Masterminds/semver/v3"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/hooks"
)

// newHooks returns the webhook endpoints of cfg (contract §11), or nil when
// neither webhooks.gitea_secret nor webhooks.registry_token is set.
func newHooks(cfg config.Config, cat *catalog.Catalog, cache *catalog.Cache, log *slog.Logger) *hooks.Handler {
	if !cfg.Webhooks.GiteaSecret.IsSet() && !cfg.Webhooks.RegistryToken.IsSet() {
		return nil
	}
	return hooks.New(hooks.Options{
		Refresher:          hookRefresher{cat: cat, cache: cache},
		GiteaSecret:        cfg.Webhooks.GiteaSecret,
		GiteaOrganizations: cfg.Gitea.Organizations,
		RegistryToken:      cfg.Webhooks.RegistryToken,
		OCINamespace:       cfg.OCI.Namespace,
		Logger:             log.With("component", "hooks"),
	})
}

// hookRefresher refreshes the catalog's index for a notification; a
// catalog without an index instead drops its cached answers, so that the
// next request reads the backends.
type hookRefresher struct {
	cat   *catalog.Catalog
	cache *catalog.Cache
}

// Refresh re-reads name in src.
func (h hookRefresher) Refresh(ctx context.Context, src registry.Source, name string) error {
	err := h.cat.Refresh(ctx, src, name)
	if errors.Is(err, registry.ErrInvalid) && registry.PublicMessage(err) == "The catalog has no index" {
		h.cache.Purge()
		return nil
	}
	return err
}

// tagWait bounds how long RefreshTag re-reads a repository whose notified
// tag is not listed yet, and tagRetry the pause between reads.
const (
	tagWait  = 5 * time.Second
	tagRetry = 100 * time.Millisecond
)

// RefreshTag re-reads name in src for a registry notification of tag. The
// distribution registry may notify a push before the tag is listed, so a
// read that does not show the tag is repeated (every tagRetry, for at most
// tagWait) until it does. A tag that is no version, or none, is one read.
func (h hookRefresher) RefreshTag(ctx context.Context, src registry.Source, name, tag, _ string) error {
	want, verr := registry.ParseVersion(tag)
	deadline := time.Now().Add(tagWait)
	for {
		if err := h.Refresh(ctx, src, name); err != nil || verr != nil {
			return err
		}
		if h.lists(ctx, name, want) || time.Now().After(deadline) {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(tagRetry):
		}
	}
}

// lists reports whether the catalog lists version want of an extension
// called name, of any type.
func (h hookRefresher) lists(ctx context.Context, name string, want *semver.Version) bool {
	for _, typ := range registry.Types {
		if vs, err := h.cat.Versions(ctx, typ, name); err == nil {
			if _, ok := registry.FindVersion(vs, want); ok {
				return true
			}
		}
	}
	return false
}
