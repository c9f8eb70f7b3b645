package main

import (
	"fmt"
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"

	"github.com/provisioning-platform/extension-registry/app"
)

// commit is the commit the binary was built from when the build stamped
// none (a git worktree, -buildvcs=false): set it with
// -ldflags "-X main.commit=$(git rev-parse HEAD)".
var commit = "unknown"

// buildVersion is what `version` reports.
type buildVersion struct {
	Version  string `json:"version"`
	Commit   string `json:"commit"`
	Modified bool   `json:"modified,omitempty"`
	Go       string `json:"go"`
}

// readBuildVersion reads the commit the binary was built from
// (vcs.revision, stamped by go build in a git checkout), else the commit
// given at link time, else "unknown".
func readBuildVersion() buildVersion {
	v := buildVersion{Version: app.Version, Commit: commit, Go: runtime.Version()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				v.Commit = s.Value
			case "vcs.modified":
				v.Modified = s.Value == "true"
			}
		}
	}
	return v
}

func newVersionCmd() *cobra.Command {
	var output string
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print the binary's version, commit and Go version",
		Args:  noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkOutput(output); err != nil {
				return err
			}
			v := readBuildVersion()
			if output == "json" {
				return encodeJSON(cmd.OutOrStdout(), v)
			}
			commit := v.Commit
			if v.Modified {
				commit += " (modified)"
			}
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "extension-registry %s\ncommit: %s\ngo: %s\n", v.Version, commit, v.Go)
			return err
		},
	}
	addOutputFlag(cmd, &output)
	return cmd
}
