// Command trove is the command-line interface of Trove: versioned ML
// artifacts and their lineage.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"

	// Every scheme, for references, blob stores and metadata stores alike:
	// the CLI, the server and the Python helper (trove helper) know them
	// all.
	_ "github.com/troveml/trove/scheme/gcs"
	_ "github.com/troveml/trove/scheme/postgres"
	_ "github.com/troveml/trove/scheme/s3"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// exitError carries a specific exit code (trove exec passes on its child's).
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", e.code) }

// run executes one command line and returns the process exit code: 0 on
// success, the child's code for trove exec, 130 on interrupt, 1 otherwise,
// after a one-line reason on stderr.
func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &globals{stdin: stdin, stdout: stdout, stderr: stderr}
	root := newRootCmd(env)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ee exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "trove: interrupted")
		return 130
	}
	fmt.Fprintf(stderr, "trove: %s\n", oneLine(err.Error()))
	return 1
}

// oneLine keeps an error message on one line, as scripts read it.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// globals is what every command shares: the standard streams and the way
// to open a client, replaceable in tests.
type globals struct {
	stdin          io.Reader
	stdout, stderr io.Writer
}

// notify tells the person running the command what it is waiting for (a
// server being retried), on stderr.
func (g *globals) notify(msg string) {
	fmt.Fprintf(g.stderr, "trove: %s\n", msg)
}

// open connects to the store named by the environment, with the command's
// entity and project defaults and progress bars on a terminal.
func (g *globals) open(ctx context.Context, entity, project string) (*trove.Client, error) {
	return trove.Open(ctx, trove.Options{Entity: entity, Project: project, Progress: newProgress(g.stderr), Notify: g.notify})
}

func newRootCmd(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "trove",
		Short: "Versioned ML artifacts and their lineage",
		Long: `Trove versions datasets, models and results by content (v0, v1, …), moves
aliases such as "latest", deduplicates identical content and records which run
produced and which runs consumed every version.

By default Trove works on an embedded store in ~/.local/share/trove; set
TROVE_URL to another directory, or to http(s)://HOST:PORT and TROVE_API_KEY to
work against a trove server (or save both with trove login). TROVE_ENTITY and TROVE_PROJECT set the default
entity (else your user name) and project (else "uncategorized").

References name versions as [[entity/]project/]name[:vN|:alias]; no version
means latest.`,
		Version:       versionString(),
		SilenceUsage:  true,
		SilenceErrors: true,
		// Every command: an explicit empty value is not a missing one.
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error { return checkNonEmpty(cmd) },
	}
	root.AddCommand(newArtifactCmd(g), newExecCmd(g), newRunCmd(g), newLineageCmd(g), newQuickstartCmd(g), newDemoCmd(g),
		newServerCmd(g), newUserCmd(g), newKeyCmd(g), newTeamCmd(g), newProjectCmd(g), newLoginCmd(g), newRegistryCmd(g),
		newGCCmd(g), newVerifyCmd(g), newHelperCmd(g))
	root.AddCommand(newLogoutCmd(g))
	groups(root)
	return root
}

// groups makes every command that only holds subcommands refuse an unknown
// subcommand (cobra would print the help and succeed), with the names it
// is close to, and print its help when given none.
func groups(cmd *cobra.Command) {
	for _, sub := range cmd.Commands() {
		groups(sub)
	}
	if cmd.HasSubCommands() && cmd.RunE == nil && cmd.Run == nil {
		cmd.Args = cobra.ArbitraryArgs
		cmd.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		}
	}
}

// unknownCommand refuses name as a subcommand of cmd, on one line, with
// cobra's suggestions (close in spelling, or starting with name).
func unknownCommand(cmd *cobra.Command, name string) error {
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2 // cobra's default, which only its own path sets
	}
	msg := fmt.Sprintf("unknown command %q for %q", name, cmd.CommandPath())
	if s := cmd.SuggestionsFor(name); len(s) > 0 {
		q := make([]string, len(s))
		for i, n := range s {
			q[i] = strconv.Quote(n)
		}
		return core.Errorf(core.ErrInvalid, "%s; did you mean %s? See %s --help", msg, strings.Join(q, " or "), cmd.CommandPath())
	}
	return core.Errorf(core.ErrInvalid, "%s; see %s --help", msg, cmd.CommandPath())
}
