package registry_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
)

func TestTypeFromRepositoryName(t *testing.T) {
	tests := []struct {
		repo, name string
		typ        registry.Type
		ok         bool
	}{
		{"aws_prov", "aws", registry.Provider, true},
		{"aws_provider", "aws", registry.Provider, true},
		{"k3s_taskserv", "k3s", registry.Taskserv, true},
		{"buildkit_cluster", "buildkit", registry.Cluster, true},
		{"my_aws_prov", "my_aws", registry.Provider, true},
		{"_prov", "", "", false},
		{"aws", "", "", false},
		{"aws_PROV", "", "", false},
		{"aws_providers", "", "", false},
	}
	for _, tc := range tests {
		name, typ, ok := registry.TypeFromRepositoryName(tc.repo)
		if name != tc.name || typ != tc.typ || ok != tc.ok {
			t.Errorf("TypeFromRepositoryName(%q) = %q, %q, %v; want %q, %q, %v", tc.repo, name, typ, ok, tc.name, tc.typ, tc.ok)
		}
	}
}

// TestProvWinsOverProvider pins the one precedence rule both backends use.
func TestProvWinsOverProvider(t *testing.T) {
	if !registry.PreferRepository("aws_prov", "aws_provider") || registry.PreferRepository("aws_provider", "aws_prov") {
		t.Error(`"aws_prov" must win over "aws_provider", whichever comes first`)
	}
	if !registry.PreferRepository("aws", "aws_prov") || registry.PreferRepository("aws_prov", "aws") {
		t.Error(`a repository named after the extension alone must win over a suffixed one`)
	}
	if got := registry.RepositoryNames(registry.Provider, "aws"); !slices.Equal(got, []string{"aws_prov", "aws_provider"}) {
		t.Errorf("RepositoryNames(provider, aws) = %q", got)
	}
	if got := registry.RepositoryNames(registry.Cluster, "x"); !slices.Equal(got, []string{"x_cluster"}) {
		t.Errorf("RepositoryNames(cluster, x) = %q", got)
	}
	if got := registry.RepositoryNames("widget", "x"); len(got) != 0 {
		t.Errorf("RepositoryNames(widget, x) = %q, want none", got)
	}
}

func TestValidOCIPath(t *testing.T) {
	for _, s := range []string{"provisioning-extensions", "a/b", "a.b_c__d--e", registry.DefaultOCINamespace + "/aws"} {
		if !registry.ValidOCIPath(s) {
			t.Errorf("ValidOCIPath(%q) = false", s)
		}
	}
	for _, s := range []string{"", "/a", "a/", "A", "a//b", "a_", "-a", "a b", "a/../b"} {
		if registry.ValidOCIPath(s) {
			t.Errorf("ValidOCIPath(%q) = true", s)
		}
	}
	if registry.ValidOCIComponent("a/b") {
		t.Error(`ValidOCIComponent("a/b") = true`)
	}
}

func TestCurrentVersionHonoursPrerelease(t *testing.T) {
	vs := []registry.Version{{Version: "2.0.0-rc.1"}, {Version: "1.11.0", Prerelease: true}, {Version: "1.10.0"}}
	if i := registry.CurrentVersion(vs); i != 2 {
		t.Errorf("CurrentVersion = %d, want 2 (1.10.0: 1.11.0 is marked a pre-release)", i)
	}
	only := []registry.Version{{Version: "1.1.0", Prerelease: true}, {Version: "1.0.0-beta.1"}}
	if i := registry.CurrentVersion(only); i != 0 {
		t.Errorf("CurrentVersion of pre-releases only = %d, want 0", i)
	}
	if i := registry.CurrentVersion(nil); i != -1 {
		t.Errorf("CurrentVersion(nil) = %d, want -1", i)
	}
}

func TestRetryAfter(t *testing.T) {
	limited := &registry.Error{Kind: registry.ErrRateLimited, Message: "slow down", RetryAfter: 7 * time.Second}
	if d, ok := registry.RetryAfter(fmt.Errorf("gitea: %w", limited)); !ok || d != 7*time.Second {
		t.Errorf("RetryAfter(wrapped) = %s, %v; want 7s", d, ok)
	}
	outer := &registry.Error{Kind: registry.ErrRateLimited, Message: "listing", Err: limited}
	if d, ok := registry.RetryAfter(outer); !ok || d != 7*time.Second {
		t.Errorf("RetryAfter(nested) = %s, %v; want 7s", d, ok)
	}
	if _, ok := registry.RetryAfter(registry.Errorf(registry.ErrRateLimited, "no delay")); ok {
		t.Error("RetryAfter of a rate limit without a delay is ok")
	}
	if _, ok := registry.RetryAfter(&registry.Error{Kind: registry.ErrUnavailable, RetryAfter: time.Second}); ok {
		t.Error("RetryAfter of another kind is ok")
	}
	if _, ok := registry.RetryAfter(errors.New("x")); ok {
		t.Error("RetryAfter of a plain error is ok")
	}
}
