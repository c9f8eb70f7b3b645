package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/app"
	"github.com/provisioning-platform/extension-registry/client"
	"github.com/provisioning-platform/extension-registry/config"
)

// Exit codes of the command line.
const (
	exitFailure = 1 // the command failed: server error, unreachable, checksum mismatch
	exitUsage   = 2 // the command line was wrong; nothing was sent
)

// usageError is a mistake on the command line, found before any request:
// the command exits with exitUsage.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// usagef returns a usageError.
func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// exitCode is the process exit code of a command's error.
func exitCode(err error) int {
	var ue usageError
	if errors.As(err, &ue) || strings.HasPrefix(err.Error(), "unknown command ") {
		return exitUsage
	}
	return exitFailure
}

// clientFlags are the flags every client command takes.
type clientFlags struct {
	server string
	output string
}

// addClientFlags registers --server and -o on cmd.
func addClientFlags(cmd *cobra.Command) *clientFlags {
	cf := &clientFlags{}
	def := os.Getenv(config.ClientURLEnv)
	if def == "" {
		def = client.DefaultURL
	}
	cmd.Flags().StringVar(&cf.server, "server", def, "registry URL (env "+config.ClientURLEnv+")")
	addOutputFlag(cmd, &cf.output)
	return cf
}

// addOutputFlag registers -o table|json on cmd.
func addOutputFlag(cmd *cobra.Command, dst *string) {
	cmd.Flags().StringVarP(dst, "output", "o", "table", "output format: table or json")
	_ = cmd.RegisterFlagCompletionFunc("output", cobra.FixedCompletions([]string{"table", "json"}, cobra.ShellCompDirectiveNoFileComp))
}

// checkOutput refuses an -o other than table or json.
func checkOutput(o string) error {
	if o != "table" && o != "json" {
		return usagef("-o: want table or json, got %q", o)
	}
	return nil
}

// newClient checks the flags and returns the client of --server.
func (cf *clientFlags) newClient() (*client.Client, error) {
	if err := checkOutput(cf.output); err != nil {
		return nil, err
	}
	c, err := client.New(cf.server,
		client.WithUserAgent("extension-registry/"+app.Version),
		client.WithHTTPClient(&http.Client{Transport: clientTransport()}))
	if err != nil {
		return nil, usagef("--server: %v", err)
	}
	return c, nil
}

// clientTransport bounds connecting and waiting for an answer's headers;
// a download's body may then take as long as it takes.
func clientTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	t.ResponseHeaderTimeout = 2 * time.Minute
	return t
}

// ref is a TYPE/NAME[@VERSION] argument.
type ref struct {
	typ     registry.Type
	name    string
	version string
}

func (r ref) String() string { return string(r.typ) + "/" + r.name }

// parseRef reads a TYPE/NAME argument (TYPE/NAME@VERSION when
// withVersion). Any mistake is a usageError naming the argument.
func parseRef(arg string, withVersion bool) (ref, error) {
	form := "TYPE/NAME"
	if withVersion {
		form = "TYPE/NAME[@VERSION]"
	}
	bad := func(why string) error {
		return usagef("argument %q: %s (want %s, e.g. taskserv/kubernetes)", clip(arg), why, form)
	}
	s := arg
	var r ref
	if withVersion {
		if at := strings.LastIndex(s, "@"); at >= 0 {
			s, r.version = s[:at], s[at+1:]
			if _, err := registry.ParseVersion(r.version); err != nil {
				return ref{}, bad(fmt.Sprintf("version %q is not a semantic version such as 1.2.0", clip(r.version)))
			}
		}
	}
	typ, name, ok := strings.Cut(s, "/")
	if !ok {
		return ref{}, bad("no TYPE/ before the name")
	}
	t, err := registry.ParseType(typ)
	if err != nil {
		return ref{}, bad(fmt.Sprintf("unknown type %q: must be one of provider, taskserv, cluster", clip(typ)))
	}
	if name == "" || strings.ContainsAny(name, "/@?#%\\") || strings.TrimSpace(name) != name {
		return ref{}, bad("the name must be one path segment")
	}
	r.typ, r.name = t, name
	return r, nil
}

// parseTypeFlag checks an optional --type value.
func parseTypeFlag(s string) (string, error) {
	if s == "" {
		return "", nil
	}
	if _, err := registry.ParseType(s); err != nil {
		return "", usagef("--type: unknown type %q: must be one of provider, taskserv, cluster", clip(s))
	}
	return s, nil
}

// oneRef is the Args of a command taking exactly one TYPE/NAME.
func oneRef(cmd *cobra.Command, args []string) error {
	if len(args) != 1 {
		return usagef("%s takes one argument %s, got %d", cmd.Name(), strings.Fields(cmd.Use)[1], len(args))
	}
	return nil
}

// writeJSONOut prints raw, the API's own JSON, followed by a newline.
func writeJSONOut(w io.Writer, raw []byte) error {
	_, err := fmt.Fprintf(w, "%s\n", strings.TrimRight(string(raw), "\n"))
	return err
}

// encodeJSON prints v as one JSON line.
func encodeJSON(w io.Writer, v any) error {
	return json.NewEncoder(w).Encode(v)
}

// clip shortens s for an error message.
func clip(s string) string {
	if r := []rune(s); len(r) > 64 {
		return string(r[:64]) + "…"
	}
	return s
}

// addClientCommands adds the client commands to root, and makes every
// flag mistake a usage error (exit code 2).
func addClientCommands(root *cobra.Command) {
	root.AddCommand(newListCmd(), newSearchCmd(), newInfoCmd(), newVersionsCmd(), newPullCmd(), newVersionCmd())
	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return usageError{fmt.Errorf("%s: %w", cmd.Name(), err)}
	})
}
