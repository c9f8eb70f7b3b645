package testserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// Gitea is a running Gitea server (the real `gitea` binary) on a loopback
// port, with a SQLite database in its own directory and an admin user.
type Gitea struct {
	// URL is the server's base URL, http://127.0.0.1:port, without a
	// trailing slash.
	URL string
	// AdminUser and AdminPassword log in as the site administrator;
	// AdminToken is an access token of that user with every scope.
	AdminUser, AdminPassword, AdminToken string
	// Dir is the work path: app.ini, database, repositories and LogFile.
	Dir string
	// LogFile receives the server's output.
	LogFile string

	cmd  *exec.Cmd
	done chan struct{}
}

// GiteaOptions configures StartGitea.
type GiteaOptions struct {
	// MaxResponseItems is the server's [api] MAX_RESPONSE_ITEMS, the most
	// items one page of a list answer holds (default 50, as in Gitea).
	MaxResponseItems int
}

// StartGitea starts a Gitea for one test (the binary named by
// EXTREG_TEST_GITEA, see Tool) and stops it when the test ends; on failure
// the test's output shows the end of the server's log. Starting takes a few
// seconds: tests that can share one use SharedGitea.
func StartGitea(tb testing.TB, opts GiteaOptions) *Gitea {
	tb.Helper()
	bin := Tool(tb, "EXTREG_TEST_GITEA")
	return startForTest(tb, "gitea", func(dir string) (*Gitea, error) { return startGitea(bin, dir, opts) })
}

var giteas pool[GiteaOptions, *Gitea]

// SharedGitea returns a Gitea shared by every test of the binary that asks
// for the same options, started on first use. Tests sharing it keep apart
// by creating their own organizations. StopSharedGiteas, from TestMain
// after m.Run, stops it.
func SharedGitea(tb testing.TB, opts GiteaOptions) *Gitea {
	tb.Helper()
	bin := Tool(tb, "EXTREG_TEST_GITEA")
	return giteas.get(tb, opts, "gitea", func(dir string) (*Gitea, error) { return startGitea(bin, dir, opts) })
}

// StopSharedGiteas stops the servers SharedGitea started and removes their
// data.
func StopSharedGiteas() { giteas.stopAll() }

// Close stops the server and waits for it to exit.
func (g *Gitea) Close() {
	if g.cmd != nil && g.cmd.Process != nil {
		_ = g.cmd.Process.Signal(syscall.SIGCONT)
		_ = g.cmd.Process.Kill()
		<-g.done
	}
}

// Pause stops the server process (SIGSTOP) without closing its socket:
// connections are accepted by the kernel and never answered, as with a
// server that hangs. Resume undoes it; Close also resumes before it kills.
// Pause only a server of the test's own (StartGitea): a paused SharedGitea
// hangs every test that uses it.
func (g *Gitea) Pause(tb testing.TB) {
	tb.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		tb.Fatal(err)
	}
}

// Resume continues a paused server.
func (g *Gitea) Resume(tb testing.TB) {
	tb.Helper()
	if err := g.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		tb.Fatal(err)
	}
}

// startGitea prepares a work path in dir, creates the database and the
// admin user, starts the web server on a free loopback port and makes the
// admin's token.
func startGitea(bin, dir string, opts GiteaOptions) (*Gitea, error) {
	if opts.MaxResponseItems <= 0 {
		opts.MaxResponseItems = 50
	}
	// The work path needs the module's options/ and templates/, installed
	// beside the binary by scripts/install-tools.sh.
	for _, sub := range []string{"options", "templates"} {
		src := filepath.Join(filepath.Dir(bin), sub)
		if _, err := os.Stat(src); err != nil {
			return nil, fmt.Errorf("gitea %s folder missing beside %s (run scripts/install-tools.sh): %w", sub, bin, err)
		}
		if err := os.Symlink(src, filepath.Join(dir, sub)); err != nil {
			return nil, err
		}
	}
	g := &Gitea{
		Dir:           dir,
		LogFile:       filepath.Join(dir, "gitea.log"),
		AdminUser:     "extreg-admin",
		AdminPassword: "Admin-" + randomHex(8),
	}
	var lastErr error
	for attempt := range 5 {
		host, err := freePort()
		if err != nil {
			return nil, err
		}
		if err := g.writeConfig(host, opts); err != nil {
			return nil, err
		}
		if attempt == 0 {
			if err := g.setup(bin); err != nil {
				return nil, err
			}
		}
		if lastErr = g.run(bin, host); lastErr == nil {
			break
		}
		if !strings.Contains(lastErr.Error(), "address already in use") {
			return nil, lastErr
		}
	}
	if lastErr != nil {
		return nil, lastErr
	}
	token, err := g.createAdminToken()
	if err != nil {
		g.Close()
		return nil, err
	}
	g.AdminToken = token
	return g, nil
}

func (g *Gitea) configFile() string { return filepath.Join(g.Dir, "app.ini") }

// writeConfig writes app.ini for a server on host.
func (g *Gitea) writeConfig(host string, opts GiteaOptions) error {
	_, port, _ := strings.Cut(host, ":")
	ini := fmt.Sprintf(`I_AM_BEING_UNSAFE_RUNNING_AS_ROOT = true
APP_NAME = extension-registry test
RUN_MODE = prod
WORK_PATH = %[1]s

[server]
PROTOCOL = http
HTTP_ADDR = 127.0.0.1
HTTP_PORT = %[2]s
ROOT_URL = http://%[3]s/
DISABLE_SSH = true
START_SSH_SERVER = false
OFFLINE_MODE = true
LFS_START_SERVER = false
APP_DATA_PATH = %[1]s/data

[database]
DB_TYPE = sqlite3
PATH = %[1]s/data/gitea.db
SQLITE_JOURNAL_MODE = WAL

[repository]
ROOT = %[1]s/repositories

[security]
INSTALL_LOCK = true
SECRET_KEY = %[4]s
INTERNAL_TOKEN = %[5]s
PASSWORD_HASH_ALGO = pbkdf2$1000$50

[service]
DISABLE_REGISTRATION = true
REQUIRE_SIGNIN_VIEW = false
DEFAULT_ALLOW_CREATE_ORGANIZATION = true

[api]
MAX_RESPONSE_ITEMS = %[6]d
DEFAULT_PAGING_NUM = %[6]d

[log]
MODE = console
LEVEL = Warn
ROOT_PATH = %[1]s/log

[mailer]
ENABLED = false

[indexer]
ISSUE_INDEXER_TYPE = db
REPO_INDEXER_ENABLED = false

[session]
PROVIDER = memory

[cache]
ADAPTER = memory

[queue]
TYPE = channel

[cron]
ENABLED = false

[cron.update_checker]
ENABLED = false

[migrations]
ALLOW_LOCALNETWORKS = true

[webhook]
; Webhooks may be delivered to the registry under test on loopback.
ALLOWED_HOST_LIST = loopback
DELIVER_TIMEOUT = 5
`, g.Dir, port, host, randomHex(32), "itk-"+randomHex(40), opts.MaxResponseItems)
	return os.WriteFile(g.configFile(), []byte(ini), 0o600)
}

// command returns a gitea command on the work path, logging to LogFile.
func (g *Gitea) command(ctx context.Context, bin string, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, bin, append(args, "-c", g.configFile(), "--work-path", g.Dir)...)
	cmd.Dir = g.Dir
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + g.Dir,
		"USER=root",
		"GITEA_WORK_DIR=" + g.Dir,
	}
	return cmd
}

// setup creates the database and the admin user.
func (g *Gitea) setup(bin string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	steps := [][]string{
		{"migrate"},
		{"admin", "user", "create", "--admin", "--username", g.AdminUser, "--password", g.AdminPassword,
			"--email", g.AdminUser + "@example.com", "--must-change-password=false"},
	}
	for _, args := range steps {
		var out bytes.Buffer
		cmd := g.command(ctx, bin, args...)
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("gitea %s: %v\n%s", args[0], err, strings.ReplaceAll(out.String(), g.AdminPassword, "***"))
		}
	}
	return nil
}

// run starts `gitea web` and waits until the API answers.
func (g *Gitea) run(bin, host string) error {
	logf, err := os.OpenFile(g.LogFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	cmd := g.command(context.Background(), bin, "web")
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("start gitea: %w", err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(done)
	}()
	url := "http://" + host
	client := &http.Client{Timeout: 2 * time.Second}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			return fmt.Errorf("gitea exited at start:\n%s", tail(g.LogFile, 30))
		case <-time.After(100 * time.Millisecond):
		}
		resp, err := client.Get(url + "/api/v1/version")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				g.URL, g.cmd, g.done = url, cmd, done
				return nil
			}
		}
	}
	_ = cmd.Process.Kill()
	<-done
	return fmt.Errorf("gitea did not answer on %s within 60s:\n%s", host, tail(g.LogFile, 30))
}

// createAdminToken makes an access token with every scope for the admin.
func (g *Gitea) createAdminToken() (string, error) {
	body, _ := json.Marshal(map[string]any{"name": "extreg-admin-" + randomHex(4), "scopes": []string{"all"}})
	req, err := http.NewRequest(http.MethodPost, g.URL+"/api/v1/users/"+g.AdminUser+"/tokens", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.SetBasicAuth(g.AdminUser, g.AdminPassword)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", fmt.Errorf("create gitea admin token: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		SHA1    string `json:"sha1"`
		Message string `json:"message"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&out)
	if resp.StatusCode != http.StatusCreated || out.SHA1 == "" {
		return "", fmt.Errorf("create gitea admin token: %s %s", resp.Status, out.Message)
	}
	return out.SHA1, nil
}

// tail returns the last n lines of a log file.
func tail(file string, n int) string {
	data, err := os.ReadFile(file)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
