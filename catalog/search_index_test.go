package catalog

import (
	"context"
	"fmt"
	"reflect"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// TestIndexSearchRanksAsSearch: searching the index's corpus gives what
// ranking the whole list gives (the catalog without an index), for
// queries that hit names, tags, descriptions, several documents, none, and
// that hold the corpus's separators; SearchLimit pages it and counts all.
func TestIndexSearchRanksAsSearch(t *testing.T) {
	f := &fakeBackend{src: registry.SourceOCI, versions: map[string][]registry.Version{}}
	for i := range 60 {
		typ := registry.Types[i%3]
		e := ext(registry.SourceOCI, typ, fmt.Sprintf("ext-%02d", i), fmt.Sprintf("Extension %d for Cloud %d", i, i%7))
		e.Tags = []string{fmt.Sprintf("Zone-%d", i%5), "k8s"}
		if i == 7 {
			e.Name = "cloud" // an exact name match for "cloud"
		}
		f.exts = append(f.exts, e)
		f.versions[string(typ)+"/"+e.Name] = []registry.Version{{Version: "1.0.0"}}
	}
	indexed := newIndexedCatalog(t, IndexOptions{}, f)
	plain := newTestCatalog(f)
	ctx := context.Background()
	for _, q := range []string{"cloud", "CLOUD 3", "ext-1", "ext-05", "zone-2", "k8s", "extension 4", "nothing", "", "1\x00z", "\x01", "e"} {
		for _, typ := range []registry.Type{"", registry.Cluster} {
			want, err := plain.Search(ctx, q, typ)
			if err != nil {
				t.Fatal(err)
			}
			got, err := indexed.Search(ctx, q, typ)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) == 0 && len(want) == 0 {
				continue
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("Search(%q, %q): index %v, list %v", q, typ, keys(got), keys(want))
			}
			page, n, err := indexed.SearchLimit(ctx, q, typ, 3)
			if err != nil || n != len(want) || !reflect.DeepEqual(page, want[:min(3, len(want))]) {
				t.Errorf("SearchLimit(%q, %q, 3) = %v, %d, %v; want the first 3 of %d", q, typ, keys(page), n, err, len(want))
			}
		}
	}
}

func keys(exts []registry.Extension) []string {
	out := make([]string, len(exts))
	for i, e := range exts {
		out[i] = e.Key()
	}
	return out
}
