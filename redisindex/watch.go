package redisindex

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	registry "github.com/provisioning-platform/extension-registry"
)

// Watch subscribes to the channel and calls changed with the source of
// every message ("SOURCE GEN"), until ctx ends. The subscription
// reconnects by itself when Redis comes back; what was published
// meanwhile is caught by the catalog's periodic check.
func (s *Store) Watch(ctx context.Context, changed func(registry.Source)) {
	ps := s.rdb.Subscribe(ctx, s.channel())
	defer ps.Close()
	ch := ps.Channel(redis.WithChannelHealthCheckInterval(time.Second))
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			src, _, _ := strings.Cut(m.Payload, " ")
			if parsed, err := registry.ParseSource(src); err == nil {
				changed(parsed)
			}
		}
	}
}

// redisLogger passes the client's own notes to a slog.Logger at debug
// level; it never sees the URL's password (the client does not log it).
type redisLogger struct{ log *slog.Logger }

func (l redisLogger) Printf(ctx context.Context, format string, v ...any) {
	l.log.DebugContext(ctx, "redis client: "+fmt.Sprintf(format, v...))
}

var loggerOnce sync.Once

// setLogger routes the client's package-wide logger to log (the first
// Store's), or discards it.
func setLogger(log *slog.Logger) {
	loggerOnce.Do(func() {
		if log == nil {
			log = slog.New(slog.DiscardHandler)
		}
		redis.SetLogger(redisLogger{log.With("component", "redis")})
	})
}
