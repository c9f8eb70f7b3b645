package connector

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// giteaREST calls the Gitea REST API to seed test data, as the admin (a
// token) or as a user (basic auth).
type giteaREST struct {
	base  string // server URL without a trailing slash
	token string
	user  string
	pass  string
}

func (g giteaREST) as(user, pass string) giteaREST {
	return giteaREST{base: g.base, user: user, pass: pass}
}

// call sends method path with a JSON body (or a prepared body and content
// type) and decodes a JSON answer into out. An answer other than 2xx is an
// error naming the call.
func (g giteaREST) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	contentType := ""
	switch v := in.(type) {
	case nil:
	case multipartBody:
		body, contentType = bytes.NewReader(v.data), v.contentType
	default:
		b, err := json.Marshal(v)
		if err != nil {
			return err
		}
		body, contentType = bytes.NewReader(b), "application/json"
	}
	req, err := http.NewRequestWithContext(ctx, method, g.base+"/api/v1"+path, body)
	if err != nil {
		return err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	switch {
	case g.token != "":
		req.Header.Set("Authorization", "token "+g.token)
	case g.user != "":
		req.SetBasicAuth(g.user, g.pass)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, bytes.TrimSpace(raw))
	}
	if out != nil && len(raw) > 0 {
		return json.Unmarshal(raw, out)
	}
	return nil
}

// multipartBody is a prepared multipart/form-data body.
type multipartBody struct {
	data        []byte
	contentType string
}

func (g giteaREST) createUser(ctx context.Context, name, pass string) error {
	return g.call(ctx, http.MethodPost, "/admin/users", map[string]any{
		"username": name, "email": name + "@example.com", "password": pass, "must_change_password": false,
	}, nil)
}

func (g giteaREST) createOrg(ctx context.Context, name, visibility string) error {
	return g.call(ctx, http.MethodPost, "/orgs", map[string]any{"username": name, "visibility": visibility}, nil)
}

// addReader gives user read access to every repository of org.
func (g giteaREST) addReader(ctx context.Context, org, user string) error {
	var team struct {
		ID int64 `json:"id"`
	}
	err := g.call(ctx, http.MethodPost, "/orgs/"+org+"/teams", map[string]any{
		"name": "readers", "permission": "read", "includes_all_repositories": true,
		"units": []string{"repo.code", "repo.releases"},
	}, &team)
	if err != nil {
		return err
	}
	return g.call(ctx, http.MethodPut, fmt.Sprintf("/teams/%d/members/%s", team.ID, user), nil, nil)
}

// createRepo creates org/name with an initial commit, so that releases can
// tag it, and sets its topics.
func (g giteaREST) createRepo(ctx context.Context, org, name, description string, topics ...string) error {
	err := g.call(ctx, http.MethodPost, "/orgs/"+org+"/repos", map[string]any{
		"name": name, "description": description, "auto_init": true, "default_branch": "main",
	}, nil)
	if err != nil {
		return err
	}
	if len(topics) == 0 {
		return nil
	}
	return g.call(ctx, http.MethodPut, "/repos/"+org+"/"+name+"/topics", map[string]any{"topics": topics}, nil)
}

// release publishes tag on org/repo with one asset.
func (g giteaREST) release(ctx context.Context, org, repo, tag, assetName string, asset []byte) error {
	var rel struct {
		ID int64 `json:"id"`
	}
	err := g.call(ctx, http.MethodPost, "/repos/"+org+"/"+repo+"/releases", map[string]any{
		"tag_name": tag, "name": tag, "target_commitish": "main",
	}, &rel)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile("attachment", assetName)
	if err != nil {
		return err
	}
	if _, err := fw.Write(asset); err != nil {
		return err
	}
	if err := mw.Close(); err != nil {
		return err
	}
	path := fmt.Sprintf("/repos/%s/%s/releases/%d/assets?name=%s", org, repo, rel.ID, url.QueryEscape(assetName))
	return g.call(ctx, http.MethodPost, path, multipartBody{buf.Bytes(), mw.FormDataContentType()}, nil)
}

// createToken creates an access token of the basic-auth user with scopes.
func (g giteaREST) createToken(ctx context.Context, name string, scopes ...string) (string, error) {
	var tok struct {
		SHA1 string `json:"sha1"`
	}
	err := g.call(ctx, http.MethodPost, "/users/"+g.user+"/tokens", map[string]any{
		"name": name + "-" + fmt.Sprint(time.Now().UnixNano()), "scopes": scopes,
	}, &tok)
	return tok.SHA1, err
}

// startGitea returns the admin side of the package's shared real Gitea,
// started on first use.
func startGitea(t *testing.T) giteaREST {
	t.Helper()
	g := testserver.SharedGitea(t, testserver.GiteaOptions{})
	rememberSecret(g.AdminPassword, g.AdminToken)
	return giteaREST{base: g.URL, token: g.AdminToken}
}
