package config

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
)

// ClientURLEnv is the variable the client commands read the registry URL
// from. The service's configuration ignores it rather than refusing it as
// an unknown EXTENSION_REGISTRY_ variable, so that one shell can run both.
const ClientURLEnv = EnvPrefix + "URL"

// TLS configures HTTPS serving: both files, or neither (plain HTTP).
type TLS struct {
	// CertFile is a PEM certificate chain, KeyFile its private key.
	CertFile string
	KeyFile  string
}

// Enabled reports whether the service serves HTTPS.
func (t TLS) Enabled() bool { return t.CertFile != "" }

// LoadCertificate reads the key pair of t.
func (t TLS) LoadCertificate() (tls.Certificate, error) {
	cert, err := tls.LoadX509KeyPair(t.CertFile, t.KeyFile)
	if err != nil {
		return tls.Certificate{}, &KeyError{Key: "tls.cert_file", Reason: fmt.Sprintf("cannot load the certificate and key: %v", err)}
	}
	return cert, nil
}

// CertPool returns the system's CA certificates plus those of the PEM
// file (a *_ca_file key); key names the key in the error.
func CertPool(file, key string) (*x509.CertPool, error) {
	pool, err := x509.SystemCertPool()
	if err != nil || pool == nil {
		pool = x509.NewCertPool()
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, &KeyError{Key: key, Reason: fmt.Sprintf("cannot read file: %v", err)}
	}
	if !pool.AppendCertsFromPEM(b) {
		return nil, &KeyError{Key: key, Reason: "holds no PEM certificate"}
	}
	return pool, nil
}

// validateOps checks the keys of operating the service: the log format,
// TLS serving and the backends' extra CA files.
func (c *Config) validateOps(bad func(string, string, ...any) error) error {
	switch c.LogFormat {
	case "text", "json":
	default:
		return bad("log_format", "must be text or json, got %q", c.LogFormat)
	}
	if (c.TLS.CertFile == "") != (c.TLS.KeyFile == "") {
		return bad("tls.cert_file", "tls.cert_file and tls.key_file go together")
	}
	if c.TLS.Enabled() {
		if _, err := c.TLS.LoadCertificate(); err != nil {
			return err
		}
	}
	if c.Gitea.CAFile != "" {
		if !c.Gitea.Enabled() {
			return bad("gitea.ca_file", "is set but gitea.url is not")
		}
		if _, err := CertPool(c.Gitea.CAFile, "gitea.ca_file"); err != nil {
			return err
		}
	}
	if c.OCI.CAFile != "" {
		if _, err := CertPool(c.OCI.CAFile, "oci.ca_file"); err != nil {
			return err
		}
	}
	return nil
}
