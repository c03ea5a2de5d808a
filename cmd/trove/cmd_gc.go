package main

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// gcOptions are the flags of trove gc.
type gcOptions struct {
	dryRun   bool
	grace    time.Duration
	graceSet bool // --grace given; else the store's default
	json     bool
}

func newGCCmd(g *globals) *cobra.Command {
	var o gcOptions
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Free the blobs that no live version needs",
		Long: `Delete the stored files that only deleted (or expired) versions held, and
orphans no version holds, never a file a live version or a log in progress
needs. On an embedded store it runs here; against a server (TROVE_URL=http…)
the server runs it, and only site administrators may.

Files written less than --grace ago are kept (default: the store's lease time,
one hour; --grace 0 keeps none). A file a client was told is stored, or
uploaded, is also kept until the log that needs it ends (at most the lease
time): so right after a delete, "trove gc --grace 0" frees the files only the
deleted versions held. --dry-run counts what would be freed.

--json prints the report: dry_run, scanned, live, freed, freed_bytes, kept,
finished (blob counts and bytes), and its durations as numbers of seconds:
grace_seconds (the grace period applied) and duration_seconds.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.graceSet = cmd.Flags().Changed("grace")
			return runGC(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.dryRun, "dry-run", false, "count what would be freed; delete nothing")
	f.DurationVar(&o.grace, "grace", 0, "keep files written less than this ago (default the store's lease time; 0 keeps none)")
	f.BoolVar(&o.json, "json", false, "print the report as JSON")
	return cmd
}

// runGC runs trove gc.
func runGC(ctx context.Context, g *globals, o gcOptions) error {
	opts := trove.GCOptions{DryRun: o.dryRun}
	switch {
	case !o.graceSet:
		// the store's default
	case o.grace < 0:
		return core.Errorf(core.ErrInvalid, "--grace must not be negative")
	case o.grace == 0:
		opts.Grace = -1
	default:
		opts.Grace = o.grace
	}
	c, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer c.Close()
	rep, err := c.GC(ctx, opts)
	if err != nil {
		return err
	}
	if o.json {
		return writeJSON(g.stdout, rep)
	}
	verb := "freed"
	if rep.DryRun {
		verb = "would free"
	}
	_, err = fmt.Fprintf(g.stdout, "%s %s, %.1f MiB; kept %d\n", verb, count(int64(rep.Freed), "blob"), float64(rep.FreedBytes)/(1<<20), rep.Kept)
	if err == nil && rep.Kept > 0 {
		// Say why, on stderr: "kept" right after a delete surprises.
		fmt.Fprintf(g.stderr, "trove: %d unused blobs were kept: written less than the grace period (%s) ago, needed by a log still in progress, or being collected by another gc; a later run frees them\n", rep.Kept, rep.Grace)
	}
	return err
}
