// Package redisindex is the index store that replicas share through Redis
// (contract §11, redis.url): every source's snapshot with its ETag and
// generation, the lock that lets one replica at a time refresh a source,
// and the channel that tells the others of a change. It implements
// catalog.SharedStore.
//
// Keys, for each source S (gitea, oci), under Options.Prefix
// ("extension-registry:" by default):
//
//	index:S  hash: snapshot (JSON), etag, gen, read_at, error, failed_at
//	lock:S   the refresh lock: a random token, with an expiry (SET NX PX)
//	fresh:S  present while a whole read of S is younger than index.interval
//
// and the channel "index", whose messages are "S GEN".
package redisindex

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
)

// DefaultLockExpiry is the refresh lock's expiry when Options.LockExpiry is
// zero: a replica that dies while refreshing holds the source at most this
// long.
const DefaultLockExpiry = 30 * time.Second

// Options configures New.
type Options struct {
	// URL is the Redis URL (redis://[user:password@]host:port/db,
	// rediss://… for TLS). It may hold a password: it is never logged.
	URL string
	// LockExpiry is the refresh lock's expiry; it is extended every third
	// of it while the refresh runs. Zero means DefaultLockExpiry.
	LockExpiry time.Duration
	// ID names this replica in the lock's token (for operators reading
	// Redis); empty means the host name and process id.
	ID string
	// Prefix starts every key and the channel; empty means
	// "extension-registry:".
	Prefix string
	// Logger receives the client's own notes at debug level; nil discards
	// them.
	Logger *slog.Logger
}

// Store is a catalog.SharedStore in Redis. It is safe for concurrent use.
type Store struct {
	rdb     *redis.Client
	expiry  time.Duration
	id      string
	prefix  string
	closeMu sync.Mutex
	closed  bool
}

var _ catalog.SharedStore = (*Store)(nil)
var _ catalog.IndexStore = (*Store)(nil)

// New returns the store of opts.URL. It does not connect yet: a Redis that
// is down at start makes the first calls fail, not New.
func New(opts Options) (*Store, error) {
	ro, err := redis.ParseURL(opts.URL)
	if err != nil {
		// The URL may hold a password: say what is wrong, not the URL.
		return nil, errors.New("redis.url is not a valid Redis URL (redis://[user:password@]host:port/db)")
	}
	ro.DialTimeout = 2 * time.Second
	ro.ReadTimeout = 5 * time.Second
	ro.WriteTimeout = 5 * time.Second
	ro.MaxRetries = 1
	ro.PoolSize = 8
	ro.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	ro.DisableIdentity = true
	setLogger(opts.Logger)
	s := &Store{rdb: redis.NewClient(ro), expiry: opts.LockExpiry, id: opts.ID, prefix: opts.Prefix}
	if s.expiry <= 0 {
		s.expiry = DefaultLockExpiry
	}
	if s.id == "" {
		s.id = defaultID()
	}
	if s.prefix == "" {
		s.prefix = "extension-registry:"
	}
	return s, nil
}

// Name is "redis".
func (s *Store) Name() string { return "redis" }

// Close closes the connections to Redis. A nil Store does nothing.
func (s *Store) Close() error {
	if s == nil {
		return nil
	}
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.rdb.Close()
}

// Ping checks that Redis answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.rdb.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis: %w", err)
	}
	return nil
}

func (s *Store) indexKey(src registry.Source) string { return s.prefix + "index:" + string(src) }
func (s *Store) lockKey(src registry.Source) string  { return s.prefix + "lock:" + string(src) }
func (s *Store) freshKey(src registry.Source) string { return s.prefix + "fresh:" + string(src) }
func (s *Store) channel() string                     { return s.prefix + "index" }

// Fetch returns what is stored for src; the snapshot itself only when its
// ETag differs from have.
func (s *Store) Fetch(ctx context.Context, src registry.Source, have string) (*catalog.Stored, error) {
	vals, err := s.rdb.HMGet(ctx, s.indexKey(src), "etag", "gen", "read_at", "error", "failed_at").Result()
	if err != nil {
		return nil, fmt.Errorf("redis: read the index of %s: %w", src, err)
	}
	etag, _ := vals[0].(string)
	if etag == "" {
		return nil, nil
	}
	st := &catalog.Stored{ETag: etag}
	if g, ok := vals[1].(string); ok {
		st.Generation, _ = strconv.ParseUint(g, 10, 64)
	}
	st.ReadAt = parseTime(vals[2])
	st.Err, _ = vals[3].(string)
	st.FailedAt = parseTime(vals[4])
	if etag == have {
		return st, nil
	}
	res, err := fetchScript.Run(ctx, s.rdb, []string{s.indexKey(src)}, etag).Slice()
	if err != nil {
		return nil, fmt.Errorf("redis: read the snapshot of %s: %w", src, err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("redis: the snapshot of %s changed while it was read", src)
	}
	data, _ := res[1].(string)
	snap, err := decode(src, []byte(data))
	if err != nil {
		return nil, fmt.Errorf("redis: the stored snapshot of %s: %w", src, err)
	}
	st.ETag, _ = res[0].(string)
	snap.ReadAt = st.ReadAt
	st.Snapshot = snap
	return st, nil
}

// fetchScript returns the etag and snapshot of KEYS[1] when its etag is
// still ARGV[1] (else an empty array: it changed since the HMGET).
var fetchScript = redis.NewScript(`
local v = redis.call('HMGET', KEYS[1], 'etag', 'snapshot')
if v[1] ~= ARGV[1] then return {} end
return v
`)

// Load returns the stored snapshot of src (catalog.IndexStore).
func (s *Store) Load(ctx context.Context, src registry.Source) (*catalog.Snapshot, error) {
	st, err := s.Fetch(ctx, src, "")
	if err != nil || st == nil {
		return nil, err
	}
	return st.Snapshot, nil
}

// Save stores snap (catalog.IndexStore).
func (s *Store) Save(ctx context.Context, snap *catalog.Snapshot) error {
	_, err := s.Put(ctx, snap)
	return err
}

func parseTime(v any) time.Time {
	str, _ := v.(string)
	t, _ := time.Parse(time.RFC3339Nano, str)
	return t
}
