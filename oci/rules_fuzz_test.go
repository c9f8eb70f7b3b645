package oci

import (
	"slices"
	"strings"
	"testing"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	registry "github.com/provisioning-platform/extension-registry"
)

// FuzzIdentify: a repository is either skipped with a reason or becomes an
// extension of a valid type with a non-empty name.
func FuzzIdentify(f *testing.F) {
	for _, s := range [][2]string{{"aws", "provider"}, {"aws_prov", ""}, {"k8s_taskserv", "cluster"}, {"x", "widget"}, {"a/b", "provider"}, {"_prov", ""}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, rel, typ string) {
		if rel == "" {
			return // a repository path below the namespace is never empty (identify("") would name an extension "")
		}
		name, got, ok, problem := identify(rel, map[string]string{AnnotationType: typ})
		if !ok {
			if problem == "" {
				t.Fatal("skipped without a reason")
			}
			return
		}
		if _, err := registry.ParseType(string(got)); err != nil || name == "" {
			t.Fatalf("identify(%q, %q) = %q, %q", rel, typ, name, got)
		}
	})
}

// FuzzFileName: the file name of a download is a plain, non-empty base
// name without control characters or quotes, whatever the title.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"aws.tar.gz", "../../etc/passwd", `a\b.zip`, "a\"b", "\x00", "", ".", "/", "ä.tgz"} {
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, title string, zip bool) {
		layer := ocispec.Descriptor{Annotations: map[string]string{ocispec.AnnotationTitle: title}}
		if zip {
			layer.MediaType = MediaTypeZip
		}
		n := fileName(layer, "aws", registry.Provider)
		if n == "" || n == "." || n == ".." || strings.ContainsAny(n, "/\"") || strings.ContainsFunc(n, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			t.Fatalf("file name %q from title %q", n, title)
		}
	})
}

// FuzzSplitTags: the tags annotation gives trimmed, non-empty, distinct
// tags.
func FuzzSplitTags(f *testing.F) {
	f.Add("cloud, aws,,cloud , ")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		tags := splitTags(s)
		for i, tag := range tags {
			if tag == "" || tag != strings.TrimSpace(tag) || strings.Contains(tag, ",") || slices.Contains(tags[:i], tag) {
				t.Fatalf("tags %q from %q", tags, s)
			}
		}
	})
}
