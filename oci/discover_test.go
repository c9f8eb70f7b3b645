package oci

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"

	registry "github.com/provisioning-platform/extension-registry"
)

func TestIdentify(t *testing.T) {
	for _, c := range []struct {
		name, repo, annotation string
		wantName               string
		wantType               registry.Type
		ok, problem            bool
	}{
		{"annotation alone", "aws", "provider", "aws", registry.Provider, true, false},
		{"suffix alone", "k3s_taskserv", "", "k3s", registry.Taskserv, true, false},
		{"short provider suffix", "aws_prov", "", "aws", registry.Provider, true, false},
		{"annotation and matching suffix strip it", "k3s_taskserv", "taskserv", "k3s", registry.Taskserv, true, false},
		{"annotation wins over another suffix", "odd_cluster", "taskserv", "odd_cluster", registry.Taskserv, true, false},
		{"unknown annotation falls back to the suffix", "web_cluster", "plugin", "web", registry.Cluster, true, true},
		{"neither", "mystery", "", "", "", false, true},
		{"bare suffix", "_taskserv", "", "", "", false, true},
		{"nested path", "a/b_taskserv", "", "", "", false, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			ann := map[string]string{}
			if c.annotation != "" {
				ann[AnnotationType] = c.annotation
			}
			name, typ, ok, problem := identify(c.repo, ann)
			if name != c.wantName || typ != c.wantType || ok != c.ok || (problem != "") != c.problem {
				t.Errorf("identify(%q, %q) = %q, %q, %v, %q", c.repo, c.annotation, name, typ, ok, problem)
			}
		})
	}
}

func TestPickLayer(t *testing.T) {
	d := func(mediaType, data string) ocispec.Descriptor {
		return ocispec.Descriptor{MediaType: mediaType, Digest: digest.FromString(data), Size: int64(len(data))}
	}
	gz, zip, md := d(MediaTypeTarGzip, "gz"), d(MediaTypeZip, "zip"), d("text/markdown", "md")
	for _, c := range []struct {
		name   string
		layers []ocispec.Descriptor
		want   ocispec.Descriptor
		ok     bool
	}{
		{"single tar+gzip", []ocispec.Descriptor{gz}, gz, true},
		{"single of any type", []ocispec.Descriptor{zip}, zip, true},
		{"first gzip among several", []ocispec.Descriptor{md, gz, d("application/gzip", "2")}, gz, true},
		{"application/x-gzip among several", []ocispec.Descriptor{md, d("application/x-gzip", "x")}, d("application/x-gzip", "x"), true},
		{"no gzip among several", []ocispec.Descriptor{md, zip}, ocispec.Descriptor{}, false},
		{"none", nil, ocispec.Descriptor{}, false},
		{"empty JSON layer", []ocispec.Descriptor{ocispec.DescriptorEmptyJSON}, ocispec.Descriptor{}, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, ok := pickLayer(c.layers)
			if ok != c.ok || !reflect.DeepEqual(got, c.want) {
				t.Errorf("pickLayer = %+v, %v; want %+v, %v", got, ok, c.want, c.ok)
			}
		})
	}
}

func TestFileName(t *testing.T) {
	for _, c := range []struct {
		name, title, mediaType, want string
	}{
		{"title", "k8s.tar.gz", MediaTypeTarGzip, "k8s.tar.gz"},
		{"title with a path", "../../etc/x.tar.gz", MediaTypeTarGzip, "x.tar.gz"},
		{"windows path", `C:\out\y.tgz`, MediaTypeTarGzip, "y.tgz"},
		{"quotes and control characters", "a\"b\n.tgz", MediaTypeTarGzip, "ab.tgz"},
		{"no title", "", MediaTypeTarGzip, "k8s_taskserv.tar.gz"},
		{"dot-dot title", "..", MediaTypeTarGzip, "k8s_taskserv.tar.gz"},
		{"no title, zip", "", MediaTypeZip, "k8s_taskserv.zip"},
	} {
		t.Run(c.name, func(t *testing.T) {
			layer := ocispec.Descriptor{MediaType: c.mediaType, Annotations: map[string]string{ocispec.AnnotationTitle: c.title}}
			if got := fileName(layer, "k8s", registry.Taskserv); got != c.want {
				t.Errorf("fileName(%q) = %q, want %q", c.title, got, c.want)
			}
		})
	}
}

func TestSplitTags(t *testing.T) {
	for in, want := range map[string][]string{
		"":            nil,
		" , ,":        nil,
		"a, b,,c":     {"a", "b", "c"},
		"a,a, b":      {"a", "b"},
		"kubernetes ": {"kubernetes"},
	} {
		if got := splitTags(in); !reflect.DeepEqual(got, want) {
			t.Errorf("splitTags(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestNewRemoteValidation(t *testing.T) {
	for _, c := range []struct {
		name string
		opts RemoteOptions
	}{
		{"empty registry", RemoteOptions{}},
		{"scheme", RemoteOptions{Registry: "https://r.example.com"}},
		{"credentials in the host", RemoteOptions{Registry: "user:secret@r.example.com"}},
		{"bad namespace", RemoteOptions{Registry: "r.example.com", Namespace: "Upper/Case"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := NewRemote(c.opts)
			if err == nil {
				t.Fatal("accepted")
			}
			if !errors.Is(err, registry.ErrInvalid) || strings.Contains(err.Error(), "secret") {
				t.Errorf("error %q: want ErrInvalid without the secret", err)
			}
		})
	}
}
