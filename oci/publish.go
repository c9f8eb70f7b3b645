package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"

	registry "github.com/provisioning-platform/extension-registry"
)

// Artifact is what Publish pushes: an archive or a directory, and the
// metadata written into the manifest's annotations.
type Artifact struct {
	// Path is an archive file (.tar.gz, .tgz or .zip), pushed as it is, or a
	// directory, packed first with PackDir.
	Path string
	// Type, Name and Version identify the extension version. Name is one
	// repository path component (lowercase [a-z0-9._-]); Version is a
	// semantic version, with or without a leading "v".
	Type    registry.Type
	Name    string
	Version string
	// Description, Author, Repository and Tags are optional metadata.
	Description, Author, Repository string
	Tags                            []string
	// Created is the publication time; zero means now.
	Created time.Time
}

// Publish pushes a as an OCI 1.1 artifact (artifactType ArtifactType) into
// the repository {namespace}/{name}, tagged with the version without a
// leading "v": one layer, MediaTypeTarGzip for a .tar.gz, .tgz or packed
// directory and MediaTypeZip for a .zip, titled with the archive's base name
// ({name}_{type}.tar.gz for a directory), and the manifest annotations that
// discovery reads. The archive is streamed, never read into memory. An
// existing tag of the same version is moved to the new manifest.
//
// It returns the manifest's descriptor, an ErrInvalid, ErrInvalidType or
// ErrInvalidVersion error for a bad artifact or when the repository already
// holds an extension of another type, and the kinds of List when the store
// fails.
func (b *Backend) Publish(ctx context.Context, a Artifact) (ocispec.Descriptor, error) {
	p, err := b.PublishArtifact(ctx, a)
	return p.Manifest, err
}

// Published is what PublishArtifact pushed: the manifest and its one
// layer, the archive.
type Published struct {
	Manifest ocispec.Descriptor
	Archive  ocispec.Descriptor
}

// PublishArtifact is Publish, returning the archive's descriptor (its
// size and digest, the checksum the API shows) beside the manifest's.
func (b *Backend) PublishArtifact(ctx context.Context, a Artifact) (Published, error) {
	version, annotations, err := b.validate(a)
	if err != nil {
		return Published{}, err
	}
	layer, file, cleanup, err := prepareLayer(a)
	if err != nil {
		return Published{}, err
	}
	defer cleanup()

	path := b.namespace + "/" + a.Name
	// The lock covers the type check too: two publishers of one name
	// cannot both find it free for different types.
	unlock, err := b.store.lock(ctx, path)
	if err != nil {
		return Published{}, err
	}
	defer unlock()
	existing, err := b.resolveRepo(ctx, path, false)
	switch {
	case errors.Is(err, errSkip), errors.Is(err, registry.ErrNotFound):
	case err != nil:
		return Published{}, err
	case existing.ext.Type != a.Type:
		return Published{}, invalid("Repository %s already holds the %s %q: cannot publish a %s into it", path, existing.ext.Type, existing.ext.Name, a.Type)
	}

	target, err := b.store.target(ctx, path)
	if err != nil {
		return Published{}, err
	}
	if err := pushFile(ctx, target, layer, file); err != nil {
		return Published{}, wrap(err, "Pushing the archive to %s", path)
	}
	manifest, err := oras.PackManifest(ctx, target, oras.PackManifestVersion1_1, ArtifactType, oras.PackManifestOptions{
		Layers:              []ocispec.Descriptor{layer},
		ManifestAnnotations: annotations,
	})
	if err != nil {
		return Published{}, wrap(err, "Pushing the manifest to %s", path)
	}
	if err := target.Tag(ctx, manifest, version); err != nil {
		return Published{}, wrap(err, "Tagging %s:%s", path, version)
	}
	b.refresh.forgetRepository(path)
	b.log.Debug("published", "repository", path, "version", version, "digest", manifest.Digest.String())
	return Published{Manifest: manifest, Archive: layer}, nil
}

// validate checks a and returns its normalized version and the manifest
// annotations.
func (b *Backend) validate(a Artifact) (string, map[string]string, error) {
	if _, err := registry.ParseType(string(a.Type)); err != nil {
		return "", nil, err
	}
	if err := registry.CheckName(a.Name); err != nil {
		return "", nil, err
	}
	sv, err := registry.ParseVersion(a.Version)
	if err != nil {
		return "", nil, err
	}
	if sv.Metadata() != "" {
		// An OCI tag cannot hold "+": refuse before anything is pushed,
		// the same way for a remote registry and the embedded store.
		return "", nil, &registry.Error{Kind: registry.ErrInvalidVersion,
			Message: fmt.Sprintf("Invalid version %q: build metadata (+%s) cannot be part of an OCI tag", a.Version, sv.Metadata())}
	}
	created := a.Created
	if created.IsZero() {
		created = time.Now()
	}
	annotations := map[string]string{
		AnnotationType:            string(a.Type),
		ocispec.AnnotationCreated: created.UTC().Format(time.RFC3339),
	}
	set := func(key, value string) {
		if value = strings.TrimSpace(value); value != "" {
			annotations[key] = value
		}
	}
	set(ocispec.AnnotationDescription, a.Description)
	set(ocispec.AnnotationAuthors, a.Author)
	set(ocispec.AnnotationSource, a.Repository)
	var tags []string
	for _, t := range a.Tags {
		if strings.Contains(t, ",") {
			return "", nil, invalid("Invalid tag %q: tags may not contain a comma", t)
		}
		tags = append(tags, t)
	}
	set(AnnotationTags, strings.Join(splitTags(strings.Join(tags, ",")), ","))
	return sv.String(), annotations, nil
}

// prepareLayer returns the layer descriptor of a.Path and the file holding
// its bytes: the archive itself, or a temporary packed copy of a directory
// that cleanup removes.
func prepareLayer(a Artifact) (layer ocispec.Descriptor, file string, cleanup func(), err error) {
	cleanup = func() {}
	st, err := os.Stat(a.Path)
	if err != nil {
		return layer, "", cleanup, &registry.Error{Kind: registry.ErrInvalid, Message: fmt.Sprintf("Cannot read %s", a.Path), Err: err}
	}
	var mediaType, title string
	file = a.Path
	if st.IsDir() {
		mediaType, title = MediaTypeTarGzip, a.Name+"_"+string(a.Type)+".tar.gz"
		tmp, err := os.CreateTemp("", "extension-*.tar.gz")
		if err != nil {
			return layer, "", cleanup, err
		}
		cleanup = func() { os.Remove(tmp.Name()) }
		err = PackDir(tmp, a.Path)
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			cleanup()
			return layer, "", func() {}, &registry.Error{Kind: registry.ErrInvalid, Message: "Cannot pack " + a.Path, Err: err}
		}
		file = tmp.Name()
	} else {
		title = filepath.Base(a.Path)
		lower := strings.ToLower(title)
		var magic []byte
		switch {
		case strings.HasSuffix(lower, ".tar.gz"), strings.HasSuffix(lower, ".tgz"):
			mediaType, magic = MediaTypeTarGzip, []byte{0x1f, 0x8b}
		case strings.HasSuffix(lower, ".zip"):
			mediaType, magic = MediaTypeZip, []byte("PK")
		default:
			return layer, "", cleanup, invalid("Unsupported archive %s: must be a .tar.gz, .tgz or .zip file, or a directory", title)
		}
		if err := checkMagic(a.Path, magic); err != nil {
			return layer, "", cleanup, err
		}
	}
	layer, err = describeFile(file, mediaType)
	if err != nil {
		cleanup()
		return layer, "", func() {}, err
	}
	layer.Annotations = map[string]string{ocispec.AnnotationTitle: title}
	return layer, file, cleanup, nil
}

// checkMagic checks that the file at path starts with magic.
func checkMagic(path string, magic []byte) error {
	f, err := os.Open(path)
	if err != nil {
		return &registry.Error{Kind: registry.ErrInvalid, Message: "Cannot read " + path, Err: err}
	}
	defer f.Close()
	head := make([]byte, len(magic))
	if _, err := io.ReadFull(f, head); err != nil || !bytes.Equal(head, magic) {
		return invalid("%s is not the archive its name says", filepath.Base(path))
	}
	return nil
}

// describeFile returns the descriptor of the file at path, streaming it
// through the digester.
func describeFile(path, mediaType string) (ocispec.Descriptor, error) {
	f, err := os.Open(path)
	if err != nil {
		return ocispec.Descriptor{}, &registry.Error{Kind: registry.ErrInvalid, Message: "Cannot read " + path, Err: err}
	}
	defer f.Close()
	d := digest.SHA256.Digester()
	n, err := io.Copy(d.Hash(), f)
	if err != nil {
		return ocispec.Descriptor{}, &registry.Error{Kind: registry.ErrInvalid, Message: "Cannot read " + path, Err: err}
	}
	return ocispec.Descriptor{MediaType: mediaType, Digest: d.Digest(), Size: n}, nil
}

// pushFile streams the file at path into target as desc, unless the target
// already has it.
func pushFile(ctx context.Context, target oras.Target, desc ocispec.Descriptor, path string) error {
	if ok, err := target.Exists(ctx, desc); err == nil && ok {
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := target.Push(ctx, desc, f); err != nil && !errors.Is(err, errdef.ErrAlreadyExists) {
		return err
	}
	return nil
}
