package redisindex

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// leaseKey carries a lease's token and whole-read interval in the context
// the catalog reads and stores under.
type leaseKey struct{}

type leaseValue struct {
	token string
	fresh time.Duration
}

// leaseOf returns the token and fresh interval of the lease of ctx, or ""
// and 0 outside one.
func leaseOf(ctx context.Context) (string, time.Duration) {
	v, _ := ctx.Value(leaseKey{}).(leaseValue)
	return v.token, v.fresh
}

// Claim takes the refresh lock of src (SET NX PX with a random token) when
// no other replica holds it and, for a whole read (fresh > 0), no whole
// read was stored within fresh; both checked in one script. The lock is
// extended every third of its expiry while the lease lasts and deleted by
// Release only while it still holds this lease's token.
func (s *Store) Claim(ctx context.Context, src registry.Source, fresh time.Duration) (catalog.Lease, time.Duration, error) {
	token := s.id + ":" + randomHex(8)
	checkFresh := 0
	if fresh > 0 {
		checkFresh = 1
	}
	res, err := claimScript.Run(ctx, s.rdb, []string{s.lockKey(src), s.freshKey(src)},
		token, s.expiry.Milliseconds(), checkFresh).Int64()
	if err != nil {
		return nil, 0, fmt.Errorf("redis: claim the refresh of %s: %w", src, err)
	}
	switch {
	case res == -1: // read within fresh: load it
		return nil, 0, nil
	case res >= 0: // held by another replica, res ms left
		return nil, max(time.Duration(res)*time.Millisecond, time.Millisecond), nil
	}
	lctx, cancel := context.WithCancel(context.WithValue(ctx, leaseKey{}, leaseValue{token: token, fresh: fresh}))
	l := &lease{s: s, src: src, token: token, ctx: lctx, cancel: cancel, done: make(chan struct{})}
	go l.extend()
	return l, 0, nil
}

// claimScript: KEYS lock, fresh; ARGV token, expiry ms, check fresh (1/0).
// It returns -2 when the lock was taken, -1 when the source is fresh, else
// the milliseconds left on the other replica's lock.
var claimScript = redis.NewScript(`
if ARGV[3] == '1' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return -2 end
local left = redis.call('PTTL', KEYS[1])
if left < 0 then left = 0 end
return left
`)

// extendScript renews KEYS[1]'s expiry to ARGV[2] ms while it holds
// ARGV[1]; releaseScript deletes it while it holds ARGV[1].
var (
	extendScript  = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return 0`)
	releaseScript = redis.NewScript(`if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`)
)

// lease is a held refresh lock.
type lease struct {
	s      *Store
	src    registry.Source
	token  string
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	done   chan struct{}
}

func (l *lease) Context() context.Context { return l.ctx }

// extend renews the lock every third of its expiry; when the lock is
// another's, or Redis has not answered for a whole expiry, the lease's
// context ends (its holder may no longer be the only one reading).
func (l *lease) extend() {
	defer close(l.done)
	every := l.s.expiry / 3
	t := time.NewTicker(every)
	defer t.Stop()
	lastOK := time.Now()
	for {
		select {
		case <-l.ctx.Done():
			return
		case <-t.C:
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), every)
		n, err := extendScript.Run(rctx, l.s.rdb, []string{l.s.lockKey(l.src)}, l.token, l.s.expiry.Milliseconds()).Int64()
		cancel()
		switch {
		case err == nil && n == 1:
			lastOK = time.Now()
		case err == nil || time.Since(lastOK) >= l.s.expiry:
			l.cancel()
			return
		}
	}
}

// Release ends the lease and deletes the lock if it still holds this
// lease's token.
func (l *lease) Release() {
	l.once.Do(func() {
		l.cancel()
		<-l.done
		rctx, cancel := context.WithTimeout(context.WithoutCancel(l.ctx), 2*time.Second)
		defer cancel()
		_ = releaseScript.Run(rctx, l.s.rdb, []string{l.s.lockKey(l.src)}, l.token).Err()
	})
}

// Holder returns the ID of the replica that holds the refresh lock of
// src (the part of its token before the random suffix), or "" when none
// does.
func (s *Store) Holder(ctx context.Context, src registry.Source) (string, error) {
	tok, err := s.rdb.Get(ctx, s.lockKey(src)).Result()
	if err == redis.Nil {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("redis: %w", err)
	}
	if len(tok) > 17 {
		return tok[:len(tok)-17], nil
	}
	return tok, nil
}

// ID is the name of this replica in the lock's token.
func (s *Store) ID() string { return s.id }

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func defaultID() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomHex(3))
}
