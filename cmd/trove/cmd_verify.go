package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

type verifyOptions struct {
	json    bool
	workers int
	repair  bool
}

func newVerifyCmd(g *globals) *cobra.Command {
	var o verifyOptions
	cmd := &cobra.Command{
		Use:   "verify [--json] [-j N] [--repair]",
		Short: "Check the metadata database and every stored blob against its digest",
		Long: `Check the metadata database for damage (SQLite: PRAGMA quick_check; PostgreSQL:
Trove's tables and indexes exist and are valid, no data page checksum failures),
then re-read every blob that a version references and re-hash it, and report the
corrupt ones (their bytes do not match their digest) and the missing ones, with
the versions they affect. Nothing is changed unless --repair. On an embedded store
the check runs in-process; against a server the server runs it (site
administrators only).

With --repair, corrupt blobs are moved aside (kept under the blob store's
quarantine/ prefix for inspection, never served) and every corrupt or missing
blob is recorded as missing: logging its content again (trove artifact put of
the same files) uploads it once more and restores every version that uses it.

Prints "checked N blobs (X MiB): K corrupt, M missing", the database's state,
then one line per problem: its kind, digest and the affected versions (a
progress line goes to stderr on a terminal). Exit code: 0 when the database and
every blob are sound, 1 when problems were found or the check failed.`,
		Example: `  trove verify
  trove verify --json -j 16
  trove verify --repair`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runVerify(cmd.Context(), g, o)
		},
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print the report as JSON")
	cmd.Flags().IntVarP(&o.workers, "jobs", "j", 0, "blobs to read at once (default: the number of CPUs)")
	cmd.Flags().BoolVar(&o.repair, "repair", false, "move corrupt blobs aside and record damaged blobs as missing, so that the next upload of their content restores them")
	return cmd
}

func runVerify(ctx context.Context, g *globals, o verifyOptions) error {
	if o.workers < 0 {
		return core.Errorf(core.ErrInvalid, "-j %d: want 1 or more", o.workers)
	}
	c, err := g.open(ctx, "", "")
	if err != nil {
		return err
	}
	defer c.Close()
	opts := trove.VerifyOptions{Workers: o.workers, Repair: o.repair}
	done := func() {}
	if f, ok := g.stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		opts.Progress, done = progressLine(g.stderr)
	}
	rep, err := c.Verify(ctx, opts)
	done()
	if err != nil {
		return err
	}
	if o.json {
		if err := writeJSON(g.stdout, rep); err != nil {
			return err
		}
	} else if err := printVerify(g.stdout, rep); err != nil {
		return err
	}
	if rep.Damaged() {
		return exitError{1}
	}
	return nil
}

// printVerify writes the text report.
func printVerify(w io.Writer, rep trove.VerifyReport) error {
	var b strings.Builder
	if rep.BlobError == "" {
		fmt.Fprintf(&b, "checked %s (%.1f MiB): %d corrupt, %d missing\n",
			count(int64(rep.Checked), "blob"), float64(rep.Bytes)/(1<<20), len(rep.Corrupt), len(rep.Missing))
	}
	if db := rep.Database; db != nil {
		if db.OK {
			fmt.Fprintf(&b, "database (%s): ok\n", db.Database)
		}
		for _, p := range db.Problems {
			fmt.Fprintf(&b, "database (%s): damaged: %s\n", db.Database, p)
		}
	}
	if rep.BlobError != "" {
		fmt.Fprintf(&b, "blobs not checked: %s\n", rep.BlobError)
	}
	note := func(p trove.VerifyProblem) string {
		switch {
		case !p.Recorded:
			return ""
		case p.Quarantine != "":
			return "; moved to " + p.Quarantine + ", recorded as missing"
		}
		return "; recorded as missing"
	}
	for _, p := range rep.Corrupt {
		fmt.Fprintf(&b, "corrupt %s: %s%s\n", p.Digest, versionList(p.Versions), note(p))
	}
	for _, p := range rep.Missing {
		fmt.Fprintf(&b, "missing %s: %s%s\n", p.Digest, versionList(p.Versions), note(p))
	}
	recorded := 0
	for _, ps := range [][]trove.VerifyProblem{rep.Corrupt, rep.Missing} {
		for _, p := range ps {
			if p.Recorded {
				recorded++
			}
		}
	}
	if recorded > 0 {
		verb := "count"
		if recorded == 1 {
			verb = "counts"
		}
		fmt.Fprintf(&b, "%s %s as missing: log their content again (trove artifact put) to restore every version above\n", count(int64(recorded), "blob"), verb)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func versionList(vs []string) string {
	if len(vs) == 0 {
		return "(no committed version)"
	}
	return strings.Join(vs, ", ")
}

// progressLine returns a Progress that redraws one line on w, and a func
// that ends the line.
func progressLine(w io.Writer) (func(checked, total int, bytes int64), func()) {
	var (
		mu    sync.Mutex
		drawn bool
		last  time.Time
	)
	return func(checked, total int, bytes int64) {
			mu.Lock()
			defer mu.Unlock()
			// A line per blob would flood a slow terminal.
			if checked < total && time.Since(last) < 100*time.Millisecond {
				return
			}
			last = time.Now()
			fmt.Fprintf(w, "\rverifying: %d/%d blobs, %.1f MiB", checked, total, float64(bytes)/(1<<20))
			drawn = true
		}, func() {
			mu.Lock()
			defer mu.Unlock()
			if drawn {
				fmt.Fprintln(w)
			}
		}
}
