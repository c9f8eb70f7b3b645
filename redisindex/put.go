package redisindex

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// Put stores snap and publishes "SOURCE GEN" on the channel. The
// generation grows only when the entries change (their ETag); a read that
// found the same entries only renews read_at and clears the error. Under a
// lease's context it writes only while the lease's token holds the lock
// (a replica whose lease lapsed cannot overwrite its successor's read), and
// under a whole read's lease it marks the source fresh for the lease's
// interval.
func (s *Store) Put(ctx context.Context, snap *catalog.Snapshot) (string, error) {
	data, etag, err := encode(snap)
	if err != nil {
		return "", fmt.Errorf("redis: encode the snapshot of %s: %w", snap.Source, err)
	}
	token, fresh := leaseOf(ctx)
	src := snap.Source
	res, err := putScript.Run(ctx, s.rdb,
		[]string{s.indexKey(src), s.lockKey(src), s.freshKey(src)},
		token, etag, data, snap.ReadAt.UTC().Format(time.RFC3339Nano), fresh.Milliseconds(), s.channel(), string(src),
	).Int64()
	if err != nil {
		return "", fmt.Errorf("redis: store the snapshot of %s: %w", src, err)
	}
	if res < 0 {
		return "", fmt.Errorf("redis: not storing the snapshot of %s: this replica's refresh lock lapsed", src)
	}
	return etag, nil
}

// putScript: KEYS index, lock, fresh; ARGV token ("" = no lease), etag,
// snapshot, read_at, fresh ms (0 = none), channel, source. It returns the
// generation, or -1 when the token no longer holds the lock.
var putScript = redis.NewScript(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
local gen = tonumber(redis.call('HGET', KEYS[1], 'gen') or '0')
if redis.call('HGET', KEYS[1], 'etag') ~= ARGV[2] then
  gen = gen + 1
  redis.call('HSET', KEYS[1], 'snapshot', ARGV[3], 'etag', ARGV[2], 'gen', gen)
end
redis.call('HSET', KEYS[1], 'read_at', ARGV[4], 'error', '', 'failed_at', '')
if tonumber(ARGV[5]) > 0 then redis.call('SET', KEYS[3], '1', 'PX', ARGV[5]) end
redis.call('PUBLISH', ARGV[6], ARGV[7] .. ' ' .. gen)
return gen
`)

// Failed records that the whole read of src under the lease of ctx
// failed with msg (client-safe), and tells the other replicas. Nothing is
// recorded when nothing is stored for src yet (the replicas that do not
// read have nothing to serve stale) or the lease lapsed.
func (s *Store) Failed(ctx context.Context, src registry.Source, msg string) error {
	token, _ := leaseOf(ctx)
	if len(msg) > 1024 {
		msg = msg[:1024]
	}
	err := failScript.Run(ctx, s.rdb, []string{s.indexKey(src), s.lockKey(src)},
		token, msg, time.Now().UTC().Format(time.RFC3339Nano), s.channel(), string(src)).Err()
	if err != nil && err != redis.Nil {
		return fmt.Errorf("redis: record the failed read of %s: %w", src, err)
	}
	return nil
}

var failScript = redis.NewScript(`
if ARGV[1] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[1], 'error', ARGV[2], 'failed_at', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. (redis.call('HGET', KEYS[1], 'gen') or '0'))
return 1
`)
