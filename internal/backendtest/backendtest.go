// Package backendtest is the executable contract of registry.Backend: one
// set of behaviour tests that every implementation (Gitea, a remote OCI
// registry, the embedded OCI layout store, and any backend added later)
// must pass, in the spirit of distribution's storage driver testsuites.
//
// A backend's test calls Run with a Factory that returns a fresh, empty
// backend and a Seeder that publishes into it through the backend's real
// server (the Gitea REST API, the registry's /v2/ API, the layout
// directory). Each case of the suite starts from a fresh backend, so cases
// run independently and can be selected with -run.
//
// What the suite pins, beyond the doc comments of registry.Backend:
//   - versions are ordered by semantic-version precedence (1.10.0 above
//     1.9.0, a pre-release below its release), without a leading "v";
//   - the current version is the highest stable one, or the highest
//     pre-release when there is no stable one;
//   - downloads stream exactly the published bytes, and the checksum the
//     backend reports is their "sha256:<hex>";
//   - an unknown extension, an extension asked for under another type and
//     an unknown version are errors that errors.Is(err, registry.ErrNotFound);
//     an unknown type is registry.ErrInvalidType;
//   - repository names follow the suffix table of registry.TypeFromRepositoryName
//     (_prov and _provider are providers, _taskserv, _cluster) and other
//     names hold no extension;
//   - within one source, when "aws_prov" and "aws_provider" both exist,
//     "aws_prov" wins for List, Get, Versions and Open;
//   - a cancelled context fails every call promptly with an error that
//     errors.Is(err, context.Canceled);
//   - a backend that implements registry.Indexer answers ListVersions as
//     List and Versions would.
package backendtest

import (
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// Release is one extension version for a Seeder to publish.
type Release struct {
	// Repo is the repository the version is published in, named by the
	// convention ("aws_prov", "k8s_taskserv") or not ("docs").
	Repo string
	// Type is the type the publisher declares where the backend has a way
	// to declare one (the OCI type annotation). Empty declares none: the
	// repository name decides. Backends without such a way ignore it.
	Type registry.Type
	// Tag names the version as the publisher tags it: "1.2.0", "v1.2.0",
	// "1.3.0-rc.1".
	Tag string
	// Description describes the extension. The suite gives every version
	// of one repository the same description.
	Description string
	// Data is the archive (.tar.gz bytes).
	Data []byte
	// Prerelease flags a version with a stable tag as a pre-release, for
	// seeders that implement PrereleaseFlagger; others never get it set.
	Prerelease bool
}

// PrereleaseFlagger is implemented by seeders whose backend can mark a
// version a pre-release other than by its tag (Gitea's release flag). The
// suite then checks that such a version is carried as a pre-release and is
// not current while a stable version exists.
type PrereleaseFlagger interface {
	Seeder
	FlagsPrereleases()
}

// Seeder publishes releases into the backend it was made with.
type Seeder interface {
	// Publish makes r visible to the backend, through the backend's real
	// server, before it returns. It fails t on error.
	Publish(t testing.TB, r Release)
}

// Factory returns a fresh backend holding no extension, and the Seeder
// that publishes into it. It is called once per case of the suite.
type Factory func(t *testing.T) (registry.Backend, Seeder)

// Option adjusts Run.
type Option func(*runOptions)

type runOptions struct {
	pending map[string]string
}

// Pending skips the case named name (e.g. "Shadowing") with reason, for a
// backend whose fix is known and under way. A pending case shows as SKIP
// with the reason in every run, so it cannot be forgotten; remove the
// option with the fix.
func Pending(name, reason string) Option {
	return func(o *runOptions) { o.pending[name] = reason }
}

// Run runs every case of the contract against the backends newBackend
// makes, each case as a subtest.
func Run(t *testing.T, newBackend Factory, opts ...Option) {
	t.Helper()
	o := runOptions{pending: map[string]string{}}
	for _, opt := range opts {
		opt(&o)
	}
	cases := []struct {
		name string
		run  func(t *testing.T, b registry.Backend, s Seeder)
	}{
		{"ListAndGet", testListAndGet},
		{"VersionsOrder", testVersionsOrder},
		{"PreReleaseOnly", testPreReleaseOnly},
		{"PreReleaseFlag", testPreReleaseFlag},
		{"Downloads", testDownloads},
		{"NotFound", testNotFound},
		{"SuffixNaming", testSuffixNaming},
		{"Shadowing", testShadowing},
		{"Cancellation", testCancellation},
		{"Indexer", testIndexer},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if reason, ok := o.pending[c.name]; ok {
				t.Skip("pending: " + reason)
			}
			b, s := newBackend(t)
			c.run(t, b, s)
		})
	}
}
