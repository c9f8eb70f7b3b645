package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
	"golang.org/x/term"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/client"
)

// pullResult is pull's -o json: where the file is and what it holds.
type pullResult struct {
	Path     string `json:"path"`
	Checksum string `json:"checksum"`
	Size     int64  `json:"size"`
}

func newPullCmd() *cobra.Command {
	var dir string
	cmd := &cobra.Command{
		Use:   "pull TYPE/NAME[@VERSION] [-d DIR]",
		Short: "Download a version (default: the current one), verify its checksum, print the path",
		Long: `Pull downloads an extension's archive into DIR under the server's file
name. The bytes go to a temporary file in DIR, renamed only once their
checksum matched the registry's, so a failed or tampered download leaves
no file behind. A progress bar is shown on stderr when it is a terminal.`,
		Args:              oneRef,
		ValidArgsFunction: completeRefs(true),
	}
	cf := addClientFlags(cmd)
	cmd.Flags().StringVarP(&dir, "dir", "d", ".", "folder to save the archive in")
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		r, err := parseRef(args[0], true)
		if err != nil {
			return err
		}
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			return usagef("--dir %q: not an existing folder", clip(dir))
		}
		c, err := cf.newClient()
		if err != nil {
			return err
		}
		res, path, err := pull(cmd, c, r, dir)
		if err != nil {
			return err
		}
		if !res.Verified {
			fmt.Fprintf(cmd.ErrOrStderr(), "extension-registry: warning: %s@%s: the registry publishes no checksum for it; saved unverified\n", r, res.Version)
		}
		if cf.output == "json" {
			return encodeJSON(cmd.OutOrStdout(), pullResult{Path: path, Checksum: res.Checksum, Size: res.Size})
		}
		_, err = fmt.Fprintln(cmd.OutOrStdout(), path)
		return err
	}
	return cmd
}

// pull downloads r into dir through a temporary file and returns the
// result and the final path. On any error no file is left.
func pull(cmd *cobra.Command, c *client.Client, r ref, dir string) (*client.DownloadResult, string, error) {
	ctx := cmd.Context()
	opts := &client.DownloadOptions{}
	if r.version != "" {
		// The checksum the registry publishes for the version; the
		// download is checked against it and its own X-Checksum.
		vs, err := c.Versions(ctx, string(r.typ), r.name)
		if err != nil {
			return nil, "", err
		}
		want, _ := registry.ParseVersion(r.version)
		for _, v := range vs {
			if sv, err := registry.ParseVersion(v.Version); err == nil && sv.Equal(want) {
				opts.Checksum, r.version = v.Checksum, v.Version
			}
		}
	}
	var bar *progressbar.ProgressBar
	if f, ok := cmd.ErrOrStderr().(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress = func(size int64) io.Writer {
			what := r.String()
			if r.version != "" {
				what += "@" + r.version
			}
			bar = newBar(f, what, size)
			return bar
		}
	}

	tmp, err := os.CreateTemp(dir, ".extension-registry-pull-*.part")
	if err != nil {
		return nil, "", fmt.Errorf("pull: %w", err)
	}
	renamed := false
	defer func() {
		if !renamed {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	res, err := c.Download(ctx, string(r.typ), r.name, r.version, tmp, opts)
	if bar != nil {
		if err == nil {
			_ = bar.Finish()
		}
		fmt.Fprintln(cmd.ErrOrStderr())
	}
	if err != nil {
		var (
			ce *client.ChecksumError
			ie *client.IncompleteError
		)
		if errors.As(err, &ce) || errors.As(err, &ie) {
			return nil, "", fmt.Errorf("%s: %w; no file was written", r, err)
		}
		return nil, "", err
	}
	if err := tmp.Sync(); err != nil {
		return nil, "", fmt.Errorf("pull: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return nil, "", fmt.Errorf("pull: %w", err)
	}
	// CreateTemp makes 0600; the archive is no secret.
	_ = os.Chmod(tmp.Name(), 0o644)
	path := filepath.Join(dir, res.FileName)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, "", fmt.Errorf("pull: %w", err)
	}
	renamed = true
	return res, path, nil
}

// newBar is the progress bar of a download of size bytes (-1: unknown).
func newBar(w io.Writer, what string, size int64) *progressbar.ProgressBar {
	return progressbar.NewOptions64(size,
		progressbar.OptionSetWriter(w),
		progressbar.OptionSetDescription(what),
		progressbar.OptionShowBytes(true),
		progressbar.OptionShowTotalBytes(true),
		progressbar.OptionSetWidth(30),
		progressbar.OptionThrottle(100*time.Millisecond),
		progressbar.OptionSetPredictTime(false),
		progressbar.OptionUseANSICodes(true),
	)
}
