package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/httpkit"
)

// giteaEvents are the X-Gitea-Event kinds that change what the registry
// serves: a release published, edited or deleted; a repository created or
// deleted (organization webhooks send those).
var giteaEvents = map[string]bool{"release": true, "repository": true}

// giteaPayload is the part of a Gitea webhook body the registry reads; the
// release and repository events both carry the repository.
type giteaPayload struct {
	Action     string `json:"action"`
	Repository *struct {
		Name     string `json:"name"`
		FullName string `json:"full_name"`
		Owner    struct {
			Login string `json:"login"`
		} `json:"owner"`
	} `json:"repository"`
	Release *struct {
		TagName string `json:"tag_name"`
	} `json:"release"`
}

// gitea serves POST /api/v1/hooks/gitea.
func (h *Handler) gitea(w http.ResponseWriter, r *http.Request) {
	if !h.opts.GiteaSecret.IsSet() {
		notFound(w, r)
		return
	}
	if r.Method != http.MethodPost {
		fail(w, http.StatusMethodNotAllowed, "method_not_allowed", "Method "+httpkit.Excerpt(r.Method)+" is not allowed on "+GiteaPath)
		return
	}
	body, ok := readBody(w, r, h.opts.MaxBody)
	if !ok {
		return
	}
	if !validSignature(h.opts.GiteaSecret.Reveal(), body, r.Header.Get("X-Gitea-Signature")) {
		h.log.Warn("gitea webhook refused: missing or wrong X-Gitea-Signature", "remote", r.RemoteAddr)
		fail(w, http.StatusUnauthorized, "auth_error", "Missing or invalid X-Gitea-Signature")
		return
	}
	var p giteaPayload
	if err := json.Unmarshal(body, &p); err != nil {
		fail(w, http.StatusBadRequest, "invalid_parameter", "The body is not a Gitea webhook payload (malformed JSON)")
		return
	}
	event := r.Header.Get("X-Gitea-Event")
	if !giteaEvents[event] || p.Repository == nil {
		h.accept(w, nil, 1)
		return
	}
	name, ok := h.giteaExtension(p.Repository.Name, p.Repository.Owner.Login)
	if !ok {
		h.accept(w, nil, 1)
		return
	}
	h.log.Info("gitea webhook", "event", event, "action", httpkit.Excerpt(p.Action), "repository", httpkit.Excerpt(p.Repository.FullName))
	h.accept(w, []job{{src: registry.SourceGitea, name: name}}, 0)
}

// giteaExtension returns the extension name of a repository of owner, or
// false for a repository that is no extension (no type suffix) or belongs
// to an organization the registry does not read.
func (h *Handler) giteaExtension(repo, owner string) (string, bool) {
	if len(h.opts.GiteaOrganizations) > 0 {
		known := false
		for _, org := range h.opts.GiteaOrganizations {
			if strings.EqualFold(org, owner) {
				known = true
			}
		}
		if !known {
			return "", false
		}
	}
	name, _, ok := registry.TypeFromRepositoryName(repo)
	if !ok || name == "" {
		return "", false
	}
	return name, true
}

// validSignature reports whether sig is the hex HMAC-SHA256 of body with
// secret, compared in constant time.
func validSignature(secret string, body []byte, sig string) bool {
	got, err := hex.DecodeString(strings.TrimSpace(sig))
	if err != nil || len(got) != sha256.Size {
		return false
	}
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return hmac.Equal(got, mac.Sum(nil))
}
