package oci

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"
	"time"

	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2/content"

	registry "github.com/provisioning-platform/extension-registry"
)

// The annotations the backend reads from, and Publish writes into, a
// version's manifest, beside the pre-defined org.opencontainers.image ones
// (description, authors, source, created).
const (
	// AnnotationType holds the extension type: provider, taskserv or cluster.
	AnnotationType = "io.provisioning.extension.type"
	// AnnotationTags holds the extension's tags, comma separated.
	AnnotationTags = "io.provisioning.extension.tags"
)

// ArtifactType is the artifactType of the manifests Publish pushes. Discovery
// does not require it: artifacts pushed by other tools are read too.
const ArtifactType = "application/vnd.provisioning.extension.v1"

// Media types of the layers Publish pushes.
const (
	MediaTypeTarGzip = ocispec.MediaTypeImageLayerGzip // "application/vnd.oci.image.layer.v1.tar+gzip"
	MediaTypeZip     = "application/zip"
)

// LayerMediaTypes are the tar+gzip media types that select the download
// among several layers. A manifest with a single layer serves that layer
// whatever its media type.
var LayerMediaTypes = []string{
	MediaTypeTarGzip,
	"application/vnd.docker.image.rootfs.diff.tar.gzip",
	"application/tar+gzip",
	"application/gzip",
	"application/x-gzip",
}

// maxManifestSize bounds the manifests the backend reads.
const maxManifestSize = 4 << 20

// manifestMediaTypes are the manifests that describe layers; an index
// (multi-platform image) is not an extension version.
var manifestMediaTypes = []string{
	ocispec.MediaTypeImageManifest,
	"application/vnd.docker.distribution.manifest.v2+json",
}

// manifestInfo is what the backend needs of one version's manifest. It
// depends only on the manifest's bytes, so it is cached by digest.
type manifestInfo struct {
	digest      string // the manifest's own digest; empty when not a manifest
	annotations map[string]string
	layer       ocispec.Descriptor
	hasLayer    bool
	created     time.Time
}

// inspect resolves ref in r and returns its manifest's information, from the
// cache when the digest was seen before. A reference that does not exist is
// an ErrNotFound error; a manifest that is not an image manifest is reported
// as having no layer.
func (b *Backend) inspect(ctx context.Context, r repo, repoPath, ref string) (*manifestInfo, error) {
	if firstRead(ctx) {
		if rf, ok := r.(referenceFetcher); ok {
			if info, ok, err := b.inspectByReference(ctx, rf, repoPath, ref); ok {
				return info, err
			}
		}
	}
	desc, err := r.Resolve(ctx, ref)
	if err != nil {
		return nil, wrap(err, "Resolving %s:%s", repoPath, ref)
	}
	key := desc.Digest.String()
	if info, ok := b.manifests.Get(key); ok {
		return info, nil
	}
	if !slices.Contains(manifestMediaTypes, desc.MediaType) {
		return &manifestInfo{}, nil // not cached: the media type came from the resolve
	}
	if desc.Size > maxManifestSize {
		return nil, invalid("Manifest of %s:%s is too large (%d bytes)", repoPath, ref, desc.Size)
	}
	rc, err := r.Fetch(ctx, desc)
	if err != nil {
		return nil, wrap(err, "Fetching the manifest of %s:%s", repoPath, ref)
	}
	defer rc.Close()
	return b.readManifest(rc, desc, repoPath, ref)
}

// inspectByReference is inspect in one request, a GET of the manifest by
// its tag, for a repository read for the first time (no digest of it is
// known, so a HEAD first could spare nothing). ok is false when the
// repository cannot fetch by reference; inspect then resolves and fetches.
func (b *Backend) inspectByReference(ctx context.Context, rf referenceFetcher, repoPath, ref string) (*manifestInfo, bool, error) {
	desc, rc, ok, err := rf.fetchReference(ctx, ref)
	if !ok {
		return nil, false, nil
	}
	if err != nil {
		return nil, true, wrap(err, "Fetching the manifest of %s:%s", repoPath, ref)
	}
	defer rc.Close()
	if info, ok := b.manifests.Get(desc.Digest.String()); ok {
		return info, true, nil
	}
	if !slices.Contains(manifestMediaTypes, desc.MediaType) {
		return &manifestInfo{}, true, nil
	}
	if desc.Size > maxManifestSize {
		return nil, true, invalid("Manifest of %s:%s is too large (%d bytes)", repoPath, ref, desc.Size)
	}
	info, err := b.readManifest(rc, desc, repoPath, ref)
	return info, true, err
}

// readManifest reads, checks against desc and parses a manifest, and
// remembers it by digest.
func (b *Backend) readManifest(rc io.Reader, desc ocispec.Descriptor, repoPath, ref string) (*manifestInfo, error) {
	key := desc.Digest.String()
	data, err := content.ReadAll(rc, desc)
	if err != nil {
		return nil, wrap(err, "Reading the manifest of %s:%s", repoPath, ref)
	}
	var m ocispec.Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, &registry.Error{Kind: registry.ErrUnavailable, Message: fmt.Sprintf("Manifest of %s:%s is not valid JSON", repoPath, ref), Err: err}
	}
	info := &manifestInfo{digest: key, annotations: m.Annotations}
	info.layer, info.hasLayer = pickLayer(m.Layers)
	if s := m.Annotations[ocispec.AnnotationCreated]; s != "" {
		if t, err := time.Parse(time.RFC3339, strings.TrimSpace(s)); err == nil {
			info.created = t.UTC()
		}
	}
	b.manifests.Add(key, info)
	return info, nil
}

// pickLayer returns the download of a manifest: its single layer, else its
// first layer with a tar+gzip media type. The empty JSON descriptor that OCI
// 1.1 artifacts without files carry is never a download.
func pickLayer(layers []ocispec.Descriptor) (ocispec.Descriptor, bool) {
	usable := func(d ocispec.Descriptor) bool {
		return d.MediaType != ocispec.MediaTypeEmptyJSON && d.Size > 0 && d.Digest.Validate() == nil
	}
	if len(layers) == 1 && usable(layers[0]) {
		return layers[0], true
	}
	for _, l := range layers {
		if slices.Contains(LayerMediaTypes, l.MediaType) && usable(l) {
			return l, true
		}
	}
	return ocispec.Descriptor{}, false
}

// identify returns the extension a repository holds according to the
// manifest annotations of its current version: the type annotation, else the
// repository name's suffix. rel is the repository path below the namespace.
// With the annotation and a matching suffix, the suffix is stripped from the
// name. problem, when not empty, explains an ignored annotation or why the
// repository holds no extension (ok false).
func identify(rel string, annotations map[string]string) (name string, typ registry.Type, ok bool, problem string) {
	if strings.Contains(rel, "/") {
		return "", "", false, "nested repository below the namespace"
	}
	base, suffixType, suffixOK := registry.TypeFromRepositoryName(rel)
	if v := strings.TrimSpace(annotations[AnnotationType]); v != "" {
		t, err := registry.ParseType(v)
		if err == nil {
			if suffixOK && suffixType == t {
				return base, t, true, ""
			}
			return rel, t, true, ""
		}
		problem = fmt.Sprintf("ignoring the unknown %s annotation %q", AnnotationType, v)
	}
	if suffixOK {
		return base, suffixType, true, problem
	}
	if problem == "" {
		problem = "no " + AnnotationType + " annotation and no _prov/_provider/_taskserv/_cluster suffix: skipped"
	} else {
		problem += "; no type suffix either: skipped"
	}
	return "", "", false, problem
}

// splitTags parses the comma-separated tags annotation: trimmed, empty ones
// dropped, duplicates removed.
func splitTags(s string) []string {
	var tags []string
	for t := range strings.SplitSeq(s, ",") {
		if t = strings.TrimSpace(t); t != "" && !slices.Contains(tags, t) {
			tags = append(tags, t)
		}
	}
	return tags
}

// fileName returns the name a download is saved under: the layer's title
// annotation reduced to a safe base name, else {name}_{type}.tar.gz (.zip
// for a zip layer).
func fileName(layer ocispec.Descriptor, name string, typ registry.Type) string {
	title := strings.ReplaceAll(layer.Annotations[ocispec.AnnotationTitle], `\`, "/")
	title = path.Base(strings.TrimSpace(title))
	title = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '"' {
			return -1
		}
		return r
	}, title)
	if title != "" && title != "." && title != ".." && title != "/" {
		return title
	}
	if layer.MediaType == MediaTypeZip {
		return name + "_" + string(typ) + ".zip"
	}
	return name + "_" + string(typ) + ".tar.gz"
}

// semverTags returns the versions named by the tags of r: semantic versions
// with or without a leading "v", newest first, each with its original tag as
// Ref. When both "v1.0.0" and "1.0.0" exist, the tag without "v" is kept.
func semverTags(ctx context.Context, r repo, repoPath string) ([]registry.Version, error) {
	seen := map[string]int{}
	var vs []registry.Version
	err := r.Tags(ctx, "", func(tags []string) error {
		for _, tag := range tags {
			sv, err := registry.ParseVersion(tag)
			if err != nil {
				continue
			}
			v := sv.String()
			if i, dup := seen[v]; dup {
				if tag == v {
					vs[i].Ref = tag
				}
				continue
			}
			seen[v] = len(vs)
			vs = append(vs, registry.Version{Version: v, Ref: tag, Prerelease: sv.Prerelease() != ""})
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "Listing the tags of %s", repoPath)
	}
	registry.SortVersions(vs)
	return vs, nil
}
