// Command bench measures the registry against the physical limit of this
// machine: it seeds a real distribution registry, runs the registry binary
// against it, and compares its answers with a bare net/http handler writing
// the same bytes, using the same load generator, alternated. It prints a
// table and writes bench/results/latest.json. See bench/README.md.
//
//	go run ./bench [-quick] [-out bench/results/latest.json]
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"
)

// config is what one run measures; -quick scales it down for a smoke run.
type config struct {
	Small, Big, Synthetic int
	DownloadMiB           int
	Conns                 int
	LoadFor               time.Duration
	Burst                 int
}

func main() {
	if len(os.Args) == 4 && os.Args[1] == "bare" {
		log.Fatal(serveBare(os.Args[2], os.Args[3]))
	}
	quick := flag.Bool("quick", false, "a smaller, faster run (200/1000/10000 extensions, 64 MiB, 1s loads)")
	out := flag.String("out", "bench/results/latest.json", "where to write the results")
	only := flag.Int("synthetic-only", 0, "measure only figure (f) with this many extensions, print it and exit")
	giteaOnly := flag.Bool("gitea-only", false, "measure only the Gitea figures and merge them into -out")
	cpuProfile := flag.String("cpuprofile", "", "with -synthetic-only: write a CPU profile of it to this file")
	downloadOnly := flag.Int("download-only", 0, "measure only figure (d) with an archive of this many MiB, print it and exit")
	flag.Parse()
	if *downloadOnly > 0 {
		if err := ensureTools(); err != nil {
			log.Fatal(err)
		}
		dir, err := os.MkdirTemp("", "extreg-bench-")
		if err != nil {
			log.Fatal(err)
		}
		res, err := runDownload(context.Background(), *downloadOnly, dir)
		os.RemoveAll(dir)
		if err != nil {
			log.Fatal(err)
		}
		b, _ := json.MarshalIndent(res.Download, "", "  ")
		fmt.Println(string(b))
		return
	}
	if *only > 0 {
		if *cpuProfile != "" {
			f, err := os.Create(*cpuProfile)
			if err != nil {
				log.Fatal(err)
			}
			if err := pprof.StartCPUProfile(f); err != nil {
				log.Fatal(err)
			}
			defer pprof.StopCPUProfile()
		}
		r, err := runSynthetic(*only, 3*time.Second)
		if err != nil {
			log.Fatal(err)
		}
		printTable(os.Stdout, &results{Synthetic: r})
		return // (the deferred StopCPUProfile writes the profile)
	}
	cfg := config{Small: 1000, Big: 10000, Synthetic: 100000, DownloadMiB: 512, Conns: 64, LoadFor: 3 * time.Second, Burst: 1000}
	if *quick {
		cfg = config{Small: 200, Big: 1000, Synthetic: 10000, DownloadMiB: 64, Conns: 64, LoadFor: time.Second, Burst: 1000}
	}
	if err := ensureTools(); err != nil {
		log.Fatal(err)
	}
	if *giteaOnly {
		if err := giteaOnlyRun(context.Background(), cfg, *out); err != nil {
			log.Fatal(err)
		}
		return
	}
	dir, err := os.MkdirTemp("", "extreg-bench-")
	if err != nil {
		log.Fatal(err)
	}
	res, err := run(context.Background(), cfg, dir)
	if err != nil {
		os.RemoveAll(dir)
		log.Fatal(err)
	}
	printTable(os.Stdout, res)
	printGitea(os.Stdout, res.Gitea)
	if err := os.MkdirAll(filepath.Dir(*out), 0o755); err != nil {
		log.Fatal(err)
	}
	b, _ := json.MarshalIndent(res, "", "  ")
	if err := os.WriteFile(*out, append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	fmt.Printf("\nwritten to %s\n", *out)
	fmt.Fprintf(os.Stderr, "bench: removing %s\n", dir)
	os.RemoveAll(dir)
}

// ensureTools installs the distribution registry (scripts/install-tools.sh)
// when EXTREG_TEST_REGISTRY is not set, and reads the variables of its env
// file.
func ensureTools() error {
	if os.Getenv("EXTREG_TEST_REGISTRY") != "" {
		return nil
	}
	cache := os.Getenv("XDG_CACHE_HOME")
	if cache == "" {
		cache = filepath.Join(os.Getenv("HOME"), ".cache")
	}
	envFile := filepath.Join(cache, "extension-registry-tools", "env")
	if _, err := os.Stat(envFile); err != nil {
		cmd := exec.Command("bash", "scripts/install-tools.sh")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("installing the tools: %w", err)
		}
	}
	f, err := os.Open(envFile)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		kv, ok := strings.CutPrefix(strings.TrimSpace(sc.Text()), "export ")
		if k, v, found := strings.Cut(kv, "="); ok && found {
			os.Setenv(k, strings.Trim(v, `"'`))
		}
	}
	return nil
}

// results is everything one run measured.
type results struct {
	When      time.Time `json:"when"`
	GoVersion string    `json:"go_version"`
	CPUs      int       `json:"cpus"`
	Config    config    `json:"config"`

	SeedSeconds map[string]float64 `json:"seed_seconds"`
	Endpoints   []endpointResult   `json:"endpoints"`
	Burst       burstResult        `json:"burst"`
	ColdStart   map[string]float64 `json:"cold_start_seconds"`
	Download    downloadResult     `json:"download"`
	Refresh     refreshResult      `json:"refresh_nothing_changed"`
	Synthetic   syntheticResult    `json:"synthetic"`
	Gitea       *giteaResult       `json:"gitea,omitempty"`
	Notes       []string           `json:"notes"`
}

// endpointResult is figure (a) for one endpoint.
type endpointResult struct {
	Name     string     `json:"name"`
	Path     string     `json:"path"`
	Bytes    int        `json:"bytes"`
	Registry loadResult `json:"registry"`
	Bare     loadResult `json:"bare"`
	Ratio    float64    `json:"ratio"`
}

// burstResult is figure (b).
type burstResult struct {
	ColdRequests       int    `json:"cold_requests"`
	ColdUpstream       int64  `json:"cold_upstream_caused"`
	ColdStatuses       string `json:"cold_statuses"`
	WarmUpstream       int64  `json:"warm_upstream_caused"`
	UnknownRequests    int    `json:"unknown_requests"`
	UnknownUpstream    int64  `json:"unknown_upstream"`
	IndexReadUpstream  int64  `json:"index_first_read_upstream"`
	IndexReadWithBurst int64  `json:"index_first_read_upstream_with_burst"`
}

// refreshResult is figure (e).
type refreshResult struct {
	Extensions     int     `json:"extensions"`
	Refreshes      int64   `json:"refreshes"`
	PerRefresh     counts  `json:"per_refresh"`
	TagsPerRepo    float64 `json:"tag_listings_per_repository"`
	ManifestGetsPR float64 `json:"manifest_gets_per_refresh"`
	CatalogPages   float64 `json:"catalog_pages_per_refresh"`
}

// downloadResult is figure (d).
type downloadResult struct {
	MiB          int     `json:"mib"`
	DirectMiBps  float64 `json:"direct_mib_per_s"`
	ProxyMiBps   float64 `json:"via_counting_proxy_mib_per_s"`
	FirstMiBps   float64 `json:"first_mib_per_s"`
	SecondMiBps  float64 `json:"second_mib_per_s"`
	FirstRatio   float64 `json:"first_ratio"`
	SecondRatio  float64 `json:"second_ratio"`
	PeakRSSMiB   float64 `json:"registry_peak_rss_mib"`
	BlobCacheHit bool    `json:"second_from_blob_cache"`
}

// runDownload measures figure (d) alone, with an archive of mib MiB,
// working under dir (the caller removes it).
func runDownload(ctx context.Context, mib int, dir string) (*results, error) {
	cfg := config{DownloadMiB: mib}
	res := &results{When: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Config: cfg,
		SeedSeconds: map[string]float64{}, ColdStart: map[string]float64{}}
	reg, err := startDistRegistry(filepath.Join(dir, "registry"))
	if err != nil {
		return nil, err
	}
	defer reg.stop()
	ctr, err := startCounter(reg.host)
	if err != nil {
		return nil, err
	}
	bin, err := buildService(dir)
	if err != nil {
		return nil, err
	}
	env := map[string]string{"OCI_REGISTRY": ctr.host, "OCI_INSECURE": "true", "OCI_NAMESPACE": "bench/dl",
		"SOURCES": "oci", "INDEX_INTERVAL": "1h"}
	svcDir := filepath.Join(dir, "svc-dl")
	if err := os.MkdirAll(svcDir, 0o755); err != nil {
		return nil, err
	}
	sd := newSeeder(reg.host)
	if err := sd.seed(ctx, "bench/n1", "ext", 1, []string{"1.0.0"}); err != nil {
		return nil, err
	}
	return res, download(ctx, bin, sd, reg, svcDir, env, cfg, res)
}

// run measures everything, working under dir (the caller removes it).
func run(ctx context.Context, cfg config, dir string) (*results, error) {
	res := &results{When: time.Now().UTC(), GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), Config: cfg,
		SeedSeconds: map[string]float64{}, ColdStart: map[string]float64{}}
	step := func(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

	step("starting the distribution registry")
	reg, err := startDistRegistry(filepath.Join(dir, "registry"))
	if err != nil {
		return nil, err
	}
	defer reg.stop()
	ctr, err := startCounter(reg.host)
	if err != nil {
		return nil, err
	}
	step("building the registry binary")
	bin, err := buildService(dir)
	if err != nil {
		return nil, err
	}
	sd := newSeeder(reg.host)
	versions := []string{"1.0.0", "1.1.0", "1.2.0"}
	for _, n := range []int{cfg.Small, cfg.Big} {
		step("seeding %d extensions × 3 versions", n)
		t0 := time.Now()
		if err := sd.seed(ctx, fmt.Sprintf("bench/n%d", n), "ext", n, versions); err != nil {
			return nil, err
		}
		res.SeedSeconds[fmt.Sprint(n)] = time.Since(t0).Seconds()
	}
	serviceEnv := func(ns string, interval string) map[string]string {
		return map[string]string{"OCI_REGISTRY": ctr.host, "OCI_INSECURE": "true", "OCI_NAMESPACE": ns,
			"SOURCES": "oci", "INDEX_INTERVAL": interval}
	}
	newDir := func(name string) string {
		d := filepath.Join(dir, name)
		_ = os.MkdirAll(d, 0o755)
		return d
	}
	small := fmt.Sprintf("bench/n%d", cfg.Small)

	// (b) and (c) at the small size: a cold start alone, then one with a
	// burst for one key while the index is still reading.
	step("cold start, %d extensions", cfg.Small)
	c0 := ctr.snapshot()
	t0 := time.Now()
	svc, err := startService(bin, newDir("svc-small"), serviceEnv(small, "1h"))
	if err != nil {
		return nil, err
	}
	d, err := svc.waitIndexed(t0, cfg.Small, 5*time.Minute)
	if err != nil {
		return nil, err
	}
	res.ColdStart[fmt.Sprint(cfg.Small)] = d.Seconds()
	res.Burst.IndexReadUpstream = ctr.snapshot().minus(c0).Total
	if err := burstAndUnknown(svc, ctr, cfg, res); err != nil {
		return nil, err
	}
	step("load at %d connections", cfg.Conns)
	if err := loadEndpoints(svc, dir, cfg, res); err != nil {
		return nil, err
	}
	svc.stop()

	step("cold burst of %d requests for one key", cfg.Burst)
	if err := coldBurst(bin, newDir("svc-burst"), serviceEnv(small, "1h"), ctr, cfg, res); err != nil {
		return nil, err
	}

	step("refreshes when nothing changed")
	if err := refreshCost(bin, newDir("svc-refresh"), serviceEnv(small, "2s"), ctr, cfg, res); err != nil {
		return nil, err
	}

	step("cold start, %d extensions", cfg.Big)
	t0 = time.Now()
	big, err := startService(bin, newDir("svc-big"), serviceEnv(fmt.Sprintf("bench/n%d", cfg.Big), "1h"))
	if err != nil {
		return nil, err
	}
	if d, err := big.waitIndexed(t0, cfg.Big, 10*time.Minute); err != nil {
		res.Notes = append(res.Notes, err.Error())
	} else {
		res.ColdStart[fmt.Sprint(cfg.Big)] = d.Seconds()
		path := "/api/v1/extensions/search?q=ext-0042"
		body, err := fetch(big.url + path)
		if err == nil {
			r := endpointResult{Name: fmt.Sprintf("search at %d", cfg.Big), Path: path, Bytes: len(body)}
			r.Registry, r.Bare = alternate(big.url+path, body, dir, cfg)
			r.Ratio = r.Registry.RPS / r.Bare.RPS
			res.Endpoints = append(res.Endpoints, r)
		}
	}
	big.stop()

	step("download of %d MiB", cfg.DownloadMiB)
	if err := download(ctx, bin, sd, reg, newDir("svc-dl"), serviceEnv("bench/dl", "1h"), cfg, res); err != nil {
		return nil, err
	}

	step("synthetic index of %d extensions", cfg.Synthetic)
	if res.Synthetic, err = runSynthetic(cfg.Synthetic, cfg.LoadFor); err != nil {
		return nil, err
	}
	if res.Gitea, err = runGitea(ctx, bin, dir, cfg); err != nil {
		res.Notes = append(res.Notes, "gitea: "+err.Error())
	}
	return res, nil
}
