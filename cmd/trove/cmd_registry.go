package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
)

func newLinkCmd(g *globals, sc *scope) *cobra.Command {
	var (
		aliases []string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "link REF REGISTRY/COLLECTION [-a ALIAS]...",
		Short: "Link a version into a registry collection (no data is copied)",
		Long: `Link a version into a registry collection, e.g. model/MNIST-dev. The link gets
its own version (vN) and aliases in the collection; its files and lineage are
the source's. Linking a version linked there already moves only the aliases.
The last line of stdout is the link, registry/REGISTRY/COLLECTION:vN.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				l, err := c.LinkArtifact(ctx, args[0], args[1], aliases...)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, toVersionJSON(l))
				}
				fmt.Fprintf(g.stderr, "linked %s as %s\n", l.Source, strings.Join(l.Aliases, ", "))
				_, err = fmt.Fprintln(g.stdout, l.FullName())
				return err
			})
		},
	}
	cmd.Flags().StringArrayVarP(&aliases, "alias", "a", nil, "alias to put on the link (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the link as JSON")
	return cmd
}

func newUnlinkCmd(g *globals, sc *scope) *cobra.Command {
	return &cobra.Command{
		Use:   "unlink registry/REGISTRY/COLLECTION:vN",
		Short: "Remove a link from a registry collection (the source stays)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			r, err := core.ParseRef(args[0])
			if err != nil {
				return err
			}
			if r.Entity != core.RegistryEntity {
				return core.Errorf(core.ErrInvalid, "%s is not a registry link: want registry/REGISTRY/COLLECTION:vN", args[0])
			}
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				v, err := c.Artifact(ctx, args[0])
				if err != nil {
					return err
				}
				name := v.FullName()
				if err := v.Delete(ctx, true); err != nil {
					return err
				}
				_, err = fmt.Fprintf(g.stdout, "unlinked %s\n", name)
				return err
			})
		},
	}
}

func newRegistryCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "List and create registries (organisation-wide collections of linked versions)",
	}
	cmd.AddCommand(newRegistryLsCmd(g), newRegistryCreateCmd(g), newRegistryUpdateCmd(g), newRegistryAdminCmd(g))
	return cmd
}

func newRegistryLsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the registries",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, &scope{}, func(c *trove.Client) error {
				rs, err := c.Registries(ctx)
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, rs)
				}
				tw := table(g.stdout)
				fmt.Fprintln(tw, "NAME\tTYPES\tPROTECTED\tCOLLECTIONS")
				for _, r := range rs {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\n", r.Name, listOrDash(r.Types, "any"),
						listOrDash(r.ProtectedAliases, "-"), r.CollectionCount)
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func listOrDash(s []string, none string) string {
	if len(s) == 0 {
		return none
	}
	return strings.Join(s, ",")
}

func newRegistryCreateCmd(g *globals) *cobra.Command {
	var (
		types, protect []string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "create NAME [-t TYPE]... [--protect ALIAS]...",
		Short: "Create a registry (on a server: admins only)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, &scope{}, func(c *trove.Client) error {
				r, err := c.CreateRegistry(ctx, trove.Registry{Name: args[0], Types: types, ProtectedAliases: protect})
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, r)
				}
				_, err = fmt.Fprintln(g.stdout, r.Name)
				return err
			})
		},
	}
	cmd.Flags().StringArrayVarP(&types, "type", "t", nil, "artifact type the registry accepts (repeatable; none = any)")
	cmd.Flags().StringArrayVar(&protect, "protect", nil, "alias only registry admins may set (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func newRegistryUpdateCmd(g *globals) *cobra.Command {
	var (
		types, protect []string
		asJSON         bool
	)
	cmd := &cobra.Command{
		Use:   "update NAME [-t TYPE]... [--protect ALIAS]...",
		Short: "Replace a registry's accepted types and protected aliases (registry admins)",
		Long: `Replace a registry's accepted types and protected aliases with the ones given:
types not given accept any type, aliases not given are no longer protected.
Collections keep their type and links their aliases.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, &scope{}, func(c *trove.Client) error {
				r, err := c.UpdateRegistry(ctx, trove.Registry{Name: args[0], Types: nonNilStrings(types), ProtectedAliases: nonNilStrings(protect)})
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, r)
				}
				_, err = fmt.Fprintf(g.stdout, "%s: accepts %s; protected %s\n", r.Name, listOrDash(r.Types, "any type"), listOrDash(r.ProtectedAliases, "none"))
				return err
			})
		},
	}
	cmd.Flags().StringArrayVarP(&types, "type", "t", nil, "artifact type the registry accepts (repeatable; none = any)")
	cmd.Flags().StringArrayVar(&protect, "protect", nil, "alias only registry admins may set (repeatable)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// newRegistryAdminCmd manages who administers a registry: account data,
// kept by a server (like team members).
func newRegistryAdminCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "admin",
		Short: "Manage a registry's admins (on a server)",
		Long: `A registry's admins (and every server admin) may set, move and remove its
protected aliases, unlink versions, change the registry and name other admins.`,
	}
	add := &cobra.Command{
		Use:   "add REGISTRY USER",
		Short: "Make a user an admin of a registry",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				return c.SetRegistryAdmin(ctx, args[0], args[1], true)
			})
		},
	}
	remove := &cobra.Command{
		Use:   "remove REGISTRY USER",
		Short: "Remove a user from a registry's admins",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				return c.SetRegistryAdmin(ctx, args[0], args[1], false)
			})
		},
	}
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls REGISTRY",
		Short: "List a registry's admins (server admins, admins of every registry, are not listed)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return g.withServer(ctx, func(c *client.Client) error {
				names, err := c.RegistryAdmins(ctx, args[0])
				if err != nil {
					return err
				}
				if asJSON {
					return writeJSON(g.stdout, names)
				}
				for _, n := range names {
					fmt.Fprintln(g.stdout, n)
				}
				return nil
			})
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	cmd.AddCommand(add, remove, ls)
	return cmd
}
