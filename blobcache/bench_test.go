package blobcache

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// BenchmarkRegistryBlob downloads one 64 MiB layer of a real registry three
// ways, each over loopback HTTP: straight from the registry, through the
// cache when it is empty (the fill streamed to the client), and from the
// cache's disk. Run it alone:
//
//	go test -run '^$' -bench RegistryBlob -benchtime 3x ./blobcache/
func BenchmarkRegistryBlob(b *testing.B) {
	reg := testserver.StartRegistry(b, testserver.RegistryOptions{})
	blob := pushBlob(b, reg, "blobcache/bench", 64<<20)
	direct := fmt.Sprintf("http://%s/v2/%s/blobs/%s", blob.host, blob.repo, blob.digest)
	download := func(b *testing.B, url string) {
		resp, err := http.Get(url)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if err != nil || n != int64(len(blob.data)) {
			b.Fatalf("%d bytes, %v", n, err)
		}
	}
	b.Run("direct", func(b *testing.B) {
		b.SetBytes(int64(len(blob.data)))
		for b.Loop() {
			download(b, direct)
		}
	})
	b.Run("first", func(b *testing.B) {
		b.SetBytes(int64(len(blob.data)))
		for b.Loop() {
			// A fresh, empty cache each time (its setup is small
			// beside 64 MiB).
			c := mustOpen(b, "", 1<<30)
			srv := httptest.NewServer(downloadHandler(c, blob))
			download(b, srv.URL)
			srv.Close()
		}
	})
	b.Run("cached", func(b *testing.B) {
		c := mustOpen(b, "", 1<<30)
		srv := httptest.NewServer(downloadHandler(c, blob))
		defer srv.Close()
		download(b, srv.URL)
		b.SetBytes(int64(len(blob.data)))
		b.ResetTimer()
		for b.Loop() {
			download(b, srv.URL)
		}
	})
}
