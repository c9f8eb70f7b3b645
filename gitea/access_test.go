package gitea_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	sdk "code.gitea.io/sdk/gitea"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/gitea"
	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// TestAuthModes reads a private organization with a token and with a
// username and password, and checks that Gitea's refusals come back as the
// registry's error kinds: unknown credentials are ErrUnauthorized, an
// organization the credentials cannot see is not found (Probe, Get) or
// makes the listing unavailable (List), a token without the scope to read
// releases is ErrForbidden.
func TestAuthModes(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	s := g.Seed(t)
	org := testserver.UniqueName("private")
	s.Org(org, sdk.VisibleTypePrivate)
	s.Repo(org, "secret_taskserv", "a private task service", "private")
	data := archive("secret 1.0.0")
	s.Release(org, "secret_taskserv", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{
		{Name: "secret_taskserv.tar.gz", Data: data},
		{Name: "checksums.txt", Data: []byte(hexSum(data) + "  secret_taskserv.tar.gz\n")},
	}})
	reader, outsider := testserver.UniqueName("reader"), testserver.UniqueName("outsider")
	const password = "Reader-pass-1234"
	s.User(reader, password)
	s.User(outsider, password)
	s.AddReader(org, reader)
	// A token with the scopes the registry needs, and no read:user: Probe
	// must not require it.
	token := s.Token(reader, password, "read:organization", "read:repository")
	orgOnly := s.Token(reader, password, "read:organization")

	readable := map[string]gitea.Options{
		"token":             {Token: token},
		"username/password": {Username: reader, Password: password},
		"token over basic":  {Token: token, Username: reader, Password: "wrong"},
	}
	for mode, opts := range readable {
		t.Run(mode, func(t *testing.T) {
			opts.URL, opts.Organizations = g.URL, []string{org}
			b, _ := newBackend(t, opts)
			if err := b.Probe(ctx(t)); err != nil {
				t.Errorf("Probe: %v", err)
			}
			exts, err := b.List(ctx(t))
			if err != nil || len(exts) != 1 || exts[0].Key() != "taskserv/secret" || exts[0].Checksum != sum(data) || exts[0].Author != org {
				t.Fatalf("List = %+v, %v; want taskserv/secret with its checksum", exts, err)
			}
			// The download is private: it needs the server's credentials.
			a, err := b.Open(ctx(t), registry.Taskserv, "secret", registry.Version{Version: "1.0.0"})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			got, err := io.ReadAll(a.Body)
			a.Body.Close()
			if err != nil || string(got) != string(data) || a.Checksum != sum(data) || a.Size != int64(len(data)) {
				t.Errorf("Open: %d bytes, %v, checksum %q, size %d", len(got), err, a.Checksum, a.Size)
			}
			// Anonymously, the same asset is not there.
			resp, err := httpGet(t, exts[0].DownloadURL)
			if err != nil || resp != 404 {
				t.Errorf("anonymous GET of the download_url: %d, %v; want 404", resp, err)
			}
		})
	}

	refused := []struct {
		mode                 string
		opts                 gitea.Options
		probe, list, get     error
		probeMsg, listSubstr string
	}{
		{"wrong password", gitea.Options{Username: reader, Password: "wrong"}, registry.ErrUnauthorized, registry.ErrUnauthorized, registry.ErrUnauthorized, "refused the credentials", "refused the credentials"},
		{"unknown token", gitea.Options{Token: strings.Repeat("ab", 20)}, registry.ErrUnauthorized, registry.ErrUnauthorized, registry.ErrUnauthorized, "refused the credentials", "refused the credentials"},
		// An organization the credentials cannot see is not a plain
		// not-found for Get and Open either: a lower source's copy must
		// not be served in its place.
		{"anonymous", gitea.Options{}, registry.ErrNotFound, registry.ErrNotFound, registry.ErrUnavailable, "not found", "not visible"},
		{"user outside the organization", gitea.Options{Username: outsider, Password: password}, registry.ErrNotFound, registry.ErrNotFound, registry.ErrUnavailable, "not found", "not visible"},
		{"token without read:repository", gitea.Options{Token: orgOnly}, registry.ErrForbidden, registry.ErrForbidden, registry.ErrForbidden, "denied access", "denied access"},
	}
	for _, tc := range refused {
		t.Run(tc.mode, func(t *testing.T) {
			opts := tc.opts
			opts.URL, opts.Organizations = g.URL, []string{org}
			b, _ := newBackend(t, opts)
			err := b.Probe(ctx(t))
			wantKind(t, "Probe", err, tc.probe)
			if msg := registry.PublicMessage(err); !strings.Contains(msg, tc.probeMsg) {
				t.Errorf("Probe message %q, want it to say %q", msg, tc.probeMsg)
			}
			_, err = b.List(ctx(t))
			wantKind(t, "List", err, tc.list)
			if msg := registry.PublicMessage(err); !strings.Contains(msg, tc.listSubstr) {
				t.Errorf("List message %q, want it to say %q", msg, tc.listSubstr)
			}
			_, err = b.Get(ctx(t), registry.Taskserv, "secret")
			wantKind(t, "Get", err, tc.get)
			_, err = b.Open(ctx(t), registry.Taskserv, "secret", registry.Version{Version: "1.0.0"})
			wantKind(t, "Open", err, tc.get)
		})
	}
}

// TestOrganizations checks contract §1 over several organizations: the
// first organization holding an extension serves it, whatever the order,
// the shadowed repository is logged once however often the list is read,
// and a repository without a version shadows nothing.
func TestOrganizations(t *testing.T) {
	t.Parallel()
	g := sharedGitea(t)
	s := g.Seed(t)
	first, second := testserver.UniqueName("first"), testserver.UniqueName("second")
	payload := map[string][]byte{}
	for _, org := range []string{first, second} {
		s.Org(org, sdk.VisibleTypePublic)
		s.Repo(org, "aws_prov", "aws of "+org)
		payload[org] = archive("aws of " + org)
		s.Release(org, "aws_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{{Name: "aws_prov.tar.gz", Data: payload[org]}}})
	}
	// vpc_prov in the first organization has no release: the second's is
	// served, and nothing is shadowed.
	s.Repo(first, "vpc_prov", "no release in "+first)
	s.Repo(second, "vpc_prov", "vpc of "+second)
	s.Release(second, "vpc_prov", testserver.Release{Tag: "v0.1.0", Assets: []testserver.Asset{{Name: "vpc_prov.tar.gz", Data: archive("vpc")}}})
	s.Repo(second, "k3s_taskserv", "only in "+second)
	s.Release(second, "k3s_taskserv", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{{Name: "k3s.tgz", Data: archive("k3s")}}})

	for _, order := range [][]string{{first, second}, {second, first}} {
		winner, loser := order[0], order[1]
		t.Run("winner "+strings.SplitN(winner, "-", 2)[0], func(t *testing.T) {
			b, logs := newBackend(t, gitea.Options{URL: g.URL, Organizations: order})
			if err := b.Probe(ctx(t)); err != nil {
				t.Errorf("anonymous Probe of public organizations: %v", err)
			}
			for range 2 {
				exts, err := b.List(ctx(t))
				if err != nil {
					t.Fatalf("List: %v", err)
				}
				got := map[string]string{}
				for _, e := range exts {
					got[e.Key()] = e.Description
				}
				want := map[string]string{"provider/aws": "aws of " + winner, "provider/vpc": "vpc of " + second, "taskserv/k3s": "only in " + second}
				if len(got) != len(want) {
					t.Errorf("List = %v, want %v", got, want)
				}
				for k, v := range want {
					if got[k] != v {
						t.Errorf("List %s = %q, want %q", k, got[k], v)
					}
				}
			}
			if n := logs.count("shadowed", loser+"/aws_prov", winner+"/aws_prov"); n != 1 {
				t.Errorf("%s/aws_prov logged as shadowed %d times over two listings, want once:\n%s", loser, n, logs)
			}
			if n := logs.count("shadowed"); n != 1 {
				t.Errorf("%d shadowing lines, want 1:\n%s", n, logs)
			}
			e, err := b.Get(ctx(t), registry.Provider, "aws")
			if err != nil || e.Author != winner || e.Repository != g.URL+"/"+winner+"/aws_prov" {
				t.Errorf("Get aws = %+v, %v; want the one of %s", e, err, winner)
			}
			if e, err := b.Get(ctx(t), registry.Provider, "vpc"); err != nil || e.Author != second {
				t.Errorf("Get vpc = %+v, %v; want the one of %s", e, err, second)
			}
			a, err := b.Open(ctx(t), registry.Provider, "aws", registry.Version{Version: "1.0.0"})
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			data, err := io.ReadAll(a.Body)
			a.Body.Close()
			if err != nil || string(data) != string(payload[winner]) {
				t.Errorf("Open aws: %q, %v; want the archive of %s", data, err, winner)
			}
		})
	}

	t.Run("an organization named twice is read once", func(t *testing.T) {
		b, logs := newBackend(t, gitea.Options{URL: g.URL, Organizations: []string{first, " " + strings.ToUpper(first) + " ", ""}})
		if got := b.Organizations(); len(got) != 1 || got[0] != first {
			t.Errorf("Organizations() = %q, want [%s]", got, first)
		}
		if _, err := b.List(ctx(t)); err != nil {
			t.Fatal(err)
		}
		if n := logs.count("shadowed"); n != 0 {
			t.Errorf("a repository shadowed itself:\n%s", logs)
		}
	})

	t.Run("a missing organization", func(t *testing.T) {
		missing := testserver.UniqueName("missing")
		b, _ := newBackend(t, gitea.Options{URL: g.URL, Organizations: []string{first, missing}})
		err := b.Probe(ctx(t))
		wantKind(t, "Probe", err, registry.ErrNotFound)
		if !strings.Contains(registry.PublicMessage(err), missing) {
			t.Errorf("Probe message %q does not name %s", registry.PublicMessage(err), missing)
		}
		_, err = b.List(ctx(t))
		wantKind(t, "List", err, registry.ErrNotFound)
		// Get still finds what the first organization holds.
		if _, err := b.Get(ctx(t), registry.Provider, "aws"); err != nil {
			t.Errorf("Get aws: %v", err)
		}
		// What the first organization does not hold may be in the
		// missing one: Get, Versions and Open fail naming it, never a
		// plain not-found that would let a shadowed copy be served.
		_, getErr := b.Get(ctx(t), registry.Taskserv, "k3s")
		_, versionsErr := b.Versions(ctx(t), registry.Taskserv, "k3s")
		_, openErr := b.Open(ctx(t), registry.Taskserv, "k3s", registry.Version{Version: "1.0.0"})
		for call, err := range map[string]error{"Get": getErr, "Versions": versionsErr, "Open": openErr} {
			wantKind(t, call+" k3s", err, registry.ErrUnavailable)
			if errors.Is(err, registry.ErrNotFound) {
				t.Errorf("%s k3s: %v is also a not-found", call, err)
			}
			if !strings.Contains(registry.PublicMessage(err), missing) {
				t.Errorf("%s k3s: message %q does not name %s", call, registry.PublicMessage(err), missing)
			}
		}
	})
}

// TestUnreachable checks that a Gitea nobody listens for is ErrUnavailable
// in every call, with a message that names the server but no credential.
func TestUnreachable(t *testing.T) {
	t.Parallel()
	url := closedURL(t)
	for mode, opts := range map[string]gitea.Options{
		"anonymous":         {},
		"token":             {Token: "secret-token-value"},
		"username/password": {Username: "someone", Password: "secret-password-value"},
	} {
		t.Run(mode, func(t *testing.T) {
			opts.URL, opts.Organizations = url, []string{"org"}
			b, _ := newBackend(t, opts)
			errs := map[string]error{"Probe": b.Probe(ctx(t))}
			_, errs["List"] = b.List(ctx(t))
			_, errs["Get"] = b.Get(ctx(t), registry.Provider, "aws")
			_, errs["Versions"] = b.Versions(ctx(t), registry.Provider, "aws")
			_, errs["Open"] = b.Open(ctx(t), registry.Provider, "aws", registry.Version{Version: "1.0.0"})
			for call, err := range errs {
				wantKind(t, call, err, registry.ErrUnavailable)
				msg := registry.PublicMessage(err)
				if !strings.Contains(msg, url) || strings.Contains(err.Error(), "secret-") {
					t.Errorf("%s: message %q (error %v) should name %s and no credential", call, msg, err, url)
				}
			}
		})
	}
}

// TestHungServer stops a real Gitea's process (it keeps accepting
// connections and never answers) and checks that every call gives up at
// the context's deadline with ErrTimeout, then works again once the server
// resumes.
func TestHungServer(t *testing.T) {
	t.Parallel()
	g := testserver.StartGitea(t, testserver.GiteaOptions{})
	s := g.Seed(t)
	org := testserver.UniqueName("hung")
	s.Org(org, sdk.VisibleTypePublic)
	s.Repo(org, "aws_prov", "aws")
	s.Release(org, "aws_prov", testserver.Release{Tag: "v1.0.0", Assets: []testserver.Asset{{Name: "aws_prov.tar.gz", Data: archive("aws")}}})
	b, _ := newBackend(t, gitea.Options{URL: g.URL, Organizations: []string{org}, Token: g.AdminToken})
	if _, err := b.List(ctx(t)); err != nil {
		t.Fatalf("List before the server hangs: %v", err)
	}

	g.Pause(t)
	resumed := false
	t.Cleanup(func() {
		if !resumed {
			g.Resume(t)
		}
	})
	const deadline = 500 * time.Millisecond
	calls := map[string]func(context.Context) error{
		"Probe": b.Probe,
		"List":  func(c context.Context) error { _, err := b.List(c); return err },
		"Get":   func(c context.Context) error { _, err := b.Get(c, registry.Provider, "aws"); return err },
		"Versions": func(c context.Context) error {
			_, err := b.Versions(c, registry.Provider, "aws")
			return err
		},
		"Open": func(c context.Context) error {
			_, err := b.Open(c, registry.Provider, "aws", registry.Version{Version: "1.0.0"})
			return err
		},
	}
	for name, call := range calls {
		c, cancel := context.WithTimeout(context.Background(), deadline)
		start := time.Now()
		err := call(c)
		took := time.Since(start)
		cancel()
		wantKind(t, name, err, registry.ErrTimeout)
		if took > 30*time.Second {
			t.Errorf("%s took %v with a %v deadline", name, took, deadline)
		}
	}

	// The caller leaving is not Gitea failing: a canceled call returns the
	// cancellation as it is.
	c, cancel := context.WithCancel(context.Background())
	time.AfterFunc(deadline, cancel)
	if _, err := b.List(c); !errors.Is(err, context.Canceled) || errors.Is(err, registry.ErrTimeout) || errors.Is(err, registry.ErrUnavailable) {
		t.Errorf("canceled List: %v, want context.Canceled only", err)
	}

	g.Resume(t)
	resumed = true
	if _, err := b.List(ctx(t)); err != nil {
		t.Errorf("List after the server resumed: %v", err)
	}
}

// httpGet returns the status of an anonymous GET of url.
func httpGet(t *testing.T, url string) (int, error) {
	t.Helper()
	c := &http.Client{Timeout: time.Minute}
	resp, err := c.Get(url)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// TestNewRefusesBadConfiguration checks that New refuses a URL without an
// http(s) scheme or host and an organization name Gitea cannot have, and
// makes no request (a server that is down is only seen by the calls).
func TestNewRefusesBadConfiguration(t *testing.T) {
	t.Parallel()
	for _, opts := range []gitea.Options{
		{URL: "gitea.example.com"},
		{URL: "ftp://gitea.example.com"},
		{URL: "http://"},
		{URL: "https://gitea.example.com", Organizations: []string{"../admin"}},
		{URL: "https://gitea.example.com", Organizations: []string{"org/repo"}},
	} {
		if _, err := gitea.New(opts); err == nil {
			t.Errorf("New(%+v) accepted", opts)
		}
	}
	b, err := gitea.New(gitea.Options{URL: closedURL(t) + "/sub/path/", Organizations: []string{"a", "b"}})
	if err != nil {
		t.Fatalf("New with a server that is down: %v", err)
	}
	if got := b.Organizations(); len(got) != 2 || b.Source() != registry.SourceGitea {
		t.Errorf("Organizations() = %v, Source() = %s", got, b.Source())
	}
}
