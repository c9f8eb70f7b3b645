package gitea

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"net/http"
	"net/url"
	"path"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// maxChecksumFile bounds how much of a checksum asset is read.
const maxChecksumFile = 1 << 20

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

// get fetches rawURL from the configured server with the backend's
// credentials. A status other than 200 is an error of the matching kind.
func (b *Backend) get(ctx context.Context, rawURL, what string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, fmt.Errorf("gitea request: %w", err)
	}
	b.authorize(req)
	resp, err := b.hc.Do(req)
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

// checksum returns "sha256:<hex>" for the archive of rel, read from its
// checksum assets, or "" when none gives one. A checksum file that cannot
// be read is logged and skipped: the version stays usable.
func (b *Backend) checksum(ctx context.Context, r repository, rel release) string {
	if rel.archive == nil {
		return ""
	}
	for _, a := range rel.sums {
		resp, err := b.get(ctx, b.assetURL(r, rel.tag, a.Name), fmt.Sprintf("asset %s of %s/%s %s", a.Name, r.owner, r.name, rel.tag))
		if err != nil {
			if ctx.Err() == nil {
				b.log.Warn("Gitea checksum asset unreadable", "repository", r.owner+"/"+r.name, "tag", rel.tag, "asset", a.Name, "error", err)
			}
			continue
		}
		sum := parseChecksum(io.LimitReader(resp.Body, maxChecksumFile), rel.archive.Name, strings.EqualFold(a.Name, rel.archive.Name+".sha256"))
		resp.Body.Close()
		if sum != "" {
			return "sha256:" + sum
		}
		b.log.Warn("Gitea checksum asset names no checksum for the archive", "repository", r.owner+"/"+r.name, "tag", rel.tag, "asset", a.Name, "archive", rel.archive.Name)
	}
	return ""
}

// parseChecksum reads a sha256sum-style file: lines "<hex>  <file>" (or
// "<hex> *<file>"). It returns the hex digest given for file; a single-file
// form (an {asset}.sha256) may hold the bare digest, or a line for any
// name.
func parseChecksum(r io.Reader, file string, single bool) string {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxChecksumFile)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) == 0 || !isSHA256(fields[0]) {
			continue
		}
		if len(fields) == 1 {
			if single {
				return strings.ToLower(fields[0])
			}
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(fields[1], "*"), "./")
		if single || name == file || path.Base(name) == file {
			return strings.ToLower(fields[0])
		}
	}
	return ""
}

func isSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// Open streams the archive of version v of the extension (typ, name) from
// Gitea with the backend's credentials, always from the configured server
// (never from a host named in Gitea's answers). When the release's checksum
// is known, the body fails at its end if the bytes do not match it. A
// release without an archive asset streams the tag's source archive, named
// {repo}-{tag}.tar.gz, with the size Gitea announces (-1 when it does not).
func (b *Backend) Open(ctx context.Context, typ registry.Type, name string, v registry.Version) (*registry.Archive, error) {
	want, err := registry.ParseVersion(v.Version)
	if err != nil {
		return nil, err
	}
	c, err := b.client(ctx)
	if err != nil {
		return nil, err
	}
	r, rels, err := b.findRepository(ctx, c, typ, name)
	if err != nil {
		return nil, err
	}
	var rel *release
	for i := range rels {
		if rels[i].version.Equal(want) && (v.Ref == "" || rels[i].tag == v.Ref) {
			rel = &rels[i]
			break
		}
	}
	if rel == nil {
		return nil, registry.Errorf(registry.ErrNotFound, "Extension %s/%s version %s not found", typ, name, want)
	}
	if rel.archive == nil {
		resp, err := b.get(ctx, b.sourceArchiveURL(r, rel.tag), fmt.Sprintf("the source archive of %s/%s %s", r.owner, r.name, rel.tag))
		if err != nil {
			return nil, err
		}
		return &registry.Archive{Body: resp.Body, Size: resp.ContentLength, FileName: r.name + "-" + rel.tag + ".tar.gz"}, nil
	}
	sum := b.checksum(ctx, r, *rel)
	resp, err := b.get(ctx, b.assetURL(r, rel.tag, rel.archive.Name), fmt.Sprintf("asset %s of %s/%s %s", rel.archive.Name, r.owner, r.name, rel.tag))
	if err != nil {
		return nil, err
	}
	size := resp.ContentLength
	if size < 0 {
		size = rel.archive.Size
	}
	body := io.ReadCloser(resp.Body)
	if sum != "" {
		body = &verifiedBody{rc: resp.Body, h: sha256.New(), want: strings.TrimPrefix(sum, "sha256:")}
	}
	return &registry.Archive{Body: body, Size: size, FileName: path.Base(rel.archive.Name), Checksum: sum}, nil
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
			return n, fmt.Errorf("gitea asset does not match its published checksum: sha256:%s, want sha256:%s", got, v.want)
		}
	}
	return n, err
}

// Close closes the asset stream.
func (v *verifiedBody) Close() error { return v.rc.Close() }
