package gitea

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	"github.com/Masterminds/semver/v3"

	registry "github.com/provisioning-platform/extension-registry"
)

// assetURL returns the URL the registry fetches a release asset from: the
// configured server (never a host named in an answer, so the credentials
// only go where they were configured for), at Gitea's release download path.
func (b *Backend) assetURL(r repository, tag, asset string) string {
	u := *b.base
	u.Path = b.base.Path + "/" + path.Join(r.owner, r.name, "releases", "download", tag, asset)
	return u.String()
}

// sourceArchiveURL returns the URL of the tag's source archive, the
// download of a release that has no archive asset.
func (b *Backend) sourceArchiveURL(r repository, tag string) string {
	u := *b.base
	u.Path = b.base.Path + "/" + path.Join(r.owner, r.name, "archive", tag+".tar.gz")
	return u.String()
}

// get fetches rawURL through hc with the backend's credentials. A status
// other than 200 is an error of the matching kind.
func (b *Backend) get(ctx context.Context, hc *http.Client, rawURL, what string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("gitea request: %w", err)
	}
	b.authorize(req)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, b.statusError(0, stripURL(err), "%s", what)
	}
	if resp.StatusCode != http.StatusOK {
		resp.Body.Close()
		return nil, b.statusError(resp.StatusCode, fmt.Errorf("GET %s: %s", what, resp.Status), "%s", what)
	}
	return resp, nil
}

// stripURL drops the URL from a transport error: it is known to the
// caller, and keeps query strings out of messages.
func stripURL(err error) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s: %w", ue.Op, ue.Err)
	}
	return err
}

// Open streams the archive of version v of the extension (typ, name) from
// Gitea with the backend's credentials, always from the configured server
// (never from a host named in Gitea's answers). When the release's checksum
// is known, the body fails at its end if the bytes do not match it. A
// release without an archive asset streams the tag's source archive, named
// {repo}-{tag}.tar.gz, with the size Gitea announces (-1 when it does not).
//
// A version the backend has just listed (by List, Get or Versions) is
// fetched at once, with the checksum v carries: the backend remembers which
// repository serves the extension and what its releases hold, so Open makes
// no request but the download. Any other v, or one whose archive is gone
// from there, is looked up first, as Versions would.
func (b *Backend) Open(ctx context.Context, typ registry.Type, name string, v registry.Version) (*registry.Archive, error) {
	want, err := registry.ParseVersion(v.Version)
	if err != nil {
		return nil, err
	}
	if loc, size, ok := b.locate(typ, name, want, v.Ref); ok {
		a, err := b.fetch(ctx, loc, v.Checksum, size)
		if !errors.Is(err, registry.ErrNotFound) {
			return a, err
		}
	}
	r, rels, err := b.findRepository(ctx, typ, name)
	if err != nil {
		return nil, err
	}
	for _, rel := range rels {
		if rel.version.Equal(want) && (v.Ref == "" || rel.tag == v.Ref) {
			loc, size := locationOf(r, rel)
			return b.fetch(ctx, loc, b.checksum(ctx, r, rel), size)
		}
	}
	return nil, registry.Errorf(registry.ErrNotFound, "Extension %s/%s version %s not found", typ, name, want)
}

// location is where a version's archive is: a release asset, or (asset
// empty) the tag's source archive.
type location struct {
	repo  repository
	tag   string
	asset string
}

// locationOf returns where the archive of rel is, and its size when known.
// fileNameOf is the name fetch gives the archive of rel: its asset's, else
// that of the source archive.
func fileNameOf(r repository, rel release) string {
	if rel.archive == nil {
		return r.name + "-" + rel.tag + ".tar.gz"
	}
	return path.Base(rel.archive.Name)
}

func locationOf(r repository, rel release) (location, int64) {
	if rel.archive == nil {
		return location{repo: r, tag: rel.tag}, 0
	}
	return location{repo: r, tag: rel.tag, asset: rel.archive.Name}, rel.archive.Size
}

// locate returns where the archive of version want (tag ref) of (typ,
// name) is, from what the backend remembers: the repository that served
// the extension last, and its releases as last read. ok is false when it
// remembers neither, or no release of that tag.
func (b *Backend) locate(typ registry.Type, name string, want *semver.Version, ref string) (location, int64, bool) {
	if ref == "" {
		return location{}, 0, false
	}
	r, ok := b.cache.server(typ, name)
	if !ok {
		return location{}, 0, false
	}
	rels, ok := b.cache.known(r)
	if !ok {
		return location{}, 0, false
	}
	for _, rel := range rels {
		if rel.tag == ref && rel.version.Equal(want) {
			loc, size := locationOf(r, rel)
			return loc, size, true
		}
	}
	return location{}, 0, false
}

// fetch streams the archive at loc, checked against sum when known; size
// is what the release says, used when Gitea announces no length.
func (b *Backend) fetch(ctx context.Context, loc location, sum string, size int64) (*registry.Archive, error) {
	r := loc.repo
	if loc.asset == "" {
		resp, err := b.get(ctx, b.dl, b.sourceArchiveURL(r, loc.tag), fmt.Sprintf("the source archive of %s/%s %s", r.owner, r.name, loc.tag))
		if err != nil {
			return nil, err
		}
		return &registry.Archive{Body: resp.Body, Size: resp.ContentLength, FileName: r.name + "-" + loc.tag + ".tar.gz"}, nil
	}
	resp, err := b.get(ctx, b.dl, b.assetURL(r, loc.tag, loc.asset), fmt.Sprintf("asset %s of %s/%s %s", loc.asset, r.owner, r.name, loc.tag))
	if err != nil {
		return nil, err
	}
	if resp.ContentLength >= 0 || size <= 0 {
		size = resp.ContentLength
	}
	body := io.ReadCloser(resp.Body)
	if want, ok := strings.CutPrefix(sum, "sha256:"); ok && isSHA256(want) {
		body = &verifiedBody{rc: resp.Body, h: sha256.New(), want: strings.ToLower(want)}
	} else {
		sum = ""
	}
	return &registry.Archive{Body: body, Size: size, FileName: path.Base(loc.asset), Checksum: sum}, nil
}

// verifiedBody hashes what it streams; the read that reaches the end fails
// instead of returning io.EOF when the digest differs from want.
type verifiedBody struct {
	rc   io.ReadCloser
	h    hash.Hash
	want string
}

// Read reads from the asset and checks the digest at its end.
func (v *verifiedBody) Read(p []byte) (int, error) {
	n, err := v.rc.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF {
		if got := hex.EncodeToString(v.h.Sum(nil)); got != v.want {
			return n, fmt.Errorf("gitea asset: %w: sha256:%s, want sha256:%s", registry.ErrChecksumMismatch, got, v.want)
		}
	}
	return n, err
}

// Close closes the asset stream.
func (v *verifiedBody) Close() error { return v.rc.Close() }
