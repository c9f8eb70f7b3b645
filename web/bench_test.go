package web_test

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkPages measures a full page answer (catalog, template, ETag)
// through the running registry over the demo store:
// go test -run '^$' -bench Pages ./web/
func BenchmarkPages(b *testing.B) {
	for _, path := range []string{"/", "/search?q=kube", "/extensions/taskserv/kubernetes"} {
		b.Run(path, func(b *testing.B) {
			base := benchServe(b)
			client := &http.Client{}
			b.ReportAllocs()
			var n int64
			for b.Loop() {
				resp, err := client.Get(base + path)
				if err != nil {
					b.Fatal(err)
				}
				m, _ := io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				n = m
			}
			b.ReportMetric(float64(n), "page-bytes")
		})
	}
}
