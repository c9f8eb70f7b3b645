package httpapi_test

import (
	"encoding/base64"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/provisioning-platform/extension-registry/config"
)

// The secret scan of every test of the package: startServer remembers the
// credentials of each configuration it runs and the service's log buffer,
// doRequest every error or JSON body it reads; TestMain then fails the run
// if any credential (or its Base64) shows in a log line or an answer.
var watch = struct {
	sync.Mutex
	secrets map[string]bool
	logs    []*logBuffer
	bodies  strings.Builder
}{secrets: map[string]bool{}}

// watchConfig remembers the secret values of cfg and the service's logs.
func watchConfig(cfg config.Config, logs *logBuffer) {
	watch.Lock()
	defer watch.Unlock()
	for _, v := range []string{cfg.OCI.Password.Reveal(), cfg.OCI.Token.Reveal(), cfg.Gitea.Password.Reveal(), cfg.Gitea.Token.Reveal()} {
		if len(v) >= 4 {
			watch.secrets[v] = true
		}
	}
	watch.logs = append(watch.logs, logs)
}

// watchBody remembers an answer's body for the scan.
func watchBody(method, path string, status int, body []byte) {
	watch.Lock()
	defer watch.Unlock()
	fmt.Fprintf(&watch.bodies, "%s %s %d %s\n", method, path, status, body)
}

// findLeaks returns a line per secret found in the logs or the bodies,
// naming where, never the value itself.
func findLeaks() []string {
	watch.Lock()
	defer watch.Unlock()
	var logs strings.Builder
	for _, l := range watch.logs {
		logs.WriteString(l.String())
	}
	places := map[string]string{"logs": logs.String(), "answer bodies": watch.bodies.String()}
	var leaks []string
	n := 0
	for s := range watch.secrets {
		n++
		for form, v := range map[string]string{"plain": s, "base64": base64.StdEncoding.EncodeToString([]byte(s))} {
			for where, text := range places {
				if strings.Contains(text, v) {
					leaks = append(leaks, fmt.Sprintf("secret #%d (%d chars, %s form) in %s", n, len(s), form, where))
				}
			}
		}
	}
	sort.Strings(leaks)
	return leaks
}
