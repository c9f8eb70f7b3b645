package httpapi_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/oci"
)

// TestPageLimits checks the defaults and maxima of the API document with
// more extensions than the largest page: list 100 by default and at most
// 1000, search 50 by default and at most 100; a larger limit is clamped.
func TestPageLimits(t *testing.T) {
	const total = 1001
	cfg := baseConfig(t)
	mustPublish(t, publisher(t, cfg), oci.Artifact{
		Path: mustTarGz(t, t.TempDir(), "x.tar.gz", map[string]string{"a": "b"}),
		Type: registry.Cluster, Name: "x0000", Version: "1.0.0", Description: "one of many",
	})
	// The other 1000 are copies of that image layout under other repository
	// names, which is what publishing them one by one would write, only
	// faster.
	ns := filepath.Join(app.LayoutRoot(cfg.DataDir), cfg.OCI.Namespace)
	first := os.DirFS(filepath.Join(ns, "x0000"))
	for i := 1; i < total; i++ {
		if err := os.CopyFS(filepath.Join(ns, fmt.Sprintf("x%04d", i)), first); err != nil {
			t.Fatal(err)
		}
	}
	s := startServer(t, cfg)

	for _, c := range []struct {
		path        string
		count       int
		first, last string
	}{
		{"/api/v1/extensions", 100, "x0000", "x0099"},
		{"/api/v1/extensions?limit=1000", 1000, "x0000", "x0999"},
		{"/api/v1/extensions?limit=1001", 1000, "x0000", "x0999"},
		{"/api/v1/extensions?limit=1000000", 1000, "x0000", "x0999"},
		{"/api/v1/extensions?offset=1000&limit=1000000", 1, "x1000", "x1000"},
		{"/api/v1/extensions?offset=990&limit=20", 11, "x0990", "x1000"},
		{"/api/v1/extensions?offset=100", 100, "x0100", "x0199"},
		{"/api/v1/extensions/search?q=x", 50, "x0000", "x0049"},
		{"/api/v1/extensions/search?q=X&limit=100", 100, "x0000", "x0099"},
		{"/api/v1/extensions/search?q=x&limit=101", 100, "x0000", "x0099"},
		{"/api/v1/extensions/search?q=many&limit=5000", 100, "x0000", "x0099"},
		{"/api/v1/extensions?limit=99999999999999999999", 1000, "x0000", "x0999"},
		{"/api/v1/extensions/search?q=x&limit=99999999999999999999", 100, "x0000", "x0099"},
	} {
		exts, r := s.objects(t, c.path)
		if len(exts) != c.count || exts[0]["name"] != c.first || exts[len(exts)-1]["name"] != c.last {
			var got string
			if len(exts) > 0 {
				got = fmt.Sprintf("%v … %v", exts[0]["name"], exts[len(exts)-1]["name"])
			}
			t.Errorf("%s: %d extensions (%s), want %d (%s … %s)", c.path, len(exts), got, c.count, c.first, c.last)
		}
		if got := r.header.Get("X-Total-Count"); got != strconv.Itoa(total) {
			t.Errorf("%s: X-Total-Count %q, want %d", c.path, got, total)
		}
	}
	// An offset past the end, however many digits, is an empty page.
	for _, path := range []string{"/api/v1/extensions?offset=1001", "/api/v1/extensions?offset=99999999999999999999"} {
		if exts, _ := s.objects(t, path); len(exts) != 0 {
			t.Errorf("%s: %d extensions, want none", path, len(exts))
		}
	}
	if got := s.scrape(t).sum("extensions_total", map[string]string{"type": "cluster", "source": "oci"}); got != total {
		t.Errorf("extensions_total{type=cluster} = %v, want %d", got, total)
	}
}
