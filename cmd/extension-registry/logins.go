package main

import (
	"context"
	"fmt"

	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// loginCredentials fills the OCI credentials of cfg for host from the
// Docker/oras login store ($DOCKER_CONFIG/config.json, else
// ~/.docker/config.json, with its credential helpers) when the
// configuration names none. A store that holds nothing for host changes
// nothing.
func loginCredentials(ctx context.Context, cfg *config.Config, host string) error {
	o := &cfg.OCI
	if o.Username != "" || o.Password.IsSet() || o.Token.IsSet() {
		return nil
	}
	store, err := credentials.NewStoreFromDocker(credentials.StoreOptions{})
	if err != nil {
		return fmt.Errorf("the Docker/oras login store: %w", err)
	}
	cred, err := store.Get(ctx, credentials.ServerAddressFromHostname(host))
	if err != nil {
		return fmt.Errorf("the Docker/oras login store, credentials of %s: %w", host, err)
	}
	switch {
	case cred.RefreshToken != "":
		o.Username, o.RefreshToken = cred.Username, secret.New(cred.RefreshToken)
	case cred.AccessToken != "":
		o.Token = secret.New(cred.AccessToken)
	case cred.Username != "" && cred.Password != "":
		o.Username, o.Password = cred.Username, secret.New(cred.Password)
	}
	return nil
}
