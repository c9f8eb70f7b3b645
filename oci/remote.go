package oci

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"

	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/internal/upstream"
)

// RemoteOptions configures a Backend over a remote OCI registry.
type RemoteOptions struct {
	// Registry is the registry's host[:port], without a scheme. Required.
	Registry string
	// Namespace is the repository prefix; empty means DefaultNamespace.
	Namespace string
	// Username and Password are basic credentials, optional.
	Username, Password string
	// Token is a registry (bearer) token, optional. It is sent as the access
	// token when the registry asks for a bearer token; when the registry asks
	// for basic authentication instead, it is the password of Username
	// (unless Password is set).
	Token string
	// RefreshToken is an OAuth2 refresh token (a Docker config's
	// identitytoken), exchanged at the registry's token service for access
	// tokens. Optional.
	RefreshToken string
	// Insecure talks plain HTTP instead of HTTPS.
	Insecure bool
	// Repositories, when set, is the explicit list of repositories to read,
	// for registries without /v2/_catalog (which is then never called). An
	// entry is a name under the namespace ("aws") or a full path starting
	// with the namespace ("provisioning-extensions/aws").
	Repositories []string
	// Transport is the HTTP transport, shared between backends; nil means
	// http.DefaultTransport. Each Backend builds its own auth.Client on it,
	// whose token cache is per credential.
	Transport http.RoundTripper
	// Logger receives the warnings of discovery; nil discards them.
	Logger *slog.Logger
	// PageSize is the page size asked of the catalog and tag list APIs; zero
	// leaves it to the registry.
	PageSize int
	// Concurrency bounds the requests the backend has in flight to the
	// registry (a download counts until its response headers arrive), and
	// the repositories List reads at once. Zero means DefaultConcurrency.
	Concurrency int
	// Revalidate is how long List trusts an unchanged tag list to mean
	// unchanged tags before it checks, with one HEAD per repository, that
	// the current version's tag still names the same manifest: the longest
	// a version published again (its tag moved) goes unseen by List. Zero
	// means DefaultRevalidate. See docs/oci.md.
	Revalidate time.Duration
}

// NewRemote returns a Backend over a remote OCI registry. It does not
// contact the registry; use Probe for that. It returns an ErrInvalid error
// for a malformed registry, namespace or repository entry.
func NewRemote(opts RemoteOptions) (*Backend, error) {
	host := strings.TrimSpace(opts.Registry)
	if host == "" || strings.ContainsAny(host, "/@ ") {
		return nil, invalid("Invalid OCI registry %q: must be host[:port] without a scheme or path", redactHost(host))
	}
	reg, err := remote.NewRegistry(host)
	if err != nil {
		return nil, &registry.Error{Kind: registry.ErrInvalid, Message: "Invalid OCI registry " + redactHost(host) + ": must be host[:port]", Err: err}
	}
	reg.PlainHTTP = opts.Insecure
	reg.RepositoryListPageSize = opts.PageSize
	reg.TagListPageSize = opts.PageSize
	base := opts.Transport
	if base == nil {
		base = http.DefaultTransport
	}
	client := &auth.Client{
		Client: &http.Client{Transport: upstream.NewRetry(base, "The OCI registry "+reg.Reference.Registry)},
		Cache:  auth.NewCache(),
	}
	client.SetUserAgent("extension-registry")
	if cred := credential(opts); cred != auth.EmptyCredential {
		client.Credential = auth.StaticCredential(reg.Reference.Registry, cred)
	}
	reg.Client = client

	s := &remoteStore{reg: reg, host: reg.Reference.Registry}
	b, err := newBackend(s, opts.Namespace, opts.Logger, tuning{concurrency: opts.Concurrency, revalidate: opts.Revalidate})
	if err != nil {
		return nil, err
	}
	if opts.Repositories != nil {
		s.explicit = []string{}
		for _, entry := range opts.Repositories {
			entry = strings.Trim(strings.TrimSpace(entry), "/")
			if entry == "" {
				continue
			}
			if !strings.HasPrefix(entry, b.namespace+"/") {
				entry = b.namespace + "/" + entry
			}
			rel := strings.TrimPrefix(entry, b.namespace+"/")
			if !registry.ValidOCIComponent(rel) {
				return nil, invalid("Invalid OCI repository %q: must be a name under the namespace %q", entry, b.namespace)
			}
			if !slices.Contains(s.explicit, entry) {
				s.explicit = append(s.explicit, entry)
			}
		}
	}
	return b, nil
}

// credential returns the credential of opts (see RemoteOptions.Token).
func credential(opts RemoteOptions) auth.Credential {
	cred := auth.Credential{Username: opts.Username, Password: opts.Password, AccessToken: opts.Token, RefreshToken: opts.RefreshToken}
	if opts.Token != "" && cred.Password == "" && cred.Username != "" {
		cred.Password = opts.Token
	}
	return cred
}

// redactHost drops anything before an "@" so that a mistyped
// "user:password@host" never reaches an error message.
func redactHost(host string) string {
	if i := strings.LastIndex(host, "@"); i >= 0 {
		return "…@" + host[i+1:]
	}
	return host
}

// remoteStore reads a remote registry.
type remoteStore struct {
	reg      *remote.Registry
	host     string
	explicit []string // nil: use the catalog
}

func (s *remoteStore) repositories(ctx context.Context, prefix string) ([]string, error) {
	if s.explicit != nil {
		return slices.Clone(s.explicit), nil
	}
	var paths []string
	err := s.reg.Repositories(ctx, "", func(repos []string) error {
		for _, r := range repos {
			if strings.HasPrefix(r, prefix) {
				paths = append(paths, r)
			}
		}
		return nil
	})
	switch kind := kindOf(err); {
	case err == nil:
		return paths, nil
	case kind == registry.ErrNotFound:
		// No catalog is a registry that cannot be listed, not a missing
		// extension.
		return nil, &registry.Error{
			Kind:    registry.ErrUnavailable,
			Message: "The OCI registry " + s.host + " does not offer /v2/_catalog: configure an explicit repository list",
			Err:     err,
		}
	case kind == registry.ErrUnauthorized, kind == registry.ErrForbidden:
		return nil, wrap(err, "Listing the repositories of the OCI registry %s (if its catalog is disabled, configure an explicit repository list)", s.host)
	default:
		return nil, wrap(err, "Listing the repositories of the OCI registry %s", s.host)
	}
}

func (s *remoteStore) open(ctx context.Context, path string) (repo, error) {
	r, err := s.reg.Repository(ctx, path)
	if err != nil {
		return nil, invalid("Invalid OCI repository %q", path)
	}
	return r, nil
}

func (s *remoteStore) target(ctx context.Context, path string) (oras.Target, error) {
	r, err := s.reg.Repository(ctx, path)
	if err != nil {
		return nil, invalid("Invalid OCI repository %q", path)
	}
	return r, nil
}

// lock is a no-op: the registry serialises its own writes, tag by tag.
func (s *remoteStore) lock(context.Context, string) (func(), error) { return func() {}, nil }

func (s *remoteStore) probe(ctx context.Context) error {
	err := s.reg.Ping(ctx)
	if errors.Is(err, errdef.ErrNotFound) {
		return &registry.Error{Kind: registry.ErrUnavailable, Message: "OCI registry " + s.host + " does not serve the /v2/ API", Err: err}
	}
	return wrap(err, "Checking the OCI registry %s", s.host)
}

func (s *remoteStore) allowed(path string) bool {
	return s.explicit == nil || slices.Contains(s.explicit, path)
}
