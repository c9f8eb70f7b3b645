package oci

import (
	"fmt"
	"reflect"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestListVersionsIsListPlusVersions: the index's one-pass read finds what
// List followed by Versions for each extension finds, in both flavours.
func TestListVersionsIsListPlusVersions(t *testing.T) {
	for _, f := range flavours() {
		t.Run(f.name, func(t *testing.T) {
			b := f.new(t)
			ctx := testContext(t)
			dir := t.TempDir()
			for i, a := range []Artifact{
				{Type: registry.Taskserv, Name: "kubernetes", Version: "1.9.0"},
				{Type: registry.Taskserv, Name: "kubernetes", Version: "1.10.0"},
				{Type: registry.Taskserv, Name: "kubernetes", Version: "1.11.0-rc.1"},
				{Type: registry.Provider, Name: "aws", Version: "2.0.0"},
			} {
				a.Path = mustTarGz(t, dir, fmt.Sprintf("a%d.tar.gz", i), map[string]string{"i": fmt.Sprint(i)})
				a.Created = day
				mustPublish(t, b, a)
			}
			all, err := b.ListVersions(ctx)
			if err != nil {
				t.Fatal(err)
			}
			exts, err := b.List(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != len(exts) || len(all) != 2 {
				t.Fatalf("ListVersions found %d, List %d, want 2", len(all), len(exts))
			}
			for i, e := range exts {
				vs, err := b.Versions(ctx, e.Type, e.Name)
				if err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(all[i].Extension, e) || !reflect.DeepEqual(all[i].Versions, vs) {
					t.Errorf("%s: ListVersions %+v %+v, List+Versions %+v %+v", e.Key(), all[i].Extension, all[i].Versions, e, vs)
				}
			}
		})
	}
}
