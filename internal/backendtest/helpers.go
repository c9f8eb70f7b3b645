package backendtest

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// Archive returns a small .tar.gz holding one file whose content is body,
// so that every published version has distinct bytes.
func Archive(tb testing.TB, body string) []byte {
	tb.Helper()
	return testserver.TarGz(tb, map[string]string{"VERSION": body})
}

// Checksum returns "sha256:<hex>" of data.
func Checksum(data []byte) string {
	s := sha256.Sum256(data)
	return "sha256:" + hex.EncodeToString(s[:])
}

// testContext ends with the test or after two minutes.
func testContext(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// seeded is what a case published into one repository, by version.
type seeded map[string]Release // normalized version → release

// publish publishes one release per tag into repo and returns them by
// normalized version.
func publish(t *testing.T, s Seeder, repo string, typ registry.Type, desc string, tags ...string) seeded {
	t.Helper()
	out := seeded{}
	for _, tag := range tags {
		r := Release{Repo: repo, Type: typ, Tag: tag, Description: desc, Data: Archive(t, repo+" "+tag)}
		s.Publish(t, r)
		v, ok := registry.NormalizeVersion(tag)
		if !ok {
			t.Fatalf("suite bug: %q is not a version", tag)
		}
		out[v] = r
	}
	return out
}

// byKey indexes extensions by "type/name", failing on a duplicate.
func byKey(t *testing.T, exts []registry.Extension) map[string]registry.Extension {
	t.Helper()
	m := make(map[string]registry.Extension, len(exts))
	for _, e := range exts {
		if _, dup := m[e.Key()]; dup {
			t.Errorf("List holds %s twice", e.Key())
		}
		m[e.Key()] = e
	}
	return m
}

// versionStrings returns the Version fields of vs.
func versionStrings(vs []registry.Version) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.Version
	}
	return out
}

// readArchive opens v and returns the streamed bytes and the archive.
func readArchive(t *testing.T, b registry.Backend, typ registry.Type, name string, v registry.Version) ([]byte, *registry.Archive) {
	t.Helper()
	a, err := b.Open(testContext(t), typ, name, v)
	if err != nil {
		t.Fatalf("Open %s/%s %s: %v", typ, name, v.Version, err)
	}
	defer a.Body.Close()
	data, err := io.ReadAll(a.Body)
	if err != nil {
		t.Fatalf("reading %s/%s %s: %v", typ, name, v.Version, err)
	}
	return data, a
}

// checkExtension compares an extension with the release expected as its
// current version.
func checkExtension(t *testing.T, b registry.Backend, what string, got registry.Extension, name string, typ registry.Type, version string, want Release) {
	t.Helper()
	if got.Name != name || got.Type != typ || got.Version != version {
		t.Errorf("%s = %s %s@%s; want %s/%s@%s", what, got.Type, got.Name, got.Version, typ, name, version)
	}
	if got.Source != b.Source() {
		t.Errorf("%s: source %q, want the backend's %q", what, got.Source, b.Source())
	}
	if got.Description != want.Description {
		t.Errorf("%s: description %q, want %q", what, got.Description, want.Description)
	}
	if got.Checksum != Checksum(want.Data) {
		t.Errorf("%s: checksum %s, want that of version %s's archive %s", what, got.Checksum, version, Checksum(want.Data))
	}
	if got.PublishedAt.IsZero() {
		t.Errorf("%s: no published_at", what)
	}
}
