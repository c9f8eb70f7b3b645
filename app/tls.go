package app

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"

	"github.com/provisioning-platform/extension-registry/config"
)

// listenTLS wraps ln in TLS with the configured certificate when
// tls.cert_file is set; otherwise it returns ln as it is.
func listenTLS(cfg config.Config, ln net.Listener) (net.Listener, error) {
	if !cfg.TLS.Enabled() {
		return ln, nil
	}
	cert, err := cfg.TLS.LoadCertificate()
	if err != nil {
		return nil, err
	}
	return tls.NewListener(ln, &tls.Config{
		Certificates: []tls.Certificate{cert},
		MinVersion:   tls.VersionTLS12,
		NextProtos:   []string{"http/1.1"},
	}), nil
}

// withCA returns rt trusting the CA certificates of file (the key named
// key) beside the system's: a clone of rt, or of the default transport
// when rt is nil or not an *http.Transport's chain end. An empty file
// returns rt unchanged.
func withCA(rt http.RoundTripper, file, key string) (http.RoundTripper, error) {
	if file == "" {
		return rt, nil
	}
	pool, err := config.CertPool(file, key)
	if err != nil {
		return nil, err
	}
	base, ok := rt.(*http.Transport)
	if !ok {
		if rt != nil {
			return nil, fmt.Errorf("%s: cannot add CA certificates to a %T", key, rt)
		}
		base = newTransport()
	}
	t := base.Clone()
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.RootCAs = pool
	return t, nil
}
