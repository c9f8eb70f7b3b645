package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/provisioning-platform/extension-registry/internal/testserver"
)

// binary is the extension-registry command built for the tests.
var binary string

// TestMain builds the command once (with the race detector when the tests
// run with it) and stops the shared registries at the end.
func TestMain(m *testing.M) {
	code, err := testMain(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
	}
	os.Exit(code)
}

func testMain(m *testing.M) (int, error) {
	dir, err := os.MkdirTemp("", "extension-registry-bin-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(dir)
	binary = filepath.Join(dir, "extension-registry")
	// -buildvcs=auto: stamp the commit (`version`) wherever git can tell it.
	args := []string{"build", "-buildvcs=auto", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	// go test puts its toolchain's bin folder first on the PATH.
	build := exec.Command("go", append(args, ".")...)
	if out, err := build.CombinedOutput(); err != nil {
		return 1, fmt.Errorf("go build: %v\n%s", err, out)
	}
	defer testserver.StopSharedRegistries()
	return m.Run(), nil
}

// environ is the test process's environment without any
// EXTENSION_REGISTRY_ variable, plus extra. A binary built with the race
// detector exits without its default one-second pause.
func environ(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "EXTENSION_REGISTRY_") {
			env = append(env, kv)
		}
	}
	if _, set := os.LookupEnv("GORACE"); !set {
		env = append(env, "GORACE=atexit_sleep_ms=0")
	}
	return append(env, extra...)
}

// result is how a finished command went.
type result struct {
	code           int
	stdout, stderr string
}

// run runs the binary in dir with env and waits for it, at most two
// minutes.
func run(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Dir, cmd.Env = dir, env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		t.Fatalf("extension-registry %s did not finish:\n%s", strings.Join(args, " "), stderr.String())
	}
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if err != nil {
		exitErr, ok := err.(*exec.ExitError)
		if !ok {
			t.Fatalf("extension-registry %s: %v", strings.Join(args, " "), err)
		}
		r.code = exitErr.ExitCode()
	}
	return r
}

// mustRun runs the binary and requires success.
func mustRun(t *testing.T, dir string, env []string, args ...string) result {
	t.Helper()
	r := run(t, dir, env, args...)
	if r.code != 0 {
		t.Fatalf("extension-registry %s: exit %d\n%s%s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r
}

// syncBuffer is a buffer safe for concurrent use.
type syncBuffer = testserver.LogBuffer

// service is a running `extension-registry serve`.
type service struct {
	cmd    *exec.Cmd
	url    string // http://127.0.0.1:port
	stderr *syncBuffer
	done   chan struct{}
	code   int
}

// listeningRE finds the address in the text or the JSON log line.
var listeningRE = regexp.MustCompile(`msg="extension registry listening" addr=(\S+)|"msg":"extension registry listening","addr":"([^"]+)"`)

// startService starts the binary with args (a serve command listening on
// 127.0.0.1:0) and waits until it logs its address. It is killed when the
// test ends if still running.
func startService(t *testing.T, dir string, env []string, args ...string) *service {
	t.Helper()
	cmd := exec.Command(binary, args...)
	cmd.Dir, cmd.Env = dir, env
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &service{cmd: cmd, stderr: &syncBuffer{}, done: make(chan struct{})}
	addr := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(s.stderr, line)
			if m := listeningRE.FindStringSubmatch(line); m != nil {
				select {
				case addr <- m[1] + m[2]:
				default:
				}
			}
		}
		_ = cmd.Wait()
		s.code = cmd.ProcessState.ExitCode()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			_ = cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("extension-registry %s log:\n%s", strings.Join(args, " "), s.stderr)
		}
	})
	select {
	case a := <-addr:
		s.url = "http://" + a
	case <-s.done:
		t.Fatalf("extension-registry %s exited with %d before listening:\n%s", strings.Join(args, " "), s.code, s.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("extension-registry %s did not start listening:\n%s", strings.Join(args, " "), s.stderr)
	}
	return s
}

// stop sends SIGTERM and returns the exit code.
func (s *service) stop(t *testing.T) int {
	t.Helper()
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	return s.wait(t)
}

// wait waits for the process to exit, at most a minute.
func (s *service) wait(t *testing.T) int {
	t.Helper()
	select {
	case <-s.done:
		return s.code
	case <-time.After(time.Minute):
		t.Fatalf("the service did not exit:\n%s", s.stderr)
		return -1
	}
}

// get fetches path from the service and returns status and body.
func (s *service) get(t *testing.T, path string) (int, []byte, http.Header) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body, resp.Header
}

func writeFile(t *testing.T, path, content string, mode os.FileMode) string {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil { // whatever the umask
		t.Fatal(err)
	}
	return path
}
