// Package hooks serves the change notification endpoints of contract §11:
// POST /api/v1/hooks/gitea (Gitea release and repository webhooks, signed
// with HMAC-SHA256 in X-Gitea-Signature) and POST /api/v1/hooks/registry
// (distribution registry notifications, with a bearer token). Each
// accepted notification asks a Refresher to re-read the extensions it
// names; the refreshes run in the background, bounded and deduplicated, so
// that a sender never waits for a backend and the registry never retries
// forever.
//
// Answers use the v1 API's error body: 404 when the endpoint's secret is
// not configured, 405 for a method other than POST, 401 (auth_error) for a
// missing or wrong signature or token, 413 for a body over the limit, 400
// (invalid_parameter) for a body that is not the sender's JSON. Every
// well-formed notification gets a 2xx, also when it names nothing to
// refresh (a pull, a blob, a repository outside the configured namespace):
// the distribution registry retries a non-2xx answer forever and holds back
// every later event meanwhile.
package hooks

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
	"github.com/provisioning-platform/extension-registry/internal/secret"
)

// Refresher re-reads the extensions called name in one source, now (the
// catalog's index implements it).
type Refresher interface {
	Refresh(ctx context.Context, src registry.Source, name string) error
}

// TagRefresher is implemented by refreshers that can use what a registry
// notification says about a pushed tag and manifest digest (the registry
// may notify before the tag is listed). tag or digest may be empty.
// Without it, and for deletions, Refresh is called.
type TagRefresher interface {
	RefreshTag(ctx context.Context, src registry.Source, name, tag, digest string) error
}

// DefaultMaxBody bounds a notification body when Options.MaxBody is 0.
const DefaultMaxBody = 1 << 20

// Options configures the endpoints.
type Options struct {
	// Refresher receives the refreshes. Required.
	Refresher Refresher
	// GiteaSecret is webhooks.gitea_secret; unset, the Gitea endpoint
	// answers 404.
	GiteaSecret secret.Value
	// GiteaOrganizations, when set, limits Gitea notifications to
	// repositories of these organizations (compared without case);
	// others are ignored.
	GiteaOrganizations []string
	// RegistryToken is webhooks.registry_token; unset, the registry
	// endpoint answers 404.
	RegistryToken secret.Value
	// OCINamespace is oci.namespace: a notification's repository
	// "{namespace}/{name}" is the extension name; repositories outside it
	// are ignored.
	OCINamespace string
	// MaxBody bounds a notification body in bytes (DefaultMaxBody if 0).
	MaxBody int64
	// Logger receives refresh failures and refused notifications; nil
	// discards them.
	Logger *slog.Logger
}

// Handler serves the two endpoints. Call Close when done.
type Handler struct {
	opts  Options
	log   *slog.Logger
	queue *queue
}

// New returns the endpoints of opts and starts the background refreshes.
func New(opts Options) *Handler {
	if opts.MaxBody <= 0 {
		opts.MaxBody = DefaultMaxBody
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Handler{opts: opts, log: log, queue: newQueue(opts.Refresher, log)}
}

// Paths of the endpoints.
const (
	GiteaPath    = "/api/v1/hooks/gitea"
	RegistryPath = "/api/v1/hooks/registry"
)

// Register adds the endpoints to mux.
func (h *Handler) Register(mux *http.ServeMux) {
	mux.HandleFunc(GiteaPath, h.gitea)
	mux.HandleFunc(RegistryPath, h.registry)
}

// Close stops the background refreshes, cancelling those that run.
func (h *Handler) Close() { h.queue.close() }

// errorBody is the v1 API's error format.
type errorBody struct {
	Error   string `json:"error"`
	Message string `json:"message"`
	Details string `json:"details,omitempty"`
}

// fail writes a v1 error answer.
func fail(w http.ResponseWriter, status int, typ, message string) {
	if status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", http.MethodPost)
	}
	httpkit.WriteJSON(w, status, errorBody{Error: typ, Message: message})
}

// notFound is the answer of an endpoint whose secret is not configured: the
// same as any unknown route.
func notFound(w http.ResponseWriter, r *http.Request) {
	fail(w, http.StatusNotFound, "not_found", "Route "+httpkit.Excerpt(r.URL.Path)+" not found")
}

// readBody reads the request body up to max bytes; ok is false when it has
// answered (413, or 400 for a body that broke off).
func readBody(w http.ResponseWriter, r *http.Request, max int64) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		fail(w, http.StatusRequestEntityTooLarge, "invalid_parameter", "Notification body larger than the limit")
		return nil, false
	case err != nil:
		fail(w, http.StatusBadRequest, "invalid_parameter", "Notification body could not be read")
		return nil, false
	}
	return body, true
}

// result is the answer to an accepted notification: how many refreshes it
// queued and how many of its events named nothing to refresh.
type result struct {
	Queued  int `json:"queued"`
	Ignored int `json:"ignored"`
}

// accept queues the jobs and answers 202 (200 when nothing was queued).
func (h *Handler) accept(w http.ResponseWriter, jobs []job, ignored int) {
	res := result{Ignored: ignored}
	for _, j := range jobs {
		if h.queue.add(j) {
			res.Queued++
		}
	}
	status := http.StatusOK
	if len(jobs) > 0 {
		status = http.StatusAccepted
	}
	httpkit.WriteJSON(w, status, res)
}
