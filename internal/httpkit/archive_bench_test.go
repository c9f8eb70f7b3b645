package httpkit

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// BenchmarkServeArchive streams a 64 MiB archive through ServeArchive (with
// its hold-back of the unverified end) to a loopback client, against a bare
// handler that io.Copy-s the same bytes: the cost of the hold-back.
func BenchmarkServeArchive(b *testing.B) {
	data := bytes.Repeat([]byte("0123456789abcdef"), 4<<20) // 64 MiB
	for _, c := range []struct {
		name    string
		handler http.HandlerFunc
	}{
		{"ServeArchive", func(w http.ResponseWriter, r *http.Request) {
			ServeArchive(w, r, &registry.Archive{Body: io.NopCloser(bytes.NewReader(data)), Size: int64(len(data))}, nil)
		}},
		{"bare io.Copy", func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "67108864")
			_, _ = io.Copy(w, io.NopCloser(bytes.NewReader(data)))
		}},
	} {
		b.Run(c.name, func(b *testing.B) {
			srv := httptest.NewServer(c.handler)
			defer srv.Close()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				resp, err := srv.Client().Get(srv.URL)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(io.Discard, resp.Body); err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
			}
		})
	}
}
