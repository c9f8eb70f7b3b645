package blobcache

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// checkedBody is a backend stream that checks a digest itself (as the OCI
// backend's does) and hands out its raw stream through WithoutCheck.
type checkedBody struct {
	io.Reader
	raw          []byte
	digest       string
	size         int64
	asked, given bool
}

func (b *checkedBody) Close() error { return nil }

func (b *checkedBody) WithoutCheck(digest string, size int64) (io.ReadCloser, bool) {
	b.asked = true
	if digest != b.digest || size != b.size {
		return nil, false
	}
	b.given = true
	return io.NopCloser(bytes.NewReader(b.raw)), true
}

// TestFillSkipsTheBackendsOwnCheckButNotItsOwn: a fill reads the raw
// stream of a body that checks the same digest itself, and still fails
// when those raw bytes do not match: the cache's own check stands.
func TestFillSkipsTheBackendsOwnCheckButNotItsOwn(t *testing.T) {
	data := randomBlob(t, 300_000)
	digest := testserver.Digest(data)
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 1
	for _, tc := range []struct {
		name    string
		raw     []byte
		wantErr error
	}{
		{"good raw stream", data, nil},
		{"corrupt raw stream", bad, ErrMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mustOpen(t, "", 1<<20)
			body := &checkedBody{Reader: bytes.NewReader(data), raw: tc.raw, digest: digest, size: int64(len(data))}
			open := func(context.Context) (io.ReadCloser, error) { return body, nil }
			got, err := readAll(t, c, digest, int64(len(data)), open)
			if !body.given {
				t.Fatalf("the fill did not ask for the raw stream (asked %t)", body.asked)
			}
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("error %v, want %v", err, tc.wantErr)
			}
			if tc.wantErr == nil && !bytes.Equal(got, data) {
				t.Fatalf("got %d bytes, not the blob", len(got))
			}
			if tc.wantErr != nil {
				if len(got) >= len(data) {
					t.Errorf("the reader got all %d bytes of a mismatching blob", len(got))
				}
				if cached(t, c, digest) {
					t.Error("a mismatching blob was cached")
				}
			} else if !cached(t, c, digest) {
				t.Error("the blob is not cached once its download is over")
			}
		})
	}
}
