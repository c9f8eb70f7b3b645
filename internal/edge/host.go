package edge

import (
	"net"
	"net/http"
	"strconv"
	"strings"

	registry "github.com/provisioning-platform/extension-registry"
)

// MaxHost is the longest Host header a request may carry: a DNS name (253)
// plus ":" and a port.
const MaxHost = 260

// checkHost refuses a Host header that is not a valid host[:port] — the
// API builds download_url from it, so "[::1" or 3,000 bytes of it must not
// reach an answer. An absent Host (HTTP/1.0) passes.
func checkHost(host string) (int, string) {
	if host == "" {
		return 0, ""
	}
	if len(host) > MaxHost {
		return http.StatusBadRequest, "Invalid Host header: longer than " + strconv.Itoa(MaxHost) + " bytes"
	}
	if !validHost(host) {
		return http.StatusBadRequest, "Invalid Host header: want host[:port], got " + registry.Quote(host)
	}
	return 0, ""
}

// validHost reports whether s is a host name, an IPv4 address or a
// bracketed IPv6 address, optionally followed by ":port".
func validHost(s string) bool {
	h := s
	if i := strings.LastIndexByte(s, ':'); i >= 0 && !strings.HasSuffix(s, "]") {
		hh, port, err := net.SplitHostPort(s)
		if err != nil {
			return false
		}
		if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 || port[0] == '+' {
			return false
		}
		if strings.Contains(s, "[") {
			return net.ParseIP(hh) != nil && strings.Contains(hh, ":")
		}
		h = hh
	} else if strings.HasPrefix(s, "[") {
		ip := strings.TrimSuffix(strings.TrimPrefix(s, "["), "]")
		return strings.HasSuffix(s, "]") && net.ParseIP(ip) != nil && strings.Contains(ip, ":")
	}
	if h == "" || strings.ContainsAny(h, "[]") {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 {
			return false
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return false
			}
		}
	}
	return true
}
