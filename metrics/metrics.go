// Package metrics holds the registry's Prometheus collectors. They are
// registered on a Registerer passed in (never the global one), and every
// label is bounded: routes are patterns, never raw paths or extension names.
package metrics

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the collectors of one registry process.
type Metrics struct {
	// Requests counts HTTP requests by route pattern, method and status code.
	Requests *prometheus.CounterVec
	// Duration observes HTTP request durations by route pattern and method.
	Duration *prometheus.HistogramVec
	// CacheHits and CacheMisses count catalog cache look-ups by entry kind
	// (list, metadata, versions).
	CacheHits, CacheMisses *prometheus.CounterVec
	// Extensions is the number of extensions served, by type and source.
	Extensions *prometheus.GaugeVec
	// BackendRequests counts the HTTP requests the registry makes to its
	// backends, by backend, method and status code.
	BackendRequests *prometheus.CounterVec
}

// New creates the collectors and registers them on reg. A nil reg gives
// unregistered collectors, which is what tests and per-request catalogs want.
func New(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		Requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "http_requests_total",
			Help: "Total HTTP requests, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		Duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "http_request_duration_seconds",
			Help:    "HTTP request duration, by route pattern and method.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method"}),
		CacheHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_hits_total",
			Help: "Total cache hits, by entry kind.",
		}, []string{"kind"}),
		CacheMisses: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "cache_misses_total",
			Help: "Total cache misses, by entry kind.",
		}, []string{"kind"}),
		Extensions: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "extensions_total",
			Help: "Total extensions served, by type and source.",
		}, []string{"type", "source"}),
		BackendRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "backend_requests_total",
			Help: "Total HTTP requests made to the backends, by backend, method and status code.",
		}, []string{"backend", "method", "code"}),
	}
	if reg != nil {
		reg.MustRegister(m.Requests, m.Duration, m.CacheHits, m.CacheMisses, m.Extensions, m.BackendRequests)
	}
	return m
}

// InstrumentTransport wraps rt so that every request it sends is counted in
// BackendRequests under the given backend name. A nil rt wraps
// http.DefaultTransport.
func (m *Metrics) InstrumentTransport(backend string, rt http.RoundTripper) http.RoundTripper {
	if rt == nil {
		rt = http.DefaultTransport
	}
	return promhttp.InstrumentRoundTripperCounter(
		m.BackendRequests.MustCurryWith(prometheus.Labels{"backend": backend}), rt)
}
