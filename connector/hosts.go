package connector

import (
	"net"
	"net/http"
	"net/url"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// AllowedHostsKey is the configuration key of the allow-list; refusals
// name it so that an operator knows what to change.
const AllowedHostsKey = "connectors.allowed_hosts"

// hostRule is one entry of the allow-list.
type hostRule struct {
	any      bool   // "*": every host
	suffix   string // "*.example.com" → ".example.com"
	host     string // exact host name (no brackets for IPv6)
	port     string // "" matches every port
	original string
}

// hostPolicy decides which tool hosts the API may call. An empty policy
// allows none: without it, anyone able to create a Connector could make the
// registry request any address inside the cluster network.
type hostPolicy struct {
	rules []hostRule
}

// newHostPolicy parses entries of the form "*", "host", "host:port",
// "*.domain" or "*.domain:port", case-insensitively. Empty entries are
// ignored.
func newHostPolicy(entries []string) hostPolicy {
	var p hostPolicy
	for _, e := range entries {
		e = strings.ToLower(strings.TrimSpace(e))
		if e == "" {
			continue
		}
		r := hostRule{original: e}
		if e == "*" {
			r.any = true
			p.rules = append(p.rules, r)
			continue
		}
		host, port := e, ""
		if h, pt, err := net.SplitHostPort(e); err == nil {
			host, port = h, pt
		}
		host = strings.TrimSuffix(strings.Trim(host, "[]"), ".")
		if rest, ok := strings.CutPrefix(host, "*."); ok {
			r.suffix = "." + rest
		} else {
			r.host = host
		}
		r.port = port
		p.rules = append(p.rules, r)
	}
	return p
}

// allows reports whether u's host may be called. Rules with a port match
// the URL's explicit port, or the scheme's default port when it has none.
func (p hostPolicy) allows(u *url.URL) bool {
	host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".")
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	for _, r := range p.rules {
		if r.any {
			return true
		}
		if r.port != "" && r.port != port {
			continue
		}
		if r.suffix != "" && strings.HasSuffix(host, r.suffix) && len(host) > len(r.suffix) {
			return true
		}
		if r.host != "" && r.host == host {
			return true
		}
	}
	return false
}

// guardedTransport applies the allow-list and the per-request call budget
// (see callBudget) to every request the API makes for a Connector, not
// only to its base URL: a redirect, or an OCI token
// service named by the registry, to a host outside the list is refused, so
// that an allowed tool cannot lead the registry elsewhere.
type guardedTransport struct {
	next   http.RoundTripper
	policy hostPolicy
}

// RoundTrip refuses a request to a host outside the allow-list with an
// ErrForbidden naming the host and the key, and sends the others on.
func (g guardedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if !g.policy.allows(req.URL) {
		if req.Body != nil {
			req.Body.Close()
		}
		refused := &hostRefusedError{host: req.URL.Host}
		return nil, &registry.Error{Kind: registry.ErrForbidden, Message: refused.Error(), Err: refused}
	}
	if err := take(req.Context()); err != nil {
		if req.Body != nil {
			req.Body.Close()
		}
		return nil, err
	}
	return g.next.RoundTrip(req)
}
