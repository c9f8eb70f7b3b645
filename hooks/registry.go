package hooks

import (
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// envelope is a distribution registry notification body (media type
// application/vnd.docker.distribution.events.v1+json, or v2+json from
// distribution v3): the part the registry reads.
type envelope struct {
	Events *[]event `json:"events"`
}

type event struct {
	Action string `json:"action"`
	Target struct {
		MediaType  string `json:"mediaType"`
		Digest     string `json:"digest"`
		Repository string `json:"repository"`
		URL        string `json:"url"`
		Tag        string `json:"tag"`
	} `json:"target"`
}

// manifestTypes are the media types of pushed manifests; a push of
// anything else (a layer, a config blob) changes no extension by itself.
var manifestTypes = map[string]bool{
	"application/vnd.oci.image.manifest.v1+json":                true,
	"application/vnd.oci.image.index.v1+json":                   true,
	"application/vnd.docker.distribution.manifest.v2+json":      true,
	"application/vnd.docker.distribution.manifest.list.v2+json": true,
	"application/vnd.docker.distribution.manifest.v1+json":      true,
	"application/vnd.docker.distribution.manifest.v1+prettyjws": true,
}

// registry serves POST /api/v1/hooks/registry.
func (h *Handler) registry(w http.ResponseWriter, r *http.Request) {
	if !h.opts.RegistryToken.IsSet() {
		notFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+httpkit.Excerpt(r.Method)+" is not allowed on "+RegistryPath)
		return
	}
	if !validBearer(h.opts.RegistryToken.Reveal(), r.Header.Get("Authorization")) {
		h.log.Warn("registry notification refused: missing or wrong bearer token", "remote", r.RemoteAddr)
		fail(w, http.StatusUnauthorized, "auth_error", "Missing or invalid bearer token")
		return
	}
	body, ok := readBody(w, r, h.opts.MaxBody)
	if !ok {
		return
	}
	var env envelope
	if err := json.Unmarshal(body, &env); err != nil || env.Events == nil {
		fail(w, http.StatusBadRequest, "invalid_parameter", "The body is not a registry notification envelope (JSON with \"events\")")
		return
	}
	var jobs []job
	seen := map[string]int{} // name → index in jobs
	ignored := 0
	for _, e := range *env.Events {
		name, ok := h.ociExtension(e)
		if !ok {
			ignored++
			continue
		}
		j := job{src: registry.SourceOCI, name: name}
		if e.Action == "push" {
			// What was pushed, for a refresher that waits for it to be
			// listed; a deletion is one plain re-read.
			j.tag, j.digest = e.Target.Tag, e.Target.Digest
		}
		if i, dup := seen[name]; dup {
			jobs[i] = j // the latest event of the envelope wins
			continue
		}
		seen[name] = len(jobs)
		jobs = append(jobs, j)
	}
	if len(jobs) > 0 {
		h.log.Info("registry notification", "events", len(*env.Events), "refreshes", len(jobs))
	}
	h.accept(w, jobs, ignored)
}

// ociExtension returns the extension an event changes, or false for an
// event that changes none: a pull or mount, a pushed blob, a repository
// outside the namespace.
func (h *Handler) ociExtension(e event) (string, bool) {
	switch e.Action {
	case "push":
		isManifest := manifestTypes[e.Target.MediaType] || strings.Contains(e.Target.URL, "/manifests/")
		if !isManifest {
			return "", false
		}
	case "delete":
		// Manifest, tag, blob and repository deletions all look alike
		// (a repository and a digest or tag): re-reading is cheap.
	default:
		return "", false
	}
	repo := e.Target.Repository
	if ns := strings.Trim(h.opts.OCINamespace, "/"); ns != "" {
		rest, ok := strings.CutPrefix(repo, ns+"/")
		if !ok {
			return "", false
		}
		repo = rest
	}
	if repo == "" || strings.Contains(repo, "/") {
		return "", false
	}
	if name, _, ok := registry.TypeFromRepositoryName(repo); ok && name != "" {
		return name, true
	}
	return repo, true
}

// validBearer reports whether header is "Bearer <token>", compared in
// constant time.
func validBearer(token, header string) bool {
	scheme, got, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(token)) == 1
}
