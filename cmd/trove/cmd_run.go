package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// runJSON is a run in JSON output.
type runJSON struct {
	ID         string          `json:"id"`
	Name       string          `json:"name"`
	Entity     string          `json:"entity"`
	Project    string          `json:"project"`
	JobType    string          `json:"job_type"`
	Group      string          `json:"group"`
	State      string          `json:"state"`
	Config     json.RawMessage `json:"config"`
	Tags       []string        `json:"tags"`
	StartedAt  time.Time       `json:"started_at"`
	FinishedAt *time.Time      `json:"finished_at"`
}

// runInfoJSON is the output of run info --json.
type runInfoJSON struct {
	runJSON
	Inputs  []string `json:"inputs"`  // fully qualified versions used
	Outputs []string `json:"outputs"` // fully qualified versions logged
}

func toRunJSON(r *trove.Run) runJSON {
	out := runJSON{
		ID: r.ID, Name: r.Name, Entity: r.Entity, Project: r.Project, JobType: r.JobType,
		Group: r.Group, State: string(r.State), Config: r.Config, Tags: r.Tags,
		StartedAt: r.StartedAt.UTC(),
	}
	if len(out.Config) == 0 {
		out.Config = json.RawMessage("{}")
	}
	if out.Tags == nil {
		out.Tags = []string{}
	}
	if r.FinishedAt != nil {
		t := r.FinishedAt.UTC()
		out.FinishedAt = &t
	}
	return out
}

func newRunCmd(g *globals) *cobra.Command {
	var sc scope
	cmd := &cobra.Command{
		Use:   "run",
		Short: "List and inspect runs",
	}
	sc.flags(cmd)

	var lo runLsOptions
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List the runs of a project, newest first",
		Long: `List the runs of a project (-p, else TROVE_PROJECT or "uncategorized"),
newest first: by start time, then by id.

--job-type keeps the runs of one job type, --state those in one state
(running, finished, failed or crashed: a run whose heartbeat was lost), and
--limit N the N newest of those. Against a server, the server selects them.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			lo.limitSet = cmd.Flags().Changed("limit")
			return runLs(cmd.Context(), g, &sc, lo)
		},
	}
	lf := ls.Flags()
	lf.StringVarP(&lo.jobType, "job-type", "j", "", "only runs of this job type")
	lf.StringVar(&lo.state, "state", "", "only runs in this state: running, finished, failed or crashed")
	lf.IntVar(&lo.limit, "limit", 0, "at most this many runs, the newest (at least 1; default all)")
	lf.BoolVar(&lo.json, "json", false, "print as JSON")
	nonEmpty(lf, "job-type", "state")

	var infoJSON bool
	info := &cobra.Command{
		Use:   "info RUN",
		Short: "Show a run (by id or display name) with its inputs and outputs",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			return withClient(ctx, g, &sc, func(c *trove.Client) error {
				r, err := c.Run(ctx, args[0])
				if err != nil {
					return err
				}
				out := runInfoJSON{runJSON: toRunJSON(r), Inputs: []string{}, Outputs: []string{}}
				used, err := r.UsedArtifacts(ctx)
				if err != nil {
					return err
				}
				for _, v := range used {
					out.Inputs = append(out.Inputs, v.FullName())
				}
				logged, err := r.LoggedArtifacts(ctx)
				if err != nil {
					return err
				}
				for _, v := range logged {
					out.Outputs = append(out.Outputs, v.FullName())
				}
				if infoJSON {
					return writeJSON(g.stdout, out)
				}
				tw := table(g.stdout)
				fmt.Fprintf(tw, "run:\t%s (%s)\n", out.Name, out.ID)
				fmt.Fprintf(tw, "project:\t%s/%s\n", out.Entity, out.Project)
				fmt.Fprintf(tw, "job type:\t%s\n", out.JobType)
				fmt.Fprintf(tw, "group:\t%s\n", out.Group)
				fmt.Fprintf(tw, "state:\t%s\n", out.State)
				fmt.Fprintf(tw, "config:\t%s\n", out.Config)
				fmt.Fprintf(tw, "started:\t%s\n", out.StartedAt.Local().Format("2006-01-02 15:04:05"))
				if out.FinishedAt != nil {
					fmt.Fprintf(tw, "duration:\t%s\n", out.FinishedAt.Sub(out.StartedAt).Round(time.Millisecond))
				}
				fmt.Fprintf(tw, "inputs:\t%s\n", strings.Join(out.Inputs, ", "))
				fmt.Fprintf(tw, "outputs:\t%s\n", strings.Join(out.Outputs, ", "))
				return tw.Flush()
			})
		},
	}
	info.Flags().BoolVar(&infoJSON, "json", false, "print as JSON")
	cmd.AddCommand(ls, info)
	return cmd
}

// runLsOptions are the flags of trove run ls.
type runLsOptions struct {
	jobType, state string
	limit          int
	limitSet       bool // --limit given: 0 is then an error, not "all"
	json           bool
}

// runLs runs trove run ls.
func runLs(ctx context.Context, g *globals, sc *scope, o runLsOptions) error {
	q := trove.RunQuery{JobType: o.jobType, State: trove.RunState(o.state), Newest: true, Limit: o.limit}
	if o.limitSet && o.limit < 1 {
		return core.Errorf(core.ErrInvalid, "--limit %d: want at least 1", o.limit)
	}
	return withClient(ctx, g, sc, func(c *trove.Client) error {
		runs, err := c.FindRuns(ctx, "", q)
		if err != nil {
			return err
		}
		out := make([]runJSON, len(runs))
		for i, r := range runs {
			out[i] = toRunJSON(r)
		}
		if o.json {
			return writeJSON(g.stdout, out)
		}
		tw := table(g.stdout)
		fmt.Fprintln(tw, "ID\tNAME\tJOB TYPE\tSTATE\tSTARTED")
		for _, r := range out {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.ID, r.Name, r.JobType, r.State, r.StartedAt.Local().Format("2006-01-02 15:04:05"))
		}
		return tw.Flush()
	})
}
