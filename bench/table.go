package main

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// printTable writes the results as the table bench/README.md shows.
func printTable(w io.Writer, r *results) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "(a) endpoint\tbytes\tregistry req/s\tp50 ms\tp99 ms\tbare req/s\tp50 ms\tp99 ms\tratio\n")
	for _, e := range r.Endpoints {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f×\n", e.Name, e.Bytes,
			e.Registry.RPS, e.Registry.P50ms, e.Registry.P99ms, e.Bare.RPS, e.Bare.P50ms, e.Bare.P99ms, e.Ratio)
	}
	tw.Flush()
	b := r.Burst
	fmt.Fprintf(w, "\n(b) %d concurrent requests for one key, cold (index not read yet): %d upstream requests caused (statuses %s)\n", b.ColdRequests, b.ColdUpstream, b.ColdStatuses)
	fmt.Fprintf(w, "    the same burst once the index is read: %d upstream requests\n", b.WarmUpstream)
	fmt.Fprintf(w, "    %d requests for names that do not exist: %d upstream requests\n", b.UnknownRequests, b.UnknownUpstream)
	fmt.Fprintf(w, "    (the index's first read: %d upstream requests alone, %d with the cold burst)\n", b.IndexReadUpstream, b.IndexReadWithBurst)
	fmt.Fprintf(w, "\n(c) cold start until the index holds all:")
	for n, s := range r.ColdStart {
		fmt.Fprintf(w, " %s extensions %.2fs;", n, s)
	}
	fmt.Fprintf(w, " (seeding:")
	for n, s := range r.SeedSeconds {
		fmt.Fprintf(w, " %s in %.1fs;", n, s)
	}
	fmt.Fprintln(w, ")")
	d := r.Download
	fmt.Fprintf(w, "\n(d) %d MiB download: direct %.0f MiB/s, first %.0f MiB/s (%.2f×), second %.0f MiB/s (%.2f×, from the blob cache: %t), registry peak RSS %.0f MiB\n",
		d.MiB, d.DirectMiBps, d.FirstMiBps, d.FirstRatio, d.SecondMiBps, d.SecondRatio, d.BlobCacheHit, d.PeakRSSMiB)
	e := r.Refresh
	fmt.Fprintf(w, "\n(e) per refresh with nothing changed (%d extensions, %d refreshes): %d requests: %d tag listings (%.2f per repository), %d manifest GETs, %d manifest HEADs, %d blob requests, %.0f catalog pages (every repository of the registry, 100 a page)\n",
		e.Extensions, e.Refreshes, e.PerRefresh.Total, e.PerRefresh.Tags, e.TagsPerRepo, e.PerRefresh.ManifestGet, e.PerRefresh.ManifestHead, e.PerRefresh.Blobs, e.CatalogPages)
	s := r.Synthetic
	fmt.Fprintf(w, "\n(f) %d synthetic extensions in process: index built in %.2fs, heap %.0f MiB, RSS %.0f MiB, search p50 %.2f ms p99 %.2f ms (%d queries), list ?limit=100 %.0f req/s p50 %.2f ms p99 %.2f ms\n",
		s.Extensions, s.BuildSeconds, s.HeapMiB, s.RSSMiB, s.SearchP50ms, s.SearchP99ms, s.SearchQueries, s.List.RPS, s.List.P50ms, s.List.P99ms)
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}
