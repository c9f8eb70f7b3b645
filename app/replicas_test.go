package app

import (
	"fmt"
	"testing"
	"time"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestReplicasShareOneIndex: two, then three replicas over one Redis and
// one real registry serve the same answers — status, ETag and body of the
// API and of the pages — and starting them all cost the registry one read
// of the source, not one per replica.
func TestReplicasShareOneIndex(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	proxy := testserver.StartCountingProxy(t, reg.Host)
	rds := testserver.StartRedis(t)
	publish := publisher(t, reg.Host)
	publish(registry.Provider, "aws", "1.0.0")
	publish(registry.Provider, "aws", "1.1.0")
	publish(registry.Taskserv, "kubernetes", "1.28.0")

	// One replica alone (its own Redis database): what one read costs.
	solo := startReplica(t, replicaConfig(t, proxy.Host, rds.URL(1), time.Hour))
	waitReady(t, solo)
	oneRead := proxy.Counts()
	solo.stop()

	proxy.Reset()
	cfg := replicaConfig(t, proxy.Host, rds.URL(0), time.Hour)
	rs := []*replica{startReplica(t, cfg), startReplica(t, cfg)}
	waitReady(t, rs...)
	sameAnswers(t, rs...)
	rs = append(rs, startReplica(t, cfg))
	waitReady(t, rs[2])
	sameAnswers(t, rs...)
	got := proxy.Counts()
	sameAnswers(t, solo0(t, proxy.Host), rs[0]) // a replica without Redis agrees too
	t.Logf("registry requests: one replica's start %v; three replicas' %v", oneRead, got)
	if got[testserver.KindCatalog] != oneRead[testserver.KindCatalog] || got[testserver.KindTags] != oneRead[testserver.KindTags] {
		t.Errorf("three replicas read the registry %d times (%v), one replica %d (%v): want the same",
			got[testserver.KindCatalog], got, oneRead[testserver.KindCatalog], oneRead)
	}
}

// solo0 starts a replica without Redis, for comparison, after the counted
// part of the test.
func solo0(t *testing.T, registryHost string) *replica {
	cfg := replicaConfig(t, registryHost, "", time.Hour)
	cfg.Redis.URL = secret.Value{}
	r := startReplica(t, cfg)
	waitReady(t, r)
	return r
}

// TestThreeReplicasCostTheBackendsWhatOneDoes: with index.interval 1s,
// the registry requests per interval with three replicas are those with
// one: one whole read per interval, whichever replica makes it.
func TestThreeReplicasCostTheBackendsWhatOneDoes(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	rds := testserver.StartRedis(t)
	publish := publisher(t, reg.Host)
	for i := range 4 {
		publish(registry.Provider, fmt.Sprintf("p%d", i), "1.0.0")
	}
	const interval, window = time.Second, 5 * time.Second
	measure := func(db, n int) (reads, requests int) {
		proxy := testserver.StartCountingProxy(t, reg.Host)
		cfg := replicaConfig(t, proxy.Host, rds.URL(db), interval)
		var rs []*replica
		for range n {
			rs = append(rs, startReplica(t, cfg))
		}
		waitReady(t, rs...)
		proxy.Reset()
		time.Sleep(window)
		c := proxy.Counts()
		for _, r := range rs {
			r.stop()
		}
		for _, v := range c {
			requests += v
		}
		return c[testserver.KindCatalog], requests
	}
	reads1, req1 := measure(2, 1)
	reads3, req3 := measure(3, 3)
	perRead := req1 / max(reads1, 1)
	t.Logf("over %v with index.interval %v: 1 replica %d reads, %d registry requests; 3 replicas %d reads, %d requests (%.1f and %.1f requests per interval)",
		window, interval, reads1, req1, reads3, req3, float64(req1)/window.Seconds(), float64(req3)/window.Seconds())
	if reads1 < 2 {
		t.Fatalf("one replica read the source %d times in %v with index.interval %v", reads1, window, interval)
	}
	// The window may cut one read either way.
	if reads3 > reads1+1 || req3 > req1+perRead {
		t.Errorf("three replicas: %d reads, %d requests; one replica: %d reads, %d requests — want the same", reads3, req3, reads1, req1)
	}
	if reads3 < reads1-1 {
		t.Errorf("three replicas read the source %d times, one replica %d: the shared index stopped refreshing", reads3, reads1)
	}
}
