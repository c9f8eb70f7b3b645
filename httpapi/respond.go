package httpapi

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/provisioning-platform/extension-registry/catalog"
)

// Bounds of the encoded-answer memo: at most memoEntries answers and
// memoBytes bytes of them; an answer larger than memoMaxBody is never kept.
const (
	memoEntries = 1024
	memoBytes   = 32 << 20
	memoMaxBody = 1 << 20
)

// encoded is one JSON answer, encoded once: its body, ETag and total
// count (-1 when it has none).
type encoded struct {
	body  []byte
	etag  string
	total int
	// The header values of every answer of it, made once: a header map
	// takes a value slice as it is (net/http only reads it; Set replaces
	// it, Add reallocates a one-element slice).
	etagValue, totalValue, lengthValue []string
}

// memoKey names an encoded answer: the index generation it came from, the
// base URL its download URLs were built with, and the request.
type memoKey struct {
	gen         uint64
	base        string
	path, query string
}

// memo keeps the encoded answers of the current index generation, so that
// a hot answer is encoded once per generation rather than per request.
type memo struct {
	mu    sync.Mutex
	gen   uint64
	bytes int
	lru   *lru.Cache[memoKey, *encoded]
}

func newMemo() *memo {
	m := &memo{}
	m.lru, _ = lru.NewWithEvict[memoKey, *encoded](memoEntries, func(_ memoKey, e *encoded) { m.bytes -= len(e.body) })
	return m
}

func (m *memo) get(k memoKey) (*encoded, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.lru.Get(k)
}

// put keeps e under k; a new generation drops every older answer.
func (m *memo) put(k memoKey, e *encoded) {
	if len(e.body) > memoMaxBody {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if k.gen != m.gen {
		if k.gen < m.gen {
			return
		}
		m.lru.Purge()
		m.gen = k.gen
	}
	m.lru.Add(k, e)
	m.bytes += len(e.body)
	for m.bytes > memoBytes && m.lru.Len() > 1 {
		m.lru.RemoveOldest()
	}
}

// answer serves one JSON answer of the catalog: from the memo when the
// index generation has it encoded already, else by calling compute (with
// a context that tells where the catalog's answer came from) and encoding
// its value once. Every answer carries an ETag (a matching If-None-Match
// gets 304 without a body) and X-Cache-Hit; answers from memory carry
// X-Cache-TTL, the seconds until the index is next refreshed.
func (a *API) answer(w http.ResponseWriter, r *http.Request, kind catalog.Kind, compute func(ctx context.Context) (v any, total int, err error)) {
	cat := a.opts.Catalog
	key := memoKey{gen: cat.Generation(), base: a.baseURL(r), path: r.URL.Path, query: r.URL.RawQuery}
	if key.gen != 0 {
		if e, ok := a.memo.get(key); ok {
			if a.opts.Metrics != nil {
				a.opts.Metrics.CacheHits.WithLabelValues(kind.String()).Inc()
			}
			a.write(w, r, e, true, cat.TTL().Seconds())
			return
		}
	}
	ans := &catalog.Answer{}
	v, total, err := compute(catalog.WithAnswer(r.Context(), ans))
	if err != nil {
		a.writeError(w, r, err)
		return
	}
	e := encode(v, total)
	if ans.FromMemory && ans.Generation != 0 && ans.Generation == key.gen {
		a.memo.put(key, e)
	}
	a.write(w, r, e, ans.FromMemory, ans.TTL.Seconds())
}

// encode encodes v as the API writes JSON (one line, newline-terminated).
func encode(v any, total int) *encoded {
	body, err := json.Marshal(v)
	if err != nil {
		body = []byte("null")
	}
	body = append(body, '\n')
	sum := sha256.Sum256(body)
	etag := `"` + hex.EncodeToString(sum[:16]) + `"`
	return &encoded{body: body, etag: etag, total: total,
		etagValue: []string{etag}, totalValue: []string{strconv.Itoa(total)}, lengthValue: []string{strconv.Itoa(len(body))}}
}

// Header values shared by every answer (see encoded).
var (
	hitValues  = map[bool][]string{true: {"true"}, false: {"false"}}
	jsonValue  = []string{"application/json"}
	nosniffVal = []string{"nosniff"}
)

// write sends e with its validators and cache headers.
func (a *API) write(w http.ResponseWriter, r *http.Request, e *encoded, fromMemory bool, ttl float64) {
	// The keys are in canonical form already (textproto): assigned, not
	// canonicalised again at every request.
	h := w.Header()
	h["Etag"] = e.etagValue
	h["X-Cache-Hit"] = hitValues[fromMemory]
	if fromMemory {
		h["X-Cache-Ttl"] = []string{strconv.Itoa(int(ttl))}
	}
	if e.total >= 0 {
		h["X-Total-Count"] = e.totalValue
	}
	if etagMatch(r.Header.Get("If-None-Match"), e.etag) {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	h["Content-Type"] = jsonValue
	h["X-Content-Type-Options"] = nosniffVal
	h["Content-Length"] = e.lengthValue
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(e.body)
	}
}

// writeFresh serves v, computed now and never from memory, with an ETag.
func (a *API) writeFresh(w http.ResponseWriter, r *http.Request, v any) {
	a.write(w, r, encode(v, -1), false, 0)
}

// etagMatch reports whether an If-None-Match header names etag ("*", or
// one of a comma-separated list, weak or strong).
func etagMatch(header, etag string) bool {
	for header != "" {
		var tok string
		tok, header, _ = strings.Cut(header, ",")
		if tok = strings.TrimSpace(tok); tok == "*" || tok == etag || tok == "W/"+etag {
			return true
		}
	}
	return false
}
