package edge

import (
	"bytes"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"golang.org/x/net/netutil"
)

// Listener wraps ln: at most maxConns connections are open at once (0: no
// cap; further ones wait in the kernel's accept queue), and the plain-text
// answers net/http writes itself before any handler runs — 400 for a
// malformed request line or an invalid escape in the path, 431 for headers
// too large, 501 for an unknown Transfer-Encoding — are rewritten into the
// error body of the face the request line names. Over TLS the listener sees
// only ciphertext, and those answers stay net/http's own.
func (e *Edge) Listener(ln net.Listener, maxConns int) net.Listener {
	if maxConns > 0 {
		ln = netutil.LimitListener(ln, maxConns)
	}
	return &listener{Listener: ln, edge: e}
}

type listener struct {
	net.Listener
	edge *Edge
}

func (l *listener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &conn{Conn: c, edge: l.edge}, nil
}

// headBytes is how much of each request's start a conn remembers.
const headBytes = 512

// cannedHeaders follow the status line of every answer net/http writes on
// its own.
const cannedHeaders = "\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"

// conn remembers the first bytes read since its last write (the request
// line of the request being read) to pick the face of a canned answer.
type conn struct {
	net.Conn
	edge *Edge
	mu   sync.Mutex
	head []byte
}

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	if room := headBytes - len(c.head); room > 0 && n > 0 {
		c.head = append(c.head, p[:min(n, room)]...)
	}
	c.mu.Unlock()
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.mu.Lock()
	head := c.head
	c.head = nil
	c.mu.Unlock()
	if out, ok := c.edge.rewrite(p, head); ok {
		if _, err := c.Conn.Write(out); err != nil {
			return 0, err
		}
		return len(p), nil
	}
	return c.Conn.Write(p)
}

// rewrite turns a canned net/http answer into the face's error answer. A
// write is taken for one only when it is the first since a request was
// read, short, and exactly of the canned form — status line, the fixed
// headers, and a body that repeats the status (or, for 501, net/http's
// fixed text) — so that no byte of a real answer (a download's last chunk
// included) is ever mistaken for one.
func (e *Edge) rewrite(p, head []byte) ([]byte, bool) {
	if len(head) == 0 || len(p) > 1024 || !bytes.HasPrefix(p, []byte("HTTP/1.1 ")) || len(p) < 12 {
		return nil, false
	}
	line, rest, ok := bytes.Cut(p, []byte("\r\n"))
	if !ok || !bytes.HasPrefix(rest, []byte(cannedHeaders[2:])) {
		return nil, false
	}
	code, err := strconv.Atoi(string(line[9:12]))
	if err != nil || code < 400 {
		return nil, false
	}
	body := string(rest[len(cannedHeaders)-2:])
	if body != string(line[9:]) && !(code == http.StatusNotImplemented && body == "Unsupported transfer encoding") {
		return nil, false
	}
	method, target := requestLine(head)
	msg := cannedMessage(code, string(line[9:]), target)
	u := &url.URL{Path: targetPath(target)}
	rec := newMemWriter()
	e.failFor(u.Path)(rec, &http.Request{Method: method, URL: u, Header: http.Header{}}, code, msg)
	return rec.bytes(code), true
}

// requestLine returns the method and target of the first line of head.
func requestLine(head []byte) (string, string) {
	line, _, _ := bytes.Cut(head, []byte("\n"))
	f := strings.Fields(string(line))
	if len(f) < 2 {
		return "", ""
	}
	return f[0], f[1]
}

// targetPath is the (still escaped) path of a request target that did not
// parse: the target itself in origin form, the part after the host in
// absolute form ("http://host/path"), else empty, which no face but the
// default claims.
func targetPath(target string) string {
	if strings.HasPrefix(target, "/") {
		return target
	}
	lower := strings.ToLower(target)
	for _, scheme := range []string{"http://", "https://"} {
		if strings.HasPrefix(lower, scheme) {
			rest := target[len(scheme):]
			if i := strings.IndexByte(rest, '/'); i >= 0 {
				return rest[i:]
			}
		}
	}
	return ""
}

// cannedMessage is the message of an answer net/http gave on its own:
// net/http's own reason, plus what is wrong with the target when it does
// not parse.
func cannedMessage(code int, reason, target string) string {
	switch code {
	case http.StatusRequestHeaderFieldsTooLarge:
		return "Request header fields too large"
	case http.StatusNotImplemented:
		return "Unsupported transfer encoding"
	}
	msg := "Malformed request"
	if _, detail, ok := strings.Cut(reason, ": "); ok {
		msg += ": " + detail
	} else if target != "" {
		if _, err := url.ParseRequestURI(target); err != nil {
			msg += ": the path or query is not validly percent-encoded"
		}
	}
	if len(msg) > 200 {
		msg = msg[:200]
	}
	return msg
}

// memWriter collects an answer in memory, to send it on a raw connection.
type memWriter struct {
	h    http.Header
	body bytes.Buffer
}

func newMemWriter() *memWriter { return &memWriter{h: http.Header{}} }

func (m *memWriter) Header() http.Header         { return m.h }
func (m *memWriter) Write(p []byte) (int, error) { return m.body.Write(p) }
func (m *memWriter) WriteHeader(int)             {}

func (m *memWriter) bytes(code int) []byte {
	var b bytes.Buffer
	b.WriteString("HTTP/1.1 " + strconv.Itoa(code) + " " + http.StatusText(code) + "\r\n")
	m.h.Set("Connection", "close")
	m.h.Set("Content-Length", strconv.Itoa(m.body.Len()))
	_ = m.h.Write(&b)
	b.WriteString("\r\n")
	b.Write(m.body.Bytes())
	return b.Bytes()
}
