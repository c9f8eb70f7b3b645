package connector

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sort"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/catalog"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
	"github.com/provisioning-platform/extension-registry/metrics"
)

// call is one forwarded request once its headers are decoded: the tool's
// backend built with the request's own credentials, the catalog over it,
// and the request's backend budget. Nothing in it outlives the request.
type call struct {
	target   Target
	tool     *tool
	desc     string // the tool for messages, e.g. "Gitea server https://…"
	backend  registry.Backend
	catalog  *catalog.Catalog
	deadline time.Time
}

// callHandler serves one resource for a decoded request.
type callHandler func(ctx context.Context, w http.ResponseWriter, r *http.Request, c *call)

// handle decodes the X-Plugin-* headers, checks the tool host against the
// allow-list, finds or builds the request's backend and catalog, and runs h
// with a context bounded by the backend budget and carrying the request's
// upstream-call budget. Any failure before h is answered with its Status.
func (a *API) handle(t *tool, h callHandler, probe probeKind) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r = r.WithContext(withBudget(r.Context(), a.opts.MaxUpstreamCalls))
		c, err := a.newCall(r, t, probe)
		var he *headerError
		if probe == probeAuth && errors.As(err, &he) && he.noCredentials {
			// The auth probe's answers are 200, 401 and 403: a Secret
			// that holds nothing for this tool is not accepted.
			writeStatus(w, apierrors.NewUnauthorized(he.reason))
			return
		}
		if err != nil {
			a.writeError(w, r, t.label, err)
			return
		}
		ctx, cancel := context.WithDeadline(r.Context(), c.deadline)
		defer cancel()
		h(ctx, w, r, c)
	}
}

// newCall builds the call of r for tool t.
func (a *API) newCall(r *http.Request, t *tool, probe probeKind) (*call, error) {
	target, err := ParseTarget(r.Header)
	if err != nil {
		return nil, err
	}

	if !a.hosts.allows(target.BaseURL) {
		return nil, &hostRefusedError{host: target.BaseURL.Host}
	}
	build, scopeParts, err := t.prepare(r, target, probe != notProbe)
	var he *headerError
	if probe == probeLiveness && errors.As(err, &he) && he.noCredentials {
		// Liveness asks whether the tool answers at all: a Secret that
		// holds nothing for it does not matter there.
		target.SecretType, target.Secret = "", nil
		build, scopeParts, err = t.prepare(r, target, true)
	}
	if err != nil {
		return nil, err
	}
	scope := a.scope(t.name, target, scopeParts...)
	b, err := a.backend(scope, build)
	if err != nil {
		return nil, err
	}
	c := &call{
		target:   target,
		tool:     t,
		desc:     t.label + " " + target.BaseURL.String(),
		deadline: time.Now().Add(a.opts.Timeout),
	}
	c.backend = budgeted{Backend: b, deadline: c.deadline}
	// One backend per request: no index, breaker or owners map, answers
	// cached under a scope of this request's credentials.
	c.catalog = catalog.NewDirect(c.backend, a.opts.Cache, scope)
	return c, nil
}

// backend returns the backend of scope: the one built for an earlier
// request with the same tool, address, credentials and parameters, so that
// its authenticated client (an OCI token, a Gitea session) is reused, else
// a new one from build, kept for the next request. At most
// Options.MaxClients backends are kept, the least recently used dropped.
func (a *API) backend(scope string, build func() (registry.Backend, error)) (registry.Backend, error) {
	if b, ok := a.clients.Get(scope); ok {
		return b, nil
	}
	b, err := build()
	if err != nil {
		return nil, fmt.Errorf("building the backend: %w", err)
	}
	a.clients.Add(scope, b)
	return b, nil
}

// scope is the cache scope of a request: an HMAC (under a key of this
// process) of the tool kind, base URL, Secret type, every Secret key and
// value, and the request parameters that change the answer (organization,
// namespace). Requests with other credentials or another tool never share
// cache entries.
func (a *API) scope(kind string, t Target, extra ...string) string {
	mac := hmac.New(sha256.New, a.scopeKey)
	field := func(b []byte) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(b)))
		mac.Write(n[:])
		mac.Write(b)
	}
	field([]byte(kind))
	field([]byte(t.BaseURL.String()))
	field([]byte(t.SecretType))
	keys := make([]string, 0, len(t.Secret))
	for k := range t.Secret {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	field(binary.BigEndian.AppendUint64(nil, uint64(len(keys))))
	for _, k := range keys {
		field([]byte(k))
		field(t.Secret[k])
	}
	for _, e := range extra {
		field([]byte(e))
	}
	return "connector:" + hex.EncodeToString(mac.Sum(nil))
}

// writeError answers a failed call with its Status and logs failures that
// are the tool's or the registry's. A client that went away gets nothing.
func (a *API) writeError(w http.ResponseWriter, r *http.Request, desc string, err error) {
	if errors.Is(err, context.Canceled) && r.Context().Err() != nil {
		return
	}
	st := statusFor(err, desc)
	code := int(st.ErrStatus.Code)
	level := slog.LevelDebug
	switch {
	case code >= 500:
		level = slog.LevelWarn
	case code == http.StatusUnauthorized || code == http.StatusForbidden || code == http.StatusTooManyRequests:
		level = slog.LevelInfo
	}
	a.log.Log(r.Context(), level, "connector request failed",
		"method", metrics.Method(r.Method), "path", httpkit.Excerpt(r.URL.Path), "tool", desc, "status", code, "error", err)
	writeStatus(w, st)
}

// budgeted bounds every backend call by the request's deadline. The catalog
// makes its calls on a context detached from the request (one call serves
// every waiting request), so the deadline is applied here: a call made for
// a request never runs past that request's budget. Open is left to the
// download handler, which must not cut the archive's stream.
type budgeted struct {
	registry.Backend
	deadline time.Time
}

func (b budgeted) List(ctx context.Context) ([]registry.Extension, error) {
	ctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	return b.Backend.List(ctx)
}

func (b budgeted) Get(ctx context.Context, typ registry.Type, name string) (registry.Extension, error) {
	ctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	return b.Backend.Get(ctx, typ, name)
}

func (b budgeted) Versions(ctx context.Context, typ registry.Type, name string) ([]registry.Version, error) {
	ctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	return b.Backend.Versions(ctx, typ, name)
}

// Probe checks the tool with the request's credentials. A backend that
// cannot probe is asked for its list instead.
func (b budgeted) Probe(ctx context.Context) error {
	ctx, cancel := context.WithDeadline(ctx, b.deadline)
	defer cancel()
	if p, ok := b.Backend.(registry.Prober); ok {
		return p.Probe(ctx)
	}
	_, err := b.Backend.List(ctx)
	return err
}
