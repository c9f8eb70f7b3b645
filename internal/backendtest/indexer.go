package backendtest

import (
	"slices"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// testIndexer: a backend that implements registry.Indexer answers
// ListVersions exactly as List followed by Versions of each extension
// would, shadowing included. Backends without it skip the case.
func testIndexer(t *testing.T, b registry.Backend, s Seeder) {
	ix, ok := b.(registry.Indexer)
	if !ok {
		t.Skipf("%T does not implement registry.Indexer", b)
	}
	publish(t, s, "k8s_taskserv", registry.Taskserv, "Kubernetes", "1.9.0", "v1.10.0", "2.0.0-rc.1")
	publish(t, s, "aws_provider", registry.Provider, "AWS (long suffix)", "2.0.0")
	publish(t, s, "aws_prov", registry.Provider, "AWS", "1.0.0", "1.1.0")
	publish(t, s, "docs", "", "not an extension", "1.0.0")

	all, err := ix.ListVersions(testContext(t))
	if err != nil {
		t.Fatalf("ListVersions: %v", err)
	}
	exts, err := b.List(testContext(t))
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	want := byKey(t, exts)
	if len(all) != len(want) {
		t.Errorf("ListVersions holds %d extensions, List %d (%v)", len(all), len(want), keys(want))
	}
	for _, ev := range all {
		e := ev.Extension
		l, ok := want[e.Key()]
		if !ok {
			t.Errorf("ListVersions holds %s, List does not", e.Key())
			continue
		}
		if e.Version != l.Version || e.Checksum != l.Checksum || e.Description != l.Description {
			t.Errorf("%s: ListVersions describes %s %s %q, List %s %s %q", e.Key(), e.Version, e.Checksum, e.Description, l.Version, l.Checksum, l.Description)
		}
		vs, err := b.Versions(testContext(t), e.Type, e.Name)
		if err != nil {
			t.Errorf("Versions %s: %v", e.Key(), err)
			continue
		}
		if !slices.Equal(versionStrings(ev.Versions), versionStrings(vs)) {
			t.Errorf("%s: ListVersions versions %v, Versions %v", e.Key(), versionStrings(ev.Versions), versionStrings(vs))
		}
		for i := range min(len(vs), len(ev.Versions)) {
			if ev.Versions[i].Checksum != vs[i].Checksum {
				t.Errorf("%s %s: checksum %s by ListVersions, %s by Versions", e.Key(), vs[i].Version, ev.Versions[i].Checksum, vs[i].Checksum)
			}
		}
	}
	if got := versionStrings(findVersions(all, "provider/aws")); !slices.Equal(got, []string{"1.1.0", "1.0.0"}) {
		t.Errorf("ListVersions provider/aws = %v, want aws_prov's [1.1.0 1.0.0]", got)
	}
}

func findVersions(all []registry.ExtensionVersions, key string) []registry.Version {
	for _, ev := range all {
		if ev.Extension.Key() == key {
			return ev.Versions
		}
	}
	return nil
}
