package app

import (
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/config"
	"github.com/provisioning-platform/extension-registry/internal/secret"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestPushVisibleOnEveryReplicaWithin2s: the real registry notifies one
// replica of three of a push (its notifications endpoint); every replica
// serves the new version within 2 s, although none would read the
// registry again for an hour.
func TestPushVisibleOnEveryReplicaWithin2s(t *testing.T) {
	const token = "notify-t0ken-for-replicas"
	addr := testserver.ClosedAddr(t) // replica 0's address, free a moment ago
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{
		NotifyURL: "http://" + addr + "/api/v1/hooks/registry", NotifyAuthorization: "Bearer " + token,
	})
	rds := testserver.StartRedis(t)
	publish := publisher(t, reg.Host)
	publish(registry.Provider, "aws", "1.0.0")
	publish(registry.Taskserv, "kubernetes", "1.28.0")

	cfg := replicaConfig(t, reg.Host, rds.URL(0), time.Hour)
	cfg.Webhooks.RegistryToken = secret.New(token)
	first := cfg
	first.Listen = addr
	rs := []*replica{startReplica(t, first), startReplica(t, cfg), startReplica(t, cfg)}
	waitReady(t, rs...)
	before := stored(t, inspector(t, rds.URL(0))).Generation

	publish(registry.Provider, "aws", "1.1.0")
	pushed := time.Now()
	var seen [3]time.Duration
	took, ok := waitFor(2*time.Second, func() bool {
		all := true
		for i, r := range rs {
			if seen[i] == 0 && hasVersion(t, r.base, "aws", "1.1.0") {
				seen[i] = time.Since(pushed)
			}
			all = all && seen[i] != 0
		}
		return all
	})
	if !ok {
		t.Fatalf("2s after the push, the replicas that serve 1.1.0 saw it after %v (0: not yet)", seen)
	}
	t.Logf("push visible on every replica %v after it completed (replica notified: %v, others: %v, %v)",
		took.Round(time.Millisecond), seen[0].Round(time.Millisecond), seen[1].Round(time.Millisecond), seen[2].Round(time.Millisecond))
	if after := stored(t, inspector(t, rds.URL(0))).Generation; after <= before {
		t.Errorf("stored generation %d after the push, %d before", after, before)
	}
	sameAnswers(t, rs...)
}

// TestLockHolderKilledAnotherTakesOver: the replica holding a source's
// refresh lock dies in the middle of a read (its registry requests hang,
// then it loses Redis and stops, so it never releases the lock); another
// replica stores a fresh read within one lock expiry (plus the read), and
// every survivor serves it.
func TestLockHolderKilledAnotherTakesOver(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	rds := testserver.StartRedis(t)
	gate := startGateProxy(t, reg.Host)
	publish := publisher(t, reg.Host)
	publish(registry.Provider, "aws", "1.0.0")
	publish(registry.Taskserv, "kubernetes", "1.28.0")

	const expiry = 2 * time.Second
	var rs []*replica
	var links []*testserver.TCPProxy
	for range 3 {
		link := testserver.StartTCPProxy(t, rds.Addr)
		cfg := replicaConfig(t, gate.host, "redis://"+link.Addr+"/0", time.Second)
		cfg.Redis.LockExpiry = expiry
		rs = append(rs, startReplica(t, cfg))
		links = append(links, link)
	}
	waitReady(t, rs...)
	ins := inspector(t, rds.URL(0))

	publish(registry.Provider, "aws", "1.1.0")
	gate.Close() // the next read hangs, its replica holding the lock
	var holder string
	if _, ok := waitFor(10*time.Second, func() bool {
		holder, _ = ins.Holder(t.Context(), registry.SourceOCI)
		return holder != ""
	}); !ok {
		t.Fatal("no replica took the refresh lock within 10s (index.interval 1s)")
	}
	dead := -1
	for i, r := range rs {
		if r.app.shared.ID() == holder {
			dead = i
		}
	}
	if dead < 0 {
		t.Fatalf("lock held by %q, no replica of the test", holder)
	}
	links[dead].Cut() // it can neither extend nor release the lock
	killed := time.Now()
	go rs[dead].stop()
	gate.Open()

	took, ok := waitFor(expiry+3*time.Second, func() bool {
		st := stored(t, ins)
		return st != nil && st.ReadAt.After(killed)
	})
	if !ok {
		t.Fatalf("no replica stored a read within %v of the lock holder's death (lock expiry %v)", took, expiry)
	}
	if took > expiry+time.Second {
		t.Errorf("takeover %v after the holder died: more than one lock expiry (%v) and the read", took, expiry)
	}
	t.Logf("a survivor stored a fresh read %v after the lock holder died (lock expiry %v)", took.Round(time.Millisecond), expiry)
	var survivors []*replica
	for i, r := range rs {
		if i != dead {
			survivors = append(survivors, r)
		}
	}
	for _, r := range survivors {
		if _, ok := waitFor(2*time.Second, func() bool { return hasVersion(t, r.base, "aws", "1.1.0") }); !ok {
			t.Errorf("survivor %s does not serve the version read after the takeover", r.base)
		}
	}
	sameAnswers(t, survivors...)
}

// TestRedisDownAndBack: Redis stops; the replicas keep serving what they
// have and /health says degraded naming Redis; a version pushed meanwhile
// is served by every replica once Redis is back (empty, as a restarted
// Redis without persistence is), and /health is healthy again.
func TestRedisDownAndBack(t *testing.T) {
	reg := testserver.StartRegistry(t, testserver.RegistryOptions{})
	rds := testserver.StartRedis(t)
	publish := publisher(t, reg.Host)
	publish(registry.Provider, "aws", "1.0.0")
	publish(registry.Taskserv, "kubernetes", "1.28.0")
	cfg := replicaConfig(t, reg.Host, rds.URL(0), time.Hour)
	rs := []*replica{startReplica(t, cfg), startReplica(t, cfg)}
	waitReady(t, rs...)
	for _, r := range rs {
		if status, healthy, _ := healthOf(t, r.base); status != "healthy" || !healthy {
			t.Fatalf("%s: health %s, redis healthy %v before the outage", r.base, status, healthy)
		}
	}
	list := serve(t, rs[0].base, "/api/v1/extensions")

	rds.Stop()
	for _, r := range rs {
		var status, msg string
		var healthy bool
		if _, ok := waitFor(5*time.Second, func() bool {
			status, healthy, msg = healthOf(t, r.base)
			return status == "degraded" && !healthy
		}); !ok {
			t.Fatalf("%s: health %s, redis healthy %v, 5s after Redis stopped", r.base, status, healthy)
		}
		t.Logf("%s with Redis down: %s, redis: %s", r.base, status, msg)
		if got := serve(t, r.base, "/api/v1/extensions"); got != list {
			t.Errorf("%s with Redis down: list %d %s, want what it served before (%s)", r.base, got.status, got.etag, list.etag)
		}
	}
	publish(registry.Provider, "aws", "1.1.0")

	if err := rds.Start(); err != nil {
		t.Fatal(err)
	}
	back := time.Now()
	for _, r := range rs {
		if _, ok := waitFor(10*time.Second, func() bool {
			status, healthy, _ := healthOf(t, r.base)
			return status == "healthy" && healthy
		}); !ok {
			t.Fatalf("%s not healthy 10s after Redis came back", r.base)
		}
		if _, ok := waitFor(10*time.Second, func() bool { return hasVersion(t, r.base, "aws", "1.1.0") }); !ok {
			t.Fatalf("%s has not caught up 10s after Redis came back", r.base)
		}
	}
	t.Logf("every replica healthy and caught up %v after Redis came back", time.Since(back).Round(time.Millisecond))
	sameAnswers(t, rs...)
	if st := stored(t, inspector(t, rds.URL(0))); st == nil || st.Snapshot == nil {
		t.Error("nothing stored in Redis after it came back")
	}
}

// TestGiteaReleaseVisibleOnEveryReplicaWithin2s: a real Gitea's
// organization webhook announces a release to one of two replicas over
// one Redis; both serve it within 2 s of its creation.
func TestGiteaReleaseVisibleOnEveryReplicaWithin2s(t *testing.T) {
	const hookSecret = "gitea-hook-secret-for-replicas"
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("shared")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "shared_prov", "Announced to one replica, served by all")
	s.Release(org, "shared_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{{Name: "shared_prov.tar.gz", Data: []byte("one")}}})
	rds := testserver.StartRedis(t)

	cfg := replicaConfig(t, "", rds.URL(0), time.Hour)
	cfg.OCI.Registry = ""
	cfg.Sources = []string{"gitea"}
	cfg.Gitea = config.Gitea{URL: g.URL, Organizations: []string{org}}
	cfg.Webhooks.GiteaSecret = secret.New(hookSecret)
	rs := []*replica{startReplica(t, cfg), startReplica(t, cfg)}
	waitReady(t, rs...)
	for _, r := range rs {
		if !hasVersion(t, r.base, "shared", "1.0.0") {
			t.Fatalf("%s does not serve shared 1.0.0", r.base)
		}
	}
	if _, _, err := s.Admin().CreateOrgHook(org, sdk.CreateHookOption{
		Type:   sdk.HookTypeGitea,
		Config: map[string]string{"url": rs[0].base + "/api/v1/hooks/gitea", "content_type": "json", "secret": hookSecret},
		Events: []string{"release", "repository"},
		Active: true,
	}); err != nil {
		t.Fatalf("create the organization webhook: %v", err)
	}

	s.Release(org, "shared_prov", testserver.Release{Tag: "v1.1.0"})
	took, ok := waitFor(2*time.Second, func() bool {
		return hasVersion(t, rs[0].base, "shared", "1.1.0") && hasVersion(t, rs[1].base, "shared", "1.1.0")
	})
	if !ok {
		t.Fatalf("2s after the release: replica notified serves 1.1.0: %v, the other: %v",
			hasVersion(t, rs[0].base, "shared", "1.1.0"), hasVersion(t, rs[1].base, "shared", "1.1.0"))
	}
	t.Logf("release visible on both replicas %v after it was created (webhook to one)", took.Round(time.Millisecond))
}
