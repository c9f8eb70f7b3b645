package oci

import (
	"errors"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
	"oras.land/oras-go/v2/registry/remote/auth"
)

// TestCredentials runs against a registry protected by htpasswd: the right
// credentials work, wrong or missing ones are ErrUnauthorized from List and
// Probe, and no message carries the password.
func TestCredentials(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{Htpasswd: true})
	ns := uniqueNamespace(t)
	ctx := testContext(t)

	owner := mustRemote(t, RemoteOptions{Registry: reg.Host, Namespace: ns, Username: reg.Username, Password: reg.Password})
	file := mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"})
	mustPublish(t, owner, Artifact{Path: file, Type: registry.Provider, Name: "secret", Version: "1.0.0"})

	const wrong = "not-the-password-x9"
	for _, c := range []struct {
		name string
		opts RemoteOptions
		want error // nil: works
	}{
		{"username and password", RemoteOptions{Username: reg.Username, Password: reg.Password}, nil},
		{"token as the password of the username", RemoteOptions{Username: reg.Username, Token: reg.Password}, nil},
		{"wrong password", RemoteOptions{Username: reg.Username, Password: wrong}, registry.ErrUnauthorized},
		{"unknown user", RemoteOptions{Username: "nobody", Password: wrong}, registry.ErrUnauthorized},
		{"no credentials", RemoteOptions{}, registry.ErrUnauthorized},
		{"token without a username against basic auth", RemoteOptions{Token: wrong}, registry.ErrUnauthorized},
	} {
		t.Run(c.name, func(t *testing.T) {
			c.opts.Registry, c.opts.Namespace = reg.Host, ns
			b := mustRemote(t, c.opts)
			exts, listErr := b.List(ctx)
			probeErr := b.Probe(ctx)
			_, getErr := b.Get(ctx, registry.Provider, "secret")
			if c.want == nil {
				if listErr != nil || probeErr != nil || getErr != nil || len(exts) != 1 {
					t.Fatalf("List %v (%d), Probe %v, Get %v", listErr, len(exts), probeErr, getErr)
				}
				return
			}
			for what, err := range map[string]error{"List": listErr, "Probe": probeErr, "Get": getErr} {
				if !errors.Is(err, c.want) {
					t.Errorf("%s: error %v, want %v", what, err, c.want)
					continue
				}
				if msg := err.Error(); strings.Contains(msg, wrong) || strings.Contains(msg, reg.Password) {
					t.Errorf("%s: the error carries a secret: %s", what, msg)
				}
			}
		})
	}
}

// TestCredentialMapping checks how RemoteOptions become oras-go
// credentials: a token is the access token (and the password of a username
// given without one), an identity token the OAuth2 refresh token.
func TestCredentialMapping(t *testing.T) {
	for _, c := range []struct {
		name string
		opts RemoteOptions
		want auth.Credential
	}{
		{"basic", RemoteOptions{Username: "u", Password: "p"}, auth.Credential{Username: "u", Password: "p"}},
		{"token", RemoteOptions{Token: "t"}, auth.Credential{AccessToken: "t"}},
		{"username and token", RemoteOptions{Username: "u", Token: "t"}, auth.Credential{Username: "u", Password: "t", AccessToken: "t"}},
		{"identity token", RemoteOptions{Username: "u", RefreshToken: "r"}, auth.Credential{Username: "u", RefreshToken: "r"}},
	} {
		if got := credential(c.opts); got != c.want {
			t.Errorf("%s: credential = %+v, want %+v", c.name, got, c.want)
		}
	}
}
