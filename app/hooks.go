package app

import (
	"context"
	"errors"
	"log/slog"

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

func (h hookRefresher) Refresh(ctx context.Context, src registry.Source, name string) error {
	err := h.cat.Refresh(ctx, src, name)
	if errors.Is(err, registry.ErrInvalid) && registry.PublicMessage(err) == "The catalog has no index" {
		h.cache.Purge()
		return nil
	}
	return err
}
