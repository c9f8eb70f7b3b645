// Package soak drives a running registry with mixed requests over many
// connections for a fixed time, optionally taking one backend away in the
// middle, and reports what the clients saw: requests, answers by class,
// latency percentiles, peak memory and goroutines. It fails on any 5xx
// outside the outage window, any connection error, and goroutines that do
// not come back after the load stops.
package soak

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options configures a soak run.
type Options struct {
	// BaseURL is the registry under load, e.g. http://127.0.0.1:8082.
	BaseURL string
	// Paths are requested round-robin (with an offset per connection).
	Paths []string
	// Connections is the number of concurrent clients (one connection
	// each); 0 means 128.
	Connections int
	// Duration is how long the load runs.
	Duration time.Duration
	// Outage, when set, is called at half time with the outage's length:
	// it takes a backend away, waits, and brings it back. 503 answers, and
	// downloads cut short because the backend went away mid-stream, are
	// expected for requests started from Grace before the outage until
	// Grace after it.
	Outage func(ctx context.Context, down time.Duration) error
	Down   time.Duration
	Grace  time.Duration
	// Warmup runs the same load before the measured run (0 means 2 s), so
	// that pools which fill once (idle backend connections) are in the
	// goroutine baseline.
	Warmup time.Duration
}

// Report is what a run saw.
type Report struct {
	Requests int64
	// Classes counts answers: "2xx", "4xx", "503 in outage", "cut in
	// outage", "5xx", "connection error".
	Classes          map[string]int64
	P50, P99, Max    time.Duration
	PeakRSSBytes     int64
	GoroutinesBefore int
	GoroutinesPeak   int
	GoroutinesAfter  int
	// Failures describe what fails the run, at most 20.
	Failures []string
}

// OK reports whether the run saw no failure.
func (r Report) OK() bool { return len(r.Failures) == 0 }

// String is a one-paragraph summary.
func (r Report) String() string {
	classes := make([]string, 0, len(r.Classes))
	for k, v := range r.Classes {
		classes = append(classes, fmt.Sprintf("%s=%d", k, v))
	}
	slices.Sort(classes)
	return fmt.Sprintf("requests=%d (%s) p50=%s p99=%s max=%s peak_rss=%.1fMiB goroutines before=%d peak=%d after=%d failures=%d",
		r.Requests, strings.Join(classes, " "), r.P50, r.P99, r.Max, float64(r.PeakRSSBytes)/(1<<20),
		r.GoroutinesBefore, r.GoroutinesPeak, r.GoroutinesAfter, len(r.Failures))
}

type window struct{ from, to atomic.Int64 } // unix nanos; 0: none

func (w *window) contains(t time.Time) bool {
	f, to := w.from.Load(), w.to.Load()
	return f != 0 && t.UnixNano() >= f && (to == 0 || t.UnixNano() <= to)
}

// Run drives the load and returns its report. The error is for a run that
// could not happen at all; a run that saw failures returns them in Report.
func Run(ctx context.Context, o Options) (Report, error) {
	if o.Connections <= 0 {
		o.Connections = 128
	}
	if len(o.Paths) == 0 || o.Duration <= 0 {
		return Report{}, fmt.Errorf("soak: no paths or no duration")
	}
	if o.Warmup == 0 {
		o.Warmup = 2 * time.Second
	}
	if o.Warmup > 0 {
		w := o
		w.Duration, w.Outage, w.Warmup = o.Warmup, nil, -1
		if _, err := Run(ctx, w); err != nil {
			return Report{}, err
		}
		time.Sleep(time.Second)
	}
	rep := Report{Classes: map[string]int64{}, GoroutinesBefore: runtime.NumGoroutine()}
	tr := &http.Transport{MaxConnsPerHost: o.Connections, MaxIdleConnsPerHost: o.Connections, IdleConnTimeout: 30 * time.Second}
	client := &http.Client{Transport: tr, Timeout: 30 * time.Second}
	ctx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()

	var outage window
	var outageErr error
	var wg sync.WaitGroup
	if o.Outage != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-ctx.Done():
				return
			case <-time.After(o.Duration / 2):
			}
			outage.from.Store(time.Now().Add(-o.Grace).UnixNano())
			outageErr = o.Outage(context.WithoutCancel(ctx), o.Down)
			outage.to.Store(time.Now().Add(o.Grace).UnixNano())
		}()
	}
	var mu sync.Mutex
	var lat []time.Duration
	fail := func(s string) {
		mu.Lock()
		if len(rep.Failures) < 20 {
			rep.Failures = append(rep.Failures, s)
		}
		mu.Unlock()
	}
	var peakG atomic.Int64
	stopSampler := sample(&peakG)
	for c := range o.Connections {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var mine []time.Duration
			classes := map[string]int64{}
			for i := c; ctx.Err() == nil; i++ {
				p := o.Paths[i%len(o.Paths)]
				start := time.Now()
				class, err := do(ctx, client, o.BaseURL+p)
				if ctx.Err() != nil {
					break // cut by the end of the run, not an answer
				}
				mine = append(mine, time.Since(start))
				switch {
				case class == "503" && outage.contains(start):
					class = "503 in outage"
				case class == "503":
					class = "5xx"
				case class == "connection error" && errors.Is(err, errCut) && outage.contains(start):
					class = "cut in outage"
				}
				classes[class]++
				switch class {
				case "5xx":
					fail(fmt.Sprintf("GET %s: %v at %s", p, err, start.Format("15:04:05.000")))
				case "connection error":
					fail(fmt.Sprintf("GET %s: connection error %v", p, err))
				}
			}
			mu.Lock()
			lat = append(lat, mine...)
			for k, v := range classes {
				rep.Classes[k] += v
			}
			mu.Unlock()
		}()
	}
	wg.Wait()
	stopSampler()
	if outageErr != nil {
		fail("outage: " + outageErr.Error())
	}
	for _, v := range rep.Classes {
		rep.Requests += v
	}
	slices.Sort(lat)
	if n := len(lat); n > 0 {
		rep.P50, rep.P99, rep.Max = lat[n/2], lat[min(n-1, n*99/100)], lat[n-1]
	}
	tr.CloseIdleConnections()
	rep.GoroutinesPeak = int(peakG.Load())
	// Goroutines must come back once the clients are gone.
	deadline := time.Now().Add(10 * time.Second)
	for {
		rep.GoroutinesAfter = runtime.NumGoroutine()
		if rep.GoroutinesAfter <= rep.GoroutinesBefore+10 || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if rep.GoroutinesAfter > rep.GoroutinesBefore+10 {
		fail(fmt.Sprintf("goroutines grew from %d to %d after the load stopped", rep.GoroutinesBefore, rep.GoroutinesAfter))
	}
	rep.PeakRSSBytes = peakRSS()
	return rep, nil
}

// errCut is an answer whose body broke off.
var errCut = errors.New("the answer was cut short")

// do sends one GET and reads the answer whole; it returns the class.
func do(ctx context.Context, c *http.Client, url string) (string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return "connection error", err
	}
	resp, err := c.Do(req)
	if err != nil {
		return "connection error", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "connection error", fmt.Errorf("%w: %w", errCut, err)
	}
	switch {
	case resp.StatusCode < 300:
		return "2xx", nil
	case resp.StatusCode < 500:
		return "4xx", nil
	case resp.StatusCode == http.StatusServiceUnavailable:
		return "503", fmt.Errorf("status 503")
	default:
		return "5xx", fmt.Errorf("status %d", resp.StatusCode)
	}
}

// sample records the peak goroutine count until stopped.
func sample(peak *atomic.Int64) func() {
	done := make(chan struct{})
	go func() {
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if n := int64(runtime.NumGoroutine()); n > peak.Load() {
				peak.Store(n)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() { close(done) }
}

// peakRSS is this process's peak resident set (VmHWM), 0 when unknown.
func peakRSS() int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	return 0
}
