package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/provisioning-platform/extension-registry/client"
)

func newListCmd() *cobra.Command {
	var typ, source string
	cmd := &cobra.Command{
		Use:   "list [--type T] [--source S]",
		Short: "List every extension of the registry",
		Args:  noArgs,
	}
	cf := addClientFlags(cmd)
	cmd.Flags().StringVar(&typ, "type", "", "only this type: provider, taskserv or cluster")
	cmd.Flags().StringVar(&source, "source", "", "only this source: gitea or oci")
	_ = cmd.RegisterFlagCompletionFunc("type", completeTypes)
	_ = cmd.RegisterFlagCompletionFunc("source", cobra.FixedCompletions([]string{"gitea", "oci"}, cobra.ShellCompDirectiveNoFileComp))
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		t, err := parseTypeFlag(typ)
		if err != nil {
			return err
		}
		if source != "" && source != "gitea" && source != "oci" {
			return usagef("--source: unknown source %q: must be gitea or oci", clip(source))
		}
		c, err := cf.newClient()
		if err != nil {
			return err
		}
		exts, raw, err := c.ListJSON(cmd.Context(), client.ListOptions{Type: t, Source: source})
		if err != nil {
			return err
		}
		if cf.output == "json" {
			return writeJSONOut(cmd.OutOrStdout(), raw)
		}
		return extensionTable(cmd.OutOrStdout(), cmd.ErrOrStderr(), exts, "no extensions")
	}
	return cmd
}

func newSearchCmd() *cobra.Command {
	var typ string
	var limit int
	cmd := &cobra.Command{
		Use:   "search QUERY [--type T] [--limit N]",
		Short: "Search extensions by name, description and tags",
		Args: func(cmd *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usagef("search takes one argument QUERY, got %d", len(args))
			}
			if strings.TrimSpace(args[0]) == "" {
				return usagef("argument QUERY must not be blank")
			}
			return nil
		},
		ValidArgsFunction: cobra.NoFileCompletions,
	}
	cf := addClientFlags(cmd)
	cmd.Flags().StringVar(&typ, "type", "", "only this type: provider, taskserv or cluster")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most N results (server default 50, maximum 100)")
	_ = cmd.RegisterFlagCompletionFunc("type", completeTypes)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		t, err := parseTypeFlag(typ)
		if err != nil {
			return err
		}
		if limit < 0 {
			return usagef("--limit: must be at least 1, got %d", limit)
		}
		c, err := cf.newClient()
		if err != nil {
			return err
		}
		exts, raw, err := c.SearchJSON(cmd.Context(), args[0], client.SearchOptions{Type: t, Limit: limit})
		if err != nil {
			return err
		}
		if cf.output == "json" {
			return writeJSONOut(cmd.OutOrStdout(), raw)
		}
		return extensionTable(cmd.OutOrStdout(), cmd.ErrOrStderr(), exts, fmt.Sprintf("no extension matches %q", clip(args[0])))
	}
	return cmd
}

func newInfoCmd() *cobra.Command {
	return refCommand("info TYPE/NAME", "Show one extension and its current version",
		(*client.Client).GetJSON, func(out io.Writer, e *client.Extension) error {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			row := func(k, v string) {
				if v != "" {
					fmt.Fprintf(tw, "%s:\t%s\n", k, oneLine(v, 4096))
				}
			}
			row("extension", e.Type+"/"+e.Name)
			row("version", e.Version)
			row("description", e.Description)
			row("author", e.Author)
			row("repository", e.Repository)
			row("source", e.Source)
			row("published", date(e.PublishedAt))
			row("tags", strings.Join(e.Tags, ", "))
			row("size", size(e.Size))
			row("checksum", e.Checksum)
			row("download", e.DownloadURL)
			return tw.Flush()
		})
}

func newVersionsCmd() *cobra.Command {
	return refCommand("versions TYPE/NAME", "List the versions of an extension, newest first",
		(*client.Client).VersionsJSON, func(out io.Writer, vs []client.Version) error {
			tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "VERSION\tPUBLISHED\tSIZE\tCHECKSUM")
			for _, v := range vs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(v.Version, 64), dash(date(v.PublishedAt)), dash(size(v.Size)), dash(oneLine(v.Checksum, 128)))
			}
			return tw.Flush()
		})
}

// refCommand is a client command of one TYPE/NAME argument: it asks the
// server with fetch and prints the API's JSON (-o json) or show's table.
func refCommand[T any](use, short string, fetch func(*client.Client, context.Context, string, string) (T, json.RawMessage, error), show func(io.Writer, T) error) *cobra.Command {
	cmd := &cobra.Command{
		Use:               use,
		Short:             short,
		Args:              oneRef,
		ValidArgsFunction: completeRefs(false),
	}
	cf := addClientFlags(cmd)
	cmd.RunE = func(cmd *cobra.Command, args []string) error {
		r, err := parseRef(args[0], false)
		if err != nil {
			return err
		}
		c, err := cf.newClient()
		if err != nil {
			return err
		}
		v, raw, err := fetch(c, cmd.Context(), string(r.typ), r.name)
		if err != nil {
			return err
		}
		if cf.output == "json" {
			return writeJSONOut(cmd.OutOrStdout(), raw)
		}
		return show(cmd.OutOrStdout(), v)
	}
	return cmd
}

// extensionTable prints extensions one a line, or none on stderr.
func extensionTable(out, errOut io.Writer, exts []client.Extension, none string) error {
	if len(exts) == 0 {
		_, err := fmt.Fprintln(errOut, none)
		return err
	}
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "EXTENSION\tVERSION\tSOURCE\tDESCRIPTION")
	for _, e := range exts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", oneLine(e.Type+"/"+e.Name, 128), oneLine(e.Version, 64), oneLine(e.Source, 16), oneLine(e.Description, 72))
	}
	return tw.Flush()
}

// noArgs is the Args of a command that takes none.
func noArgs(cmd *cobra.Command, args []string) error {
	if len(args) > 0 {
		return usagef("%s takes no arguments, got %q", cmd.Name(), clip(args[0]))
	}
	return nil
}

func date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func size(n int64) string {
	if n <= 0 {
		return ""
	}
	return strconv.FormatInt(n, 10)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// oneLine reduces s to one printable line of at most n characters.
func oneLine(s string, n int) string {
	s = strings.Join(strings.Fields(printable(s)), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// printable replaces control characters (terminal escapes among them) of
// a server's text, so that printing it cannot drive the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' {
			return ' '
		}
		if r < 0x20 || (r >= 0x7f && r < 0xa0) {
			return '?'
		}
		return r
	}, s)
}
