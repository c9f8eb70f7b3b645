package oci

import (
	"bytes"
	"io"
	"testing"

	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

// TestWithoutCheckOnlyForTheSameDigest: the archive body hands out its
// stream without its digest check only to a reader that checks exactly the
// same digest and size, and only before anything was read through it.
func TestWithoutCheckOnlyForTheSameDigest(t *testing.T) {
	data := []byte("the archive's bytes")
	desc := ocispec.Descriptor{Digest: digest.FromBytes(data), Size: int64(len(data))}
	other := digest.FromBytes([]byte("other")).String()
	newBody := func() *verifiedBody { return newVerifiedBody(io.NopCloser(bytes.NewReader(data)), desc) }
	for _, tc := range []struct {
		name   string
		digest string
		size   int64
		ok     bool
	}{
		{"same digest and size", desc.Digest.String(), desc.Size, true},
		{"other digest", other, desc.Size, false},
		{"other size", desc.Digest.String(), desc.Size + 1, false},
	} {
		if _, ok := newBody().WithoutCheck(tc.digest, tc.size); ok != tc.ok {
			t.Errorf("%s: ok %t, want %t", tc.name, ok, tc.ok)
		}
	}
	b := newBody()
	if _, err := b.Read(make([]byte, 4)); err != nil {
		t.Fatal(err)
	}
	if _, ok := b.WithoutCheck(desc.Digest.String(), desc.Size); ok {
		t.Error("the raw stream was handed out after a read through the check")
	}
}
