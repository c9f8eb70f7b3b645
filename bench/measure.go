package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"
)

// hammer sends n concurrent GETs (at most conc at a time; conc <= 0: all
// at once) and returns the status codes seen, as "code×count".
func hammer(urls func(i int) string, n, conc int) string {
	if conc <= 0 {
		conc = n
	}
	tr := &http.Transport{MaxIdleConnsPerHost: conc, MaxConnsPerHost: conc}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	var (
		mu    sync.Mutex
		codes = map[int]int{}
		wg    sync.WaitGroup
		sem   = make(chan struct{}, conc)
	)
	for i := range n {
		sem <- struct{}{}
		wg.Go(func() {
			defer func() { <-sem }()
			code := -1
			if resp, err := client.Get(urls(i)); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				code = resp.StatusCode
			}
			mu.Lock()
			codes[code]++
			mu.Unlock()
		})
	}
	wg.Wait()
	var parts []string
	for c, k := range codes {
		parts = append(parts, fmt.Sprintf("%d×%d", c, k))
	}
	sort.Strings(parts)
	return strings.Join(parts, " ")
}

// burstAndUnknown measures figure (b) once the index is read: a burst for
// one key and requests for names that do not exist.
func burstAndUnknown(svc *service, ctr *counter, cfg config, res *results) error {
	c0 := ctr.snapshot()
	hammer(func(int) string { return svc.url + "/api/v1/extensions/taskserv/ext-00001/versions" }, cfg.Burst, 0)
	res.Burst.WarmUpstream = ctr.snapshot().minus(c0).Total
	c0 = ctr.snapshot()
	res.Burst.UnknownRequests = cfg.Burst
	hammer(func(i int) string { return fmt.Sprintf("%s/api/v1/extensions/taskserv/missing-%d", svc.url, i) }, cfg.Burst, 64)
	res.Burst.UnknownUpstream = ctr.snapshot().minus(c0).Total
	return nil
}

// coldBurst starts a service and at once sends cfg.Burst concurrent
// requests for one key, before the index has read the registry. The
// upstream requests they caused are those of the whole start minus those
// of the index's first read alone (measured before).
func coldBurst(bin, dir string, env map[string]string, ctr *counter, cfg config, res *results) error {
	c0 := ctr.snapshot()
	t0 := time.Now()
	svc, err := startService(bin, dir, env)
	if err != nil {
		return err
	}
	defer svc.stop()
	res.Burst.ColdRequests = cfg.Burst
	res.Burst.ColdStatuses = hammer(func(int) string { return svc.url + "/api/v1/extensions/taskserv/ext-00001/versions" }, cfg.Burst, 0)
	if _, err := svc.waitIndexed(t0, cfg.Small, 5*time.Minute); err != nil {
		return err
	}
	time.Sleep(200 * time.Millisecond)
	res.Burst.IndexReadWithBurst = ctr.snapshot().minus(c0).Total
	res.Burst.ColdUpstream = res.Burst.IndexReadWithBurst - res.Burst.IndexReadUpstream
	return nil
}

// loadEndpoints measures figure (a).
func loadEndpoints(svc *service, dir string, cfg config, res *results) error {
	for _, ep := range []struct{ name, path string }{
		{"list ?limit=100", "/api/v1/extensions?limit=100"},
		{"metadata", "/api/v1/extensions/taskserv/ext-00001"},
		{"versions", "/api/v1/extensions/taskserv/ext-00001/versions"},
		{"search ?q=", "/api/v1/extensions/search?q=ext-0004"},
	} {
		body, err := fetch(svc.url + ep.path)
		if err != nil {
			return err
		}
		r := endpointResult{Name: ep.name, Path: ep.path, Bytes: len(body)}
		r.Registry, r.Bare = alternate(svc.url+ep.path, body, dir, cfg)
		if r.Bare.RPS > 0 {
			r.Ratio = r.Registry.RPS / r.Bare.RPS
		}
		res.Endpoints = append(res.Endpoints, r)
	}
	return nil
}

// alternate loads the registry's url and a bare handler serving body,
// twice each, alternated, and keeps each side's better run.
func alternate(url string, body []byte, dir string, cfg config) (reg, bare loadResult) {
	b, err := startBare(dir, body)
	if err != nil {
		return
	}
	defer b.stop()
	better := func(x, y loadResult) loadResult {
		if y.RPS > x.RPS {
			return y
		}
		return x
	}
	for range 2 {
		reg = better(reg, runLoad(url, cfg.Conns, cfg.LoadFor))
		bare = better(bare, runLoad(b.url, cfg.Conns, cfg.LoadFor))
	}
	return reg, bare
}

// refreshCost measures figure (e): a service refreshing every 2s while
// nothing changes. Each refresh lists the catalog once, which counts them.
func refreshCost(bin, dir string, env map[string]string, ctr *counter, cfg config, res *results) error {
	t0 := time.Now()
	svc, err := startService(bin, dir, env)
	if err != nil {
		return err
	}
	defer svc.stop()
	if _, err := svc.waitIndexed(t0, cfg.Small, 5*time.Minute); err != nil {
		return err
	}
	time.Sleep(500 * time.Millisecond)
	c0 := ctr.snapshot()
	time.Sleep(7 * time.Second)
	d := ctr.snapshot().minus(c0)
	res.Refresh.Extensions = cfg.Small
	res.Refresh.Refreshes = d.Catalog
	if d.Catalog > 0 {
		n := d.Catalog
		res.Refresh.PerRefresh = counts{d.Total / n, d.Tags / n, d.ManifestGet / n, d.ManifestHead / n, d.Blobs / n, 1}
		res.Refresh.CatalogPages = float64(d.Total-d.Tags-d.ManifestGet-d.ManifestHead-d.Blobs) / float64(n)
		res.Refresh.TagsPerRepo = float64(d.Tags) / float64(n) / float64(cfg.Small)
		res.Refresh.ManifestGetsPR = float64(d.ManifestGet) / float64(n)
	}
	return nil
}

// download measures figure (d).
func download(ctx context.Context, bin string, sd *seeder, reg *distRegistry, dir string, env map[string]string, cfg config, res *results) error {
	size := int64(cfg.DownloadMiB) << 20
	layer, err := sd.pushBig(ctx, dir, "bench/dl/big", size)
	if err != nil {
		return err
	}
	res.Download.MiB = cfg.DownloadMiB
	timed := func(url string) (float64, error) {
		t0 := time.Now()
		resp, err := http.Get(url)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		n, err := io.Copy(io.Discard, resp.Body)
		if err != nil || resp.StatusCode != http.StatusOK || n != size {
			return 0, fmt.Errorf("GET %s: %s, %d bytes, %v", url, resp.Status, n, err)
		}
		return float64(size) / (1 << 20) / time.Since(t0).Seconds(), nil
	}
	direct, err := timed(fmt.Sprintf("http://%s/v2/bench/dl/big/blobs/%s", reg.host, layer.Digest))
	if err != nil {
		return err
	}
	// The same blob through the counting proxy the service reads from:
	// the ceiling of a first download, which crosses it.
	viaProxy, err := timed(fmt.Sprintf("http://%s/v2/bench/dl/big/blobs/%s", env["OCI_REGISTRY"], layer.Digest))
	if err != nil {
		return err
	}
	res.Download.ProxyMiBps = viaProxy
	t0 := time.Now()
	svc, err := startService(bin, dir, env)
	if err != nil {
		return err
	}
	defer svc.stop()
	if _, err := svc.waitIndexed(t0, 1, time.Minute); err != nil {
		return err
	}
	url := svc.url + "/api/v1/extensions/cluster/big/1.0.0"
	first, err := timed(url)
	if err != nil {
		return err
	}
	second, err := timed(url)
	if err != nil {
		return err
	}
	res.Download.DirectMiBps, res.Download.FirstMiBps, res.Download.SecondMiBps = direct, first, second
	res.Download.FirstRatio, res.Download.SecondRatio = first/direct, second/direct
	res.Download.PeakRSSMiB = float64(svc.peakRSS()) / (1 << 20)
	if m, err := fetch(svc.url + "/api/v1/metrics"); err == nil {
		res.Download.BlobCacheHit = strings.Contains(string(m), "\nblob_cache_hits_total 1\n")
	}
	if !res.Download.BlobCacheHit {
		res.Notes = append(res.Notes, "The second download did not come from the blob cache (none configured, or it missed).")
	}
	return nil
}
