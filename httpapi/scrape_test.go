package httpapi_test

import (
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sample is one series of the Prometheus text format.
type sample struct {
	name   string
	labels map[string]string
	value  float64
}

// metrics is a scrape of /api/v1/metrics.
type metrics struct {
	text    string
	samples []sample
}

var labelRE = regexp.MustCompile(`([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"`)

// scrape reads /api/v1/metrics.
func (s *server) scrape(t *testing.T) metrics {
	t.Helper()
	r := s.get(t, "/api/v1/metrics")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/metrics: %d %s", r.status, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/plain") {
		t.Errorf("/metrics Content-Type %q, want the Prometheus text format", ct)
	}
	m := metrics{text: string(r.body)}
	for line := range strings.SplitSeq(m.text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			t.Fatalf("unparsable metrics line %q", line)
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("unparsable metrics line %q: %v", line, err)
		}
		series := line[:i]
		smp := sample{name: series, labels: map[string]string{}, value: v}
		if j := strings.IndexByte(series, '{'); j >= 0 {
			smp.name = series[:j]
			for _, lm := range labelRE.FindAllStringSubmatch(series[j:], -1) {
				smp.labels[lm[1]] = lm[2]
			}
		}
		m.samples = append(m.samples, smp)
	}
	return m
}

// sum adds the values of the series named name whose labels include match.
func (m metrics) sum(name string, match map[string]string) float64 {
	total := 0.0
	for _, s := range m.samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
				break
			}
		}
		if ok {
			total += s.value
		}
	}
	return total
}

// has reports whether a series named name with labels including match
// exists.
func (m metrics) has(name string, match map[string]string) bool {
	for _, s := range m.samples {
		if s.name != name {
			continue
		}
		ok := true
		for k, v := range match {
			if s.labels[k] != v {
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}
