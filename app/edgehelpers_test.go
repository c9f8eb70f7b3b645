package app

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// rawAnswer is an answer to a request sent byte for byte.
type rawAnswer struct {
	status int
	header http.Header
	body   []byte
}

// sendRaw writes one request (method, request target exactly as given,
// headers) on a fresh connection to addr and reads the answer, failing the
// test when none comes within limit.
func sendRaw(t testing.TB, addr, method, target string, header http.Header, limit time.Duration) rawAnswer {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(limit))
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n", method, target, addr)
	for k, vs := range header {
		for _, v := range vs {
			fmt.Fprintf(&b, "%s: %s\r\n", k, v)
		}
	}
	b.WriteString("\r\n")
	if _, err := io.WriteString(c, b.String()); err != nil {
		t.Fatalf("write: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), &http.Request{Method: method})
	if err != nil {
		t.Fatalf("%s %s: no answer within %s: %v", method, excerptOf(target), limit, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		t.Fatalf("%s %s: reading the body: %v", method, excerptOf(target), err)
	}
	return rawAnswer{status: resp.StatusCode, header: resp.Header, body: body}
}

func excerptOf(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}

// checkV1Body reports what is wrong with a as a v1 error answer.
func checkV1Body(a rawAnswer) string {
	var e struct {
		Error   *string `json:"error"`
		Message *string `json:"message"`
	}
	if !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		return "Content-Type " + a.header.Get("Content-Type")
	}
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error == nil || *e.Error == "" || e.Message == nil || *e.Message == "" {
		return fmt.Sprintf("not the v1 error body: %q", excerptOf(string(a.body)))
	}
	return ""
}

// checkHTMLBody reports what is wrong with a as an error page.
func checkHTMLBody(a rawAnswer) string {
	if !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !strings.Contains(string(a.body), "<html") {
		return fmt.Sprintf("not an HTML page: %s %q", a.header.Get("Content-Type"), excerptOf(string(a.body)))
	}
	return ""
}

// checkStatusBody reports what is wrong with a as a metav1.Status answer.
func checkStatusBody(a rawAnswer) string {
	var st struct {
		Kind       string `json:"kind"`
		APIVersion string `json:"apiVersion"`
		Status     string `json:"status"`
		Code       int    `json:"code"`
		Reason     string `json:"reason"`
		Message    string `json:"message"`
	}
	if err := json.Unmarshal(a.body, &st); err != nil || st.Kind != "Status" || st.APIVersion != "v1" || st.Status != "Failure" {
		return fmt.Sprintf("not a metav1.Status: %q", excerptOf(string(a.body)))
	}
	if st.Code != a.status {
		return fmt.Sprintf("Status code %d, HTTP status %d", st.Code, a.status)
	}
	if st.Message == "" || st.Reason == "" {
		return "Status without message or reason"
	}
	return ""
}

// pushOCI pushes one extension archive to a real registry with oras.
func pushOCI(t *testing.T, host, repo, tag, typ string, data []byte) {
	t.Helper()
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "ext.tar.gz"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	testserver.OrasIn(t, dir, "push", "--plain-http", host+"/"+repo+":"+tag,
		"ext.tar.gz:application/vnd.oci.image.layer.v1.tar+gzip",
		"--annotation", "io.provisioning.extension.type="+typ,
		"--annotation", "org.opencontainers.image.description=pushed by the edge tests")
}

// q escapes s as a query value.
func q(s string) string { return url.QueryEscape(s) }
