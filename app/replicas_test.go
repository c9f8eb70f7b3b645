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
	publish(registry.Provider, "aws", "2.0.0-rc.1") // a pre-release: not the current version
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
// one: one whole read per interval, whichever replica makes it — one
// catalog listing and one tag list per repository. Each replica's OCI
// client keeps its own manifests by digest, so a replica's first whole read
// fetches each manifest once; that is per replica, not per interval, and
// bounded here. The client's /v2/ check is not counted.
func TestThreeReplicasCostTheBackendsWhatOneDoes(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	rds := testserver.StartRedis(t)
	publish := publisher(t, reg.Host)
	const repos = 4
	for i := range repos {
		publish(registry.Provider, fmt.Sprintf("p%d", i), "1.0.0")
	}
	const interval, window = time.Second, 5 * time.Second
	measure := func(db, n int) map[string]int {
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
		return c
	}
	one, three := measure(2, 1), measure(3, 3)
	reads1, reads3 := one[testserver.KindCatalog], three[testserver.KindCatalog]
	t.Logf("over %v with index.interval %v: 1 replica %v (%.1f whole reads per interval); 3 replicas %v (%.1f per interval)",
		window, interval, one, float64(reads1)/(window.Seconds()/interval.Seconds()), three, float64(reads3)/(window.Seconds()/interval.Seconds()))
	if reads1 < 2 {
		t.Fatalf("one replica read the source %d times in %v with index.interval %v", reads1, window, interval)
	}
	// The window may cut one read either way.
	if reads3 > reads1+1 || reads3 < reads1-1 {
		t.Errorf("three replicas read the source %d times, one replica %d: want the same", reads3, reads1)
	}
	for name, c := range map[string]map[string]int{"one replica": one, "three replicas": three} {
		if c[testserver.KindTags] != repos*c[testserver.KindCatalog] {
			t.Errorf("%s: %d tag lists for %d reads of %d repositories", name, c[testserver.KindTags], c[testserver.KindCatalog], repos)
		}
	}
	if m := three[testserver.KindManifestGet]; m > 3*repos {
		t.Errorf("three replicas fetched %d manifests: more than each replica's first read of %d repositories", m, repos)
	}
}
