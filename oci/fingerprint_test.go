package oci

import (
	"errors"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestFingerprint: the embedded store's fingerprint is stable while nothing
// is written and changes with every publish, new repository or new
// version; a remote registry has none.
func TestFingerprint(t *testing.T) {
	root, dir := t.TempDir(), t.TempDir()
	pub, b := mustLayout(t, root), mustLayout(t, root)
	ctx := testContext(t)
	fp := func() string {
		t.Helper()
		s, err := b.Fingerprint(ctx)
		if err != nil {
			t.Fatalf("Fingerprint: %v", err)
		}
		return s
	}
	empty := fp()
	if fp() != empty {
		t.Fatal("fingerprint of an unchanged store changed")
	}
	seen := map[string]bool{empty: true}
	for _, step := range []struct{ name, version string }{{"a", "1.0.0"}, {"a", "1.1.0"}, {"b", "1.0.0"}, {"a", "1.1.0"}} {
		file := mustTarGz(t, dir, step.name+step.version+".tar.gz", map[string]string{"v": step.name + step.version})
		mustPublish(t, pub, Artifact{Path: file, Type: registry.Taskserv, Name: step.name, Version: step.version})
		got := fp()
		if seen[got] {
			t.Errorf("publish of %s %s left the fingerprint as before", step.name, step.version)
		}
		seen[got] = true
		if fp() != got {
			t.Errorf("fingerprint unstable after publishing %s %s", step.name, step.version)
		}
	}
	reg := testserver.ClosedAddr(t)
	if _, err := mustRemote(t, RemoteOptions{Registry: reg}).Fingerprint(ctx); !errors.Is(err, errors.ErrUnsupported) {
		t.Errorf("remote Fingerprint: %v; want errors.ErrUnsupported", err)
	}
}
