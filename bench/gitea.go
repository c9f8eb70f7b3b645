package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// giteaExtensions is how many extension repositories the Gitea figures
// seed, whatever the run's size (issue 8 asks for at least 100).
const giteaExtensions = 120

// giteaResult is what the Gitea figures measured: (a), (c) and (e) with
// sources=gitea against a real Gitea.
type giteaResult struct {
	GiteaVersion string           `json:"gitea_binary"`
	Extensions   int              `json:"extensions"`
	Versions     int              `json:"versions_per_extension"`
	PageSize     int              `json:"page_size"`
	StartSeconds float64          `json:"gitea_start_seconds"`
	SeedSeconds  float64          `json:"seed_seconds"`
	Endpoints    []endpointResult `json:"endpoints"`
	ColdStart    float64          `json:"cold_start_seconds"`
	FirstRead    giteaCounts      `json:"first_read_upstream"`
	Refresh      giteaRefresh     `json:"refresh_nothing_changed"`
}

// giteaRefresh is figure (e) for Gitea.
type giteaRefresh struct {
	Refreshes     int64       `json:"refreshes"`
	Counted       giteaCounts `json:"counted"`
	PerRefresh    float64     `json:"requests_per_refresh"`
	ReleaseListPR float64     `json:"release_list_pages_per_refresh"`
	RepoPagesPR   float64     `json:"repository_list_pages_per_refresh"`
	AssetsPR      float64     `json:"asset_downloads_per_refresh"`
	RepoReadsPR   float64     `json:"repository_reads_per_refresh"`
	OtherPR       float64     `json:"other_requests_per_refresh"`
	// PeriodSeconds is the time from one refresh's start to the next: the
	// read itself plus index.interval (2s).
	PeriodSeconds float64 `json:"period_seconds"`
}

// runGitea measures the Gitea figures when EXTREG_TEST_GITEA names the
// binary; it returns nil, nil (after printing why) when it does not.
func runGitea(ctx context.Context, bin, dir string, cfg config) (*giteaResult, error) {
	step := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: gitea: "+format+"\n", args...) }
	giteaBin := os.Getenv("EXTREG_TEST_GITEA")
	if giteaBin == "" {
		fmt.Println("gitea: EXTREG_TEST_GITEA is not set (no Gitea binary): the Gitea figures are skipped")
		return nil, nil
	}
	if _, err := os.Stat(giteaBin); err != nil {
		fmt.Printf("gitea: %s not found: the Gitea figures are skipped\n", giteaBin)
		return nil, nil
	}
	res := &giteaResult{GiteaVersion: filepath.Base(filepath.Dir(giteaBin)), Extensions: giteaExtensions, Versions: 3, PageSize: 50}
	gdir := filepath.Join(dir, "gitea")
	if err := os.MkdirAll(gdir, 0o755); err != nil {
		return nil, err
	}
	step("starting Gitea")
	t0 := time.Now()
	g, err := testserver.StartGiteaProcess(giteaBin, gdir, testserver.GiteaOptions{MaxResponseItems: res.PageSize})
	if err != nil {
		return nil, fmt.Errorf("starting gitea: %w", err)
	}
	defer g.Close()
	res.StartSeconds = time.Since(t0).Seconds()

	step("seeding %d extensions × %d releases", giteaExtensions, res.Versions)
	t0 = time.Now()
	const org = "bench"
	if err := seedGitea(ctx, g.URL, g.AdminToken, org, giteaExtensions, []string{"1.0.0", "1.1.0", "1.2.0"}); err != nil {
		return nil, err
	}
	res.SeedSeconds = time.Since(t0).Seconds()

	ctr, err := startGiteaCounter(g.URL)
	if err != nil {
		return nil, err
	}
	env := func(interval string) map[string]string {
		return map[string]string{"SOURCES": "gitea", "GITEA_URL": "http://" + ctr.host, "GITEA_ORGANIZATIONS": org,
			"GITEA_TOKEN": g.AdminToken, "INDEX_INTERVAL": interval}
	}
	newDir := func(name string) string {
		d := filepath.Join(dir, name)
		_ = os.MkdirAll(d, 0o755)
		return d
	}

	step("cold start, %d extensions", giteaExtensions)
	c0 := ctr.snapshot()
	t0 = time.Now()
	svc, err := startService(bin, newDir("svc-gitea"), env("1h"))
	if err != nil {
		return nil, err
	}
	d, err := svc.waitIndexed(t0, giteaExtensions, 5*time.Minute)
	if err != nil {
		svc.stop()
		return nil, err
	}
	res.ColdStart = d.Seconds()
	res.FirstRead = ctr.snapshot().minus(c0)

	step("load at %d connections", cfg.Conns)
	for _, ep := range []struct{ name, path string }{
		{"gitea list ?limit=100", "/api/v1/extensions?limit=100"},
		{"gitea metadata", "/api/v1/extensions/taskserv/ext-001"},
	} {
		body, err := fetch(svc.url + ep.path)
		if err != nil {
			svc.stop()
			return nil, err
		}
		r := endpointResult{Name: ep.name, Path: ep.path, Bytes: len(body)}
		r.Registry, r.Bare = alternate(svc.url+ep.path, body, dir, cfg)
		if r.Bare.RPS > 0 {
			r.Ratio = r.Registry.RPS / r.Bare.RPS
		}
		res.Endpoints = append(res.Endpoints, r)
	}
	svc.stop()

	step("refreshes when nothing changed (%d whole ones)", giteaRefreshCount)
	if res.Refresh, err = giteaRefreshCost(bin, newDir("svc-gitea-refresh"), env("2s"), ctr); err != nil {
		return nil, err
	}
	return res, nil
}

// giteaRefreshCount is how many whole refreshes figure (e) counts.
const giteaRefreshCount = 3

// giteaRefreshCost is figure (e) for Gitea: a service refreshing every 2s
// while nothing changes. Each refresh reads the first page of the
// organization's repository list once, which marks its start; the counts
// run from the start of one refresh to the start of the
// giteaRefreshCount-th after it, so they hold whole refreshes only.
func giteaRefreshCost(bin, dir string, env map[string]string, ctr *giteaCounter) (giteaRefresh, error) {
	var out giteaRefresh
	t0 := time.Now()
	svc, err := startService(bin, dir, env)
	if err != nil {
		return out, err
	}
	defer svc.stop()
	if _, err := svc.waitIndexed(t0, giteaExtensions, 5*time.Minute); err != nil {
		return out, err
	}
	deadline := time.Now().Add(2 * time.Minute)
	nextStart := func() (giteaCounts, time.Time, error) {
		n := ctr.refreshStarts.Load()
		for time.Now().Before(deadline) {
			if ctr.refreshStarts.Load() != n {
				return ctr.snapshot(), time.Now(), nil
			}
			time.Sleep(2 * time.Millisecond)
		}
		return giteaCounts{}, time.Time{}, fmt.Errorf("no Gitea refresh started within 2 minutes")
	}
	c0, start, err := nextStart()
	if err != nil {
		return out, err
	}
	var c1 giteaCounts
	var end time.Time
	for range giteaRefreshCount {
		if c1, end, err = nextStart(); err != nil {
			return out, err
		}
	}
	d := c1.minus(c0)
	n := float64(d.RefreshStarts)
	out.Refreshes, out.Counted = d.RefreshStarts, d
	out.PerRefresh = float64(d.Total) / n
	out.ReleaseListPR = float64(d.ReleaseLists) / n
	out.RepoPagesPR = float64(d.RepoPages) / n
	out.AssetsPR = float64(d.Assets) / n
	out.RepoReadsPR = float64(d.RepoReads) / n
	out.OtherPR = float64(d.Other) / n
	out.PeriodSeconds = end.Sub(start).Seconds() / n
	return out, nil
}

// printGitea writes the Gitea figures below the main table.
func printGitea(w io.Writer, r *giteaResult) {
	if r == nil {
		return
	}
	fmt.Fprintf(w, "\nGitea (%s, %d extensions × %d releases, page size %d; Gitea started in %.1fs, seeded in %.1fs)\n",
		r.GiteaVersion, r.Extensions, r.Versions, r.PageSize, r.StartSeconds, r.SeedSeconds)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "(a) endpoint\tbytes\tregistry req/s\tp50 ms\tp99 ms\tbare req/s\tp50 ms\tp99 ms\tratio\n")
	for _, e := range r.Endpoints {
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%.0f\t%.2f\t%.2f\t%.2f×\n", e.Name, e.Bytes,
			e.Registry.RPS, e.Registry.P50ms, e.Registry.P99ms, e.Bare.RPS, e.Bare.P50ms, e.Bare.P99ms, e.Ratio)
	}
	tw.Flush()
	f := r.FirstRead
	fmt.Fprintf(w, "(c) cold start until the index holds all %d: %.2fs (%d upstream requests: %d repository list pages, %d repository reads, %d release list pages, %d asset downloads, %d other)\n",
		r.Extensions, r.ColdStart, f.Total, f.RepoPages, f.RepoReads, f.ReleaseLists, f.Assets, f.Other)
	e := r.Refresh
	fmt.Fprintf(w, "(e) per refresh with nothing changed (%d whole refreshes, one every %.2fs at index.interval=2s): %.1f requests: %.1f repository list pages, %.1f repository reads, %.1f release list pages (%.2f per repository), %.1f asset downloads, %.1f other\n",
		e.Refreshes, e.PeriodSeconds, e.PerRefresh, e.RepoPagesPR, e.RepoReadsPR, e.ReleaseListPR, e.ReleaseListPR/float64(r.Extensions), e.AssetsPR, e.OtherPR)
}
