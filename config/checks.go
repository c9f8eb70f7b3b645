package config

import (
	"fmt"
	"net"
	"strconv"
	"strings"
)

// checkListen accepts host:port or :port where port is a number from 0 to
// 65535 (or a service name) and host is empty, an IP literal or a host
// name. Something that looks like an IPv4 literal but is not one
// (999.1.1.1) is refused rather than sent to a DNS lookup at startup.
func checkListen(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return fmt.Errorf("must be host:port or :port, got %q", s)
	}
	if n, err := strconv.Atoi(port); err == nil {
		if n < 0 || n > 65535 {
			return fmt.Errorf("port must be 0 to 65535, got %q", s)
		}
	} else if _, err := net.LookupPort("tcp", port); err != nil || port == "" {
		return fmt.Errorf("port must be a number from 0 to 65535, got %q", s)
	}
	if host == "" || net.ParseIP(host) != nil {
		return nil
	}
	if !validHostName(host) {
		return fmt.Errorf("host must be an IP address or a host name, got %q", s)
	}
	return nil
}

// validHostName reports whether s is a DNS host name whose last label is
// not all digits (so a mistyped IPv4 literal is not a name).
func validHostName(s string) bool {
	s = strings.TrimSuffix(s, ".")
	if s == "" || len(s) > 253 {
		return false
	}
	labels := strings.Split(s, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
				return false
			}
		}
	}
	last := labels[len(labels)-1]
	return strings.Trim(last, "0123456789") != ""
}

// checkAllowedHost accepts "*", a host name, host:port, or "*." followed by
// a domain.
func checkAllowedHost(h string) error {
	if strings.Contains(h, "/") || strings.Contains(h, "://") {
		return fmt.Errorf("entries are host names or host:port, got %q", h)
	}
	if h == "*" {
		return nil
	}
	rest := h
	if strings.HasPrefix(h, "*.") {
		rest = h[2:]
		if rest == "" {
			return fmt.Errorf("a wildcard entry needs a domain after \"*.\" (e.g. *.example.com), got %q", h)
		}
	}
	if strings.Contains(rest, "*") {
		return fmt.Errorf("a wildcard is only allowed as a leading \"*.\", got %q", h)
	}
	host := rest
	if hh, _, err := net.SplitHostPort(rest); err == nil {
		host = hh
	}
	if net.ParseIP(strings.Trim(host, "[]")) == nil && !validHostName(host) {
		return fmt.Errorf("entries are host names or host:port, got %q", h)
	}
	return nil
}
