package main

import (
	"context"
	"strings"
	"time"

	"github.com/spf13/cobra"

	registry "github.com/provisioning-platform/extension-registry"
	"github.com/provisioning-platform/extension-registry/client"
)

// completionTimeout bounds the requests a shell completion makes.
const completionTimeout = 3 * time.Second

// completeTypes completes a --type value.
func completeTypes(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	out := make([]string, len(registry.Types))
	for i, t := range registry.Types {
		out[i] = string(t)
	}
	return out, cobra.ShellCompDirectiveNoFileComp
}

// completeRefs completes a TYPE/NAME argument (TYPE/NAME@VERSION when
// withVersion) from the registry of --server: the types first, then the
// names of a type, then the versions of a name.
func completeRefs(withVersion bool) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		const none = cobra.ShellCompDirectiveNoFileComp
		if len(args) > 0 {
			return nil, none
		}
		typ, rest, ok := strings.Cut(toComplete, "/")
		if !ok {
			var out []string
			for _, t := range registry.Types {
				out = append(out, string(t)+"/")
			}
			return out, none | cobra.ShellCompDirectiveNoSpace
		}
		if _, err := registry.ParseType(typ); err != nil {
			return nil, none
		}
		server, _ := cmd.Flags().GetString("server")
		c, err := client.New(server, client.WithHTTPClient(nil))
		if err != nil {
			return nil, none
		}
		ctx, cancel := context.WithTimeout(cmd.Context(), completionTimeout)
		defer cancel()
		if name, _, hasAt := strings.Cut(rest, "@"); hasAt && withVersion {
			vs, err := c.Versions(ctx, typ, name)
			if err != nil {
				return nil, none
			}
			var out []string
			for _, v := range vs {
				out = append(out, typ+"/"+name+"@"+v.Version)
			}
			return out, none
		}
		exts, err := c.List(ctx, client.ListOptions{Type: typ})
		if err != nil {
			return nil, none
		}
		var out []string
		for _, e := range exts {
			if strings.HasPrefix(e.Name, rest) {
				out = append(out, typ+"/"+e.Name)
			}
		}
		return out, none
	}
}

// strictCompletion makes cobra's `completion` command refuse a shell it
// does not know (`completion tcsh`) with a usage error naming it, instead
// of printing its help and exiting 0. Without an argument it still prints
// its help.
func strictCompletion(root *cobra.Command) {
	root.InitDefaultCompletionCmd()
	for _, c := range root.Commands() {
		if c.Name() != "completion" {
			continue
		}
		var shells []string
		for _, sub := range c.Commands() {
			shells = append(shells, sub.Name())
		}
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			return usagef("completion: unknown shell %s (use %s)", registry.Quote(args[0]), strings.Join(shells, ", "))
		}
	}
}
