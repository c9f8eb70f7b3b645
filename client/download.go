package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/url"
	"path"
	"strings"
)

// DownloadOptions tunes Download. The zero value verifies against the
// checksum the server sends with the download.
type DownloadOptions struct {
	// Checksum is the checksum the bytes must have ("sha256:<hex>"), as
	// Get or Versions published it. Empty: the X-Checksum the server sends
	// with the download, when it sends one.
	Checksum string
	// Progress, when set, is called once the download starts with its
	// size (-1 when unknown); every byte is also written to the writer it
	// returns (nil: none).
	Progress func(size int64) io.Writer
}

// DownloadResult describes a finished download.
type DownloadResult struct {
	// Version is the version downloaded.
	Version string
	// FileName is the server's file name for the archive, reduced to a
	// plain file name ({name}_{type}.tar.gz when the server names none).
	FileName string
	// Checksum is the digest of the bytes received, "sha256:<hex>".
	Checksum string
	// Size is the number of bytes written.
	Size int64
	// Verified is true when the bytes were checked against a published
	// checksum; false when the registry published none for this version.
	Verified bool
}

// Download streams version of typ/name into w (the current version when
// version is empty) and verifies its checksum while it streams. The bytes
// reach w before the check at the end: on any error — a *ChecksumError
// above all — whatever w received must be thrown away (the command line
// writes to a temporary file it renames only on success).
func (c *Client) Download(ctx context.Context, typ, name, version string, w io.Writer, opts *DownloadOptions) (*DownloadResult, error) {
	if opts == nil {
		opts = &DownloadOptions{}
	}
	want := opts.Checksum
	if version == "" {
		e, err := c.Get(ctx, typ, name)
		if err != nil {
			return nil, err
		}
		version = e.Version
		if want == "" {
			want = e.Checksum
		}
	}
	if want != "" && !strings.HasPrefix(want, "sha256:") {
		return nil, fmt.Errorf("cannot verify checksum %q: only sha256 is supported", want)
	}
	resp, err := c.do(ctx, extPath(typ, name)+"/"+url.PathEscape(version), nil)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	header := resp.Header.Get("X-Checksum")
	if header != "" && !strings.HasPrefix(header, "sha256:") {
		return nil, fmt.Errorf("cannot verify checksum %q: only sha256 is supported", header)
	}

	h := sha256.New()
	var dst io.Writer = destWriter{w: io.MultiWriter(w, h)}
	if opts.Progress != nil {
		if pw := opts.Progress(resp.ContentLength); pw != nil {
			dst = destWriter{w: io.MultiWriter(w, h, pw)}
		}
	}
	n, err := io.Copy(dst, resp.Body)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var de *destError
		if errors.As(err, &de) {
			return nil, fmt.Errorf("download %s/%s %s: %w", typ, name, version, de.err)
		}
		return nil, fmt.Errorf("download %s/%s %s: %w", typ, name, version,
			&IncompleteError{Received: n, Expected: resp.ContentLength, Err: err})
	}
	res := &DownloadResult{
		Version:  version,
		FileName: fileName(resp.Header.Get("Content-Disposition"), typ, name),
		Checksum: "sha256:" + hex.EncodeToString(h.Sum(nil)),
		Size:     n,
	}
	for _, expected := range []string{want, header} {
		if expected == "" {
			continue
		}
		if !strings.EqualFold(expected, res.Checksum) {
			return nil, &ChecksumError{Expected: expected, Actual: res.Checksum}
		}
		res.Verified = true
	}
	return res, nil
}

// fileName is the plain file name of a Content-Disposition, or
// {name}_{type}.tar.gz. Directories, "..", and control characters never
// survive: the name is safe to join to a folder.
func fileName(disposition, typ, name string) string {
	fallback := name + "_" + typ + ".tar.gz"
	_, params, err := mime.ParseMediaType(disposition)
	if err != nil {
		return safeName(fallback, "extension.tar.gz")
	}
	return safeName(params["filename"], safeName(fallback, "extension.tar.gz"))
}

// safeName returns s reduced to its last path element when that is a
// usable file name, else fallback.
func safeName(s, fallback string) string {
	s = path.Base(strings.ReplaceAll(s, "\\", "/"))
	if s == "" || s == "." || s == ".." || s == "/" || strings.HasPrefix(s, ".") || len(s) > 255 {
		return fallback
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return fallback
		}
	}
	return s
}
