package edge

import (
	"fmt"
	"math"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"
	"golang.org/x/time/rate"

	registry "github.com/provisioning-platform/extension-registry"
)

// RateLimit limits requests per client address with a token bucket.
type RateLimit struct {
	// RPS is the sustained requests per second a client address may send;
	// 0 turns rate limiting off.
	RPS float64
	// Burst is how many requests a client may send at once; 0 means
	// max(1, 2×RPS).
	Burst int
	// TrustedProxies are the addresses (IPs or CIDR prefixes) whose
	// X-Forwarded-For header is believed.
	TrustedProxies []string
	// MaxClients bounds the client addresses remembered; the least recently
	// seen is forgotten first. 0 means DefaultMaxClients.
	MaxClients int
}

// DefaultMaxClients is RateLimit.MaxClients when zero.
const DefaultMaxClients = 65536

// maxForwarded is the most X-Forwarded-For entries read, from the right.
const maxForwarded = 64

type limiter struct {
	limit   rate.Limit
	burst   int
	trusted []netip.Prefix

	mu      sync.Mutex
	clients *lru.Cache[netip.Addr, *rate.Limiter]
}

// ParsePrefixes parses trusted proxy entries: IP addresses or CIDR
// prefixes.
func ParsePrefixes(entries []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, s := range entries {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("trusted proxy %s is neither an IP address nor a CIDR prefix", registry.Quote(s))
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}

func newLimiter(o RateLimit) (*limiter, error) {
	trusted, err := ParsePrefixes(o.TrustedProxies)
	if err != nil {
		return nil, err
	}
	burst := o.Burst
	if burst <= 0 {
		burst = max(1, int(math.Ceil(2*o.RPS)))
	}
	n := o.MaxClients
	if n <= 0 {
		n = DefaultMaxClients
	}
	clients, err := lru.New[netip.Addr, *rate.Limiter](n)
	if err != nil {
		return nil, err
	}
	return &limiter{limit: rate.Limit(o.RPS), burst: burst, trusted: trusted, clients: clients}, nil
}

// admit takes one token for r's client and sets the RateLimit-* headers
// (and Retry-After when refused). It reports whether r may go on.
func (l *limiter) admit(w http.ResponseWriter, r *http.Request, now time.Time) bool {
	client := l.client(r)
	l.mu.Lock()
	lim, ok := l.clients.Get(client)
	if !ok {
		lim = rate.NewLimiter(l.limit, l.burst)
		l.clients.Add(client, lim)
	}
	l.mu.Unlock()
	allowed := lim.AllowN(now, 1)
	tokens := lim.TokensAt(now)
	h := w.Header()
	h.Set("RateLimit-Limit", strconv.Itoa(l.burst))
	h.Set("RateLimit-Remaining", strconv.Itoa(max(0, int(math.Floor(tokens)))))
	h.Set("RateLimit-Reset", retryAfter(l.wait(float64(l.burst)-tokens)))
	if !allowed {
		h.Set("Retry-After", retryAfter(l.wait(1-tokens)))
	}
	return allowed
}

// wait is how long the bucket takes to gain n tokens.
func (l *limiter) wait(n float64) time.Duration {
	if n <= 0 {
		return 0
	}
	return time.Duration(n / float64(l.limit) * float64(time.Second))
}

// client is the address r is counted under: the connection's peer, or,
// when the peer is a trusted proxy, the rightmost X-Forwarded-For entry that
// is not itself a trusted proxy.
func (l *limiter) client(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	addr := ap.Addr().Unmap()
	if !l.isTrusted(addr) {
		return addr
	}
	var hops []string
	for _, v := range r.Header.Values("X-Forwarded-For") {
		hops = append(hops, strings.Split(v, ",")...)
	}
	for i, seen := len(hops)-1, 0; i >= 0 && seen < maxForwarded; i, seen = i-1, seen+1 {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			break // garbage from the hop before: the last address believed stands
		}
		addr = hop.Unmap()
		if !l.isTrusted(addr) {
			break
		}
	}
	return addr
}

func (l *limiter) isTrusted(a netip.Addr) bool {
	for _, p := range l.trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
