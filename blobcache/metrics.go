package blobcache

import "github.com/prometheus/client_golang/prometheus"

// collector exposes a cache's Stats to Prometheus.
type collector struct {
	c                                                           *Cache
	hits, misses, fetches, failed, evictions, bytes, blobs, max *prometheus.Desc
}

// Collector returns a Prometheus collector of the cache's counters:
// blob_cache_{hits,misses,fetches,failed_fills,evictions}_total and the
// gauges blob_cache_bytes, blob_cache_blobs, blob_cache_max_bytes. Register
// it once; a nil (off) cache reports zeros.
func (c *Cache) Collector() prometheus.Collector {
	d := func(name, help string) *prometheus.Desc { return prometheus.NewDesc(name, help, nil, nil) }
	return &collector{
		c:         c,
		hits:      d("blob_cache_hits_total", "Downloads served from the blob cache's disk."),
		misses:    d("blob_cache_misses_total", "Downloads that needed a fill (started or joined)."),
		fetches:   d("blob_cache_fetches_total", "Fills started: archives downloaded from a backend into the cache."),
		failed:    d("blob_cache_failed_fills_total", "Fills that did not end in a verified blob (mismatch, broken or stalled stream, cancelled)."),
		evictions: d("blob_cache_evictions_total", "Blobs removed to make room."),
		bytes:     d("blob_cache_bytes", "Bytes of the verified blobs held."),
		blobs:     d("blob_cache_blobs", "Verified blobs held."),
		max:       d("blob_cache_max_bytes", "The cache's bound (blobs.max_size)."),
	}
}

func (m *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{m.hits, m.misses, m.fetches, m.failed, m.evictions, m.bytes, m.blobs, m.max} {
		ch <- d
	}
}

func (m *collector) Collect(ch chan<- prometheus.Metric) {
	s := m.c.Stats()
	counter := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v))
	}
	gauge := func(d *prometheus.Desc, v int64) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v))
	}
	counter(m.hits, s.Hits)
	counter(m.misses, s.Misses)
	counter(m.fetches, s.Fetches)
	counter(m.failed, s.Failed)
	counter(m.evictions, s.Evictions)
	gauge(m.bytes, s.Bytes)
	gauge(m.blobs, int64(s.Entries))
	gauge(m.max, s.MaxBytes)
}
