package config

import "github.com/provisioning-platform/extension-registry/internal/secret"

// Webhooks configures the change notification endpoints (contract §11).
// An endpoint whose secret is unset answers 404.
type Webhooks struct {
	// GiteaSecret signs Gitea's webhook bodies (X-Gitea-Signature).
	GiteaSecret secret.Value
	// RegistryToken is the bearer token of the registry's notifications.
	RegistryToken secret.Value
}

func init() {
	keys = append(keys,
		key{path: "webhooks.gitea_secret", set: secretStr(func(c *Config) *secret.Value { return &c.Webhooks.GiteaSecret })},
		key{path: "webhooks.gitea_secret_file", set: fromFile(func(c *Config) *secret.Value { return &c.Webhooks.GiteaSecret })},
		key{path: "webhooks.registry_token", set: secretStr(func(c *Config) *secret.Value { return &c.Webhooks.RegistryToken })},
		key{path: "webhooks.registry_token_file", set: fromFile(func(c *Config) *secret.Value { return &c.Webhooks.RegistryToken })},
	)
	exclusive = append(exclusive,
		[2]string{"webhooks.gitea_secret", "webhooks.gitea_secret_file"},
		[2]string{"webhooks.registry_token", "webhooks.registry_token_file"},
	)
}
