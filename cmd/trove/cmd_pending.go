package main

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// trove artifact pending: the distributed artifacts being built (upsert,
// finish), to list, inspect and abandon.

func newPendingCmd(g *globals, sc *scope) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pending",
		Short: "List, inspect and abandon distributed artifacts not finished yet",
		Long: `Distributed artifacts that writers build with "trove artifact upsert --id ID"
stay pending until "trove artifact finish". These commands show what is
pending and drop what will never be finished, so that its files can be garbage
collected and its id used afresh. A server abandons on its own what nobody
upserted to for its --pending-ttl (a week by default).`,
	}
	cmd.AddCommand(newPendingLsCmd(g, sc), newPendingShowCmd(g, sc), newPendingAbandonCmd(g, sc))
	return cmd
}

func newPendingLsCmd(g *globals, sc *scope) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List the pending distributed artifacts of a project",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				ps, err := c.PendingArtifacts(ctx, "")
				if err != nil {
					return err
				}
				if ps == nil {
					ps = []trove.PendingArtifact{}
				}
				if asJSON {
					return writeJSON(g.stdout, ps)
				}
				tw := table(g.stdout)
				fmt.Fprintln(tw, "NAME\tID\tTYPE\tFILES\tSIZE\tWRITERS\tUPDATED\tEXPIRES")
				for _, p := range ps {
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%d\t%s\t%s\n", p.Name, p.DistributedID, p.Type, p.FileCount,
						humanSize(p.Size), len(p.Runs), p.UpdatedAt.Format(time.RFC3339), expiry(p.ExpiresAt))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return cmd
}

// expiry prints when a pending artifact is abandoned.
func expiry(t *time.Time) string {
	if t == nil {
		return "never"
	}
	return t.Format(time.RFC3339)
}

// pendingOptions are the flags of pending show and pending abandon.
type pendingOptions struct {
	id     string
	asJSON bool
}

func (o *pendingOptions) check(name string) error {
	if o.id == "" {
		return core.Errorf(core.ErrInvalid, "--id ID is required: the distributed id of the pending artifact (see trove artifact pending ls)")
	}
	if strings.Contains(name, ":") {
		return core.Errorf(core.ErrInvalid, "%s: a pending artifact has no version yet; name it without ':'", name)
	}
	return nil
}

func newPendingShowCmd(g *globals, sc *scope) *cobra.Command {
	var o pendingOptions
	cmd := &cobra.Command{
		Use:   "show NAME --id ID",
		Short: "Show a pending distributed artifact: its entries, writers, size and times",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(args[0]); err != nil {
				return err
			}
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				p, err := c.PendingArtifact(ctx, args[0], o.id)
				if err != nil {
					return err
				}
				if o.asJSON {
					return writeJSON(g.stdout, p)
				}
				return printPending(g, p)
			})
		},
	}
	cmd.Flags().StringVar(&o.id, "id", "", "distributed id (required)")
	nonEmpty(cmd.Flags(), "id")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print as JSON")
	return cmd
}

// printPending writes a pending artifact for people: its fields, then its
// entries as trove artifact files does.
func printPending(g *globals, p trove.PendingDetail) error {
	tw := table(g.stdout)
	fmt.Fprintf(tw, "artifact\t%s/%s/%s\n", p.Entity, p.Project, p.Name)
	fmt.Fprintf(tw, "distributed id\t%s\n", p.DistributedID)
	fmt.Fprintf(tw, "type\t%s\n", p.Type)
	state := p.State
	if p.Version != "" {
		state += " as " + p.Version
	}
	fmt.Fprintf(tw, "state\t%s\n", state)
	fmt.Fprintf(tw, "files\t%d (%s)\n", p.FileCount, humanSize(p.Size))
	fmt.Fprintf(tw, "writers\t%s\n", strings.Join(p.Runs, ", "))
	fmt.Fprintf(tw, "created\t%s\n", p.CreatedAt.Format(time.RFC3339))
	fmt.Fprintf(tw, "updated\t%s\n", p.UpdatedAt.Format(time.RFC3339))
	if p.State == "open" {
		fmt.Fprintf(tw, "expires\t%s\n", expiry(p.ExpiresAt))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Entries) == 0 {
		return nil
	}
	fmt.Fprintln(g.stdout)
	tw = table(g.stdout)
	fmt.Fprintln(tw, "PATH\tSIZE\tDIGEST")
	for _, e := range p.Entries {
		what := e.Digest.String()
		if e.Ref != "" {
			what = e.Ref
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Path, humanSize(e.Size), what)
	}
	return tw.Flush()
}

func newPendingAbandonCmd(g *globals, sc *scope) *cobra.Command {
	var o pendingOptions
	cmd := &cobra.Command{
		Use:   "abandon NAME --id ID",
		Short: "Abandon a pending distributed artifact: drop its entries, free its id",
		Long: `Delete a pending distributed artifact with the entries its writers added. Its
files are then garbage collected unless a version holds them, and the next
upsert with the same id starts a new pending artifact. An artifact that was
finished cannot be abandoned (delete its version instead).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := o.check(args[0]); err != nil {
				return err
			}
			ctx := cmd.Context()
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				return abandon(ctx, g, c, args[0], o)
			})
		},
	}
	cmd.Flags().StringVar(&o.id, "id", "", "distributed id (required)")
	nonEmpty(cmd.Flags(), "id")
	cmd.Flags().BoolVar(&o.asJSON, "json", false, "print the abandoned artifact as JSON")
	return cmd
}

func abandon(ctx context.Context, g *globals, c *trove.Client, name string, o pendingOptions) error {
	p, err := c.AbandonArtifact(ctx, name, o.id)
	if err != nil {
		return err
	}
	if o.asJSON {
		return writeJSON(g.stdout, p)
	}
	_, err = fmt.Fprintf(g.stderr, "abandoned %s/%s/%s (%s): %s, %s\n", p.Entity, p.Project, p.Name, p.DistributedID, count(int64(p.FileCount), "file"), humanSize(p.Size))
	return err
}
