package hooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"

	registry "github.com/provisioning-platform/extension-registry"
)

// giteaRelease is a release event body in the shape Gitea 1.26 sends
// (modules/structs ReleasePayload: action, release, repository, sender).
func giteaRelease(owner, repo, action string) string {
	return `{
  "action": "` + action + `",
  "release": {
    "id": 7, "tag_name": "v1.2.0", "target_commitish": "main", "name": "v1.2.0",
    "body": "Notes", "url": "http://gitea.local/api/v1/repos/` + owner + `/` + repo + `/releases/7",
    "html_url": "http://gitea.local/` + owner + `/` + repo + `/releases/tag/v1.2.0",
    "tarball_url": "http://gitea.local/` + owner + `/` + repo + `/archive/v1.2.0.tar.gz",
    "zipball_url": "http://gitea.local/` + owner + `/` + repo + `/archive/v1.2.0.zip",
    "upload_url": "http://gitea.local/api/v1/repos/` + owner + `/` + repo + `/releases/7/assets",
    "draft": false, "prerelease": false,
    "created_at": "2026-12-01T22:00:00Z", "published_at": "2026-12-01T22:00:00Z",
    "author": {"id": 1, "login": "admin", "full_name": "", "email": "admin@gitea.local"},
    "assets": []
  },
  "repository": {
    "id": 3,
    "owner": {"id": 2, "login": "` + owner + `", "full_name": "", "email": "", "username": "` + owner + `"},
    "name": "` + repo + `", "full_name": "` + owner + `/` + repo + `",
    "description": "AWS provider", "empty": false, "private": false, "fork": false,
    "html_url": "http://gitea.local/` + owner + `/` + repo + `", "default_branch": "main",
    "has_releases": true, "topics": ["cloud"]
  },
  "sender": {"id": 1, "login": "admin", "full_name": "", "email": "admin@gitea.local", "username": "admin"}
}`
}

// giteaRepository is a repository event of an organization webhook.
func giteaRepository(owner, repo, action string) string {
	return `{
  "action": "` + action + `",
  "repository": {"id": 9, "owner": {"id": 2, "login": "` + owner + `"}, "name": "` + repo + `",
    "full_name": "` + owner + `/` + repo + `", "private": false, "has_releases": true},
  "organization": {"id": 2, "login": "` + owner + `", "username": "` + owner + `"},
  "sender": {"id": 1, "login": "admin", "username": "admin"}
}`
}

func TestGiteaEventsRefreshTheirExtension(t *testing.T) {
	f := newFake()
	srv := newServer(t, f, Options{GiteaOrganizations: []string{"Provisioning"}})
	url := srv.URL + GiteaPath
	cases := []struct {
		event, body string
		want        string // extension refreshed, "" for none
	}{
		{"release", giteaRelease("provisioning", "aws_prov", "published"), "aws"},
		{"release", giteaRelease("provisioning", "kubernetes_taskserv", "updated"), "kubernetes"},
		{"release", giteaRelease("provisioning", "buildkit_cluster", "deleted"), "buildkit"},
		{"repository", giteaRepository("provisioning", "hetzner_provider", "created"), "hetzner"},
		{"repository", giteaRepository("provisioning", "old_prov", "deleted"), "old"},
		// Ignored, with a 2xx: not an extension, another organization,
		// another event kind.
		{"release", giteaRelease("provisioning", "website", "published"), ""},
		{"release", giteaRelease("someone-else", "evil_prov", "published"), ""},
		{"push", `{"ref":"refs/heads/main","repository":{"name":"aws_prov","owner":{"login":"provisioning"}}}`, ""},
		{"issues", `{"action":"opened"}`, ""},
	}
	wantCalls := 0
	for _, tc := range cases {
		status, body := post(t, url, tc.body, "X-Gitea-Event", tc.event, "X-Gitea-Signature", sign(tc.body), "Content-Type", "application/json")
		if tc.want != "" {
			wantCalls++
			if status != http.StatusAccepted || body["queued"] != 1.0 {
				t.Errorf("%s %s: %d %v, want 202 with one refresh queued", tc.event, tc.want, status, body)
			}
		} else if status != http.StatusOK || body["ignored"] != 1.0 {
			t.Errorf("ignored %s event: %d %v, want 200 ignored", tc.event, status, body)
		}
	}
	calls := f.waitCalls(t, wantCalls)
	got := map[string]bool{}
	for _, c := range calls {
		if c.src != registry.SourceGitea {
			t.Errorf("refresh of %s in %s, want gitea", c.name, c.src)
		}
		got[c.name] = true
	}
	for _, want := range []string{"aws", "kubernetes", "buildkit", "hetzner", "old"} {
		if !got[want] {
			t.Errorf("no refresh of %s (got %v)", want, calls)
		}
	}
}

func TestGiteaForgedSignaturesChangeNothing(t *testing.T) {
	f := newFake()
	srv := newServer(t, f, Options{})
	url := srv.URL + GiteaPath
	body := giteaRelease("provisioning", "aws_prov", "published")
	other := strings.Replace(body, "aws_prov", "gcp_prov", -1)
	wrongKey := func() string { // signed with another secret
		mac := hmac.New(sha256.New, []byte("another-secret"))
		mac.Write([]byte(body))
		return hex.EncodeToString(mac.Sum(nil))
	}
	for name, headers := range map[string][]string{
		"no signature":          {"X-Gitea-Event", "release"},
		"empty signature":       {"X-Gitea-Event", "release", "X-Gitea-Signature", ""},
		"not hex":               {"X-Gitea-Event", "release", "X-Gitea-Signature", "zz" + sign(body)[2:]},
		"short":                 {"X-Gitea-Event", "release", "X-Gitea-Signature", sign(body)[:32]},
		"wrong key":             {"X-Gitea-Event", "release", "X-Gitea-Signature", wrongKey()},
		"another body's":        {"X-Gitea-Event", "release", "X-Gitea-Signature", sign(other)},
		"GitHub-style sha256=…": {"X-Gitea-Event", "release", "X-Gitea-Signature", "sha256=" + sign(body)},
	} {
		status, answer := post(t, url, body, headers...)
		checkError(t, name, status, answer, http.StatusUnauthorized, "auth_error")
		if strings.Contains(answer["message"].(string), giteaSecret) {
			t.Errorf("%s: the answer shows the secret", name)
		}
	}
	// A signed but malformed body is a 400, and refreshes nothing either.
	for _, bad := range []string{`{"action":`, `not json`, ``} {
		status, answer := post(t, url, bad, "X-Gitea-Event", "release", "X-Gitea-Signature", sign(bad))
		checkError(t, "malformed "+bad, status, answer, http.StatusBadRequest, "invalid_parameter")
	}
	f.waitCalls(t, 0)
}

func TestGiteaBodyLimit(t *testing.T) {
	f := newFake()
	srv := newServer(t, f, Options{MaxBody: 4096})
	body := giteaRelease("provisioning", "aws_prov", "published")
	body = strings.Replace(body, `"Notes"`, `"`+strings.Repeat("x", 5000)+`"`, 1)
	status, answer := post(t, srv.URL+GiteaPath, body, "X-Gitea-Event", "release", "X-Gitea-Signature", sign(body))
	checkError(t, "oversized body", status, answer, http.StatusRequestEntityTooLarge, "invalid_parameter")
	f.waitCalls(t, 0)
}
