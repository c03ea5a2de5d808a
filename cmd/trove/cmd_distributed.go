package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// distributedOptions are the flags of artifact upsert and artifact finish.
type distributedOptions struct {
	path, name, typ, id, desc, metadata string
	aliases                             []string
	json, allowEmpty                    bool
}

func (o *distributedOptions) flags(cmd *cobra.Command, finish bool) {
	f := cmd.Flags()
	f.StringVarP(&o.name, "name", "n", "", "artifact name (required)")
	f.StringVarP(&o.typ, "type", "t", "dataset", "artifact type: dataset, model, result, …")
	f.StringVar(&o.id, "id", "", "distributed id shared by the writers and the finisher (required; also the group of the upload run)")
	nonEmpty(f, "name", "type", "id")
	if finish {
		f.StringArrayVarP(&o.aliases, "alias", "a", nil, "alias to put on the version (repeatable)")
		f.StringVarP(&o.desc, "description", "d", "", "description of the version")
		f.StringVarP(&o.metadata, "metadata", "m", "", "metadata as a JSON object")
		f.BoolVar(&o.json, "json", false, "print the version as JSON")
		f.BoolVar(&o.allowEmpty, "allow-empty", false, "finish even when no writer added a file, as an empty version")
	}
}

func newUpsertCmd(g *globals, sc *scope) *cobra.Command {
	var o distributedOptions
	cmd := &cobra.Command{
		Use:   "upsert PATH -n NAME -t TYPE --id ID",
		Short: "Add a file or a directory to a distributed artifact, to be finished later",
		Long: `Add a file or a directory (recursively) to the pending version of artifact NAME
that parallel writers build under the distributed id ID, through a run of job type
"upload" in group ID. Nothing becomes a version until "trove artifact finish".
A path another writer added with the same content is fine; with other content,
or a path that would be both a file and a directory ("x" and "x/y"), the upsert
fails and adds nothing. See "trove artifact pending" for what is pending.`,
		Example: `  trove artifact upsert ./shard-3 -n parallel-artifact -t dataset --id writer-group-7`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.path = args[0]
			return runDistributed(cmd.Context(), g, sc, o, false)
		},
	}
	o.flags(cmd, false)
	return cmd
}

func newFinishCmd(g *globals, sc *scope) *cobra.Command {
	var o distributedOptions
	cmd := &cobra.Command{
		Use:   "finish [PATH] -n NAME -t TYPE --id ID",
		Short: "Finish a distributed artifact as a new version",
		Long: `Commit the pending version of artifact NAME that writers built with
"trove artifact upsert --id ID" as a version, after adding PATH (a file or a
directory) when given, through a run of job type "upload" in group ID. Every
writer run becomes a producer of the version. With no PATH the version holds
what the writers added; when that is nothing it is refused unless --allow-empty.
The last line of stdout is the version, entity/project/name:vN.`,
		Example: `  trove artifact finish -n parallel-artifact -t dataset --id writer-group-7 ./index`,
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.path = args[0]
			}
			return runDistributed(cmd.Context(), g, sc, o, true)
		},
	}
	o.flags(cmd, true)
	return cmd
}

// runDistributed upserts (or, with finish, finishes) through an upload run
// of group o.id.
func runDistributed(ctx context.Context, g *globals, sc *scope, o distributedOptions, finish bool) error {
	if o.name == "" {
		return core.Errorf(core.ErrInvalid, "-n NAME is required")
	}
	if o.id == "" {
		return core.Errorf(core.ErrInvalid, "--id ID is required: the distributed id the writers and the finisher share")
	}
	if err := core.ValidateName(o.name); err != nil {
		return err
	}
	if err := core.ValidateType(o.typ); err != nil {
		return err
	}
	if err := core.ValidateLabel("distributed id", o.id); err != nil {
		return err
	}
	var md map[string]any
	if o.metadata != "" {
		var err error
		if md, err = parseMetadata(o.metadata); err != nil {
			return err
		}
	}
	a := trove.NewArtifact(o.name, o.typ)
	if o.path != "" {
		var err error
		if a, err = artifactFromPath(o.name, o.typ, o.path); err != nil {
			return err
		}
	}
	a.Description, a.Metadata, a.DistributedID, a.AllowEmpty = o.desc, md, o.id, o.allowEmpty
	return withClient(ctx, g, sc, func(c *trove.Client) error {
		r, err := c.StartRun(ctx, trove.RunOptions{JobType: "upload", Group: o.id, Entity: c.Entity(), Project: c.Project()})
		if err != nil {
			return err
		}
		var v *trove.Version
		if finish {
			v, err = r.FinishArtifact(ctx, a, o.aliases...)
		} else {
			err = r.UpsertArtifact(ctx, a)
		}
		if err != nil {
			r.Fail(context.WithoutCancel(ctx))
			return err
		}
		if err := r.Finish(ctx); err != nil {
			return err
		}
		if !finish {
			_, err = fmt.Fprintf(g.stderr, "added to %s (%s), pending until finished; run %s\n", o.name, o.id, r.ID)
			return err
		}
		if o.json {
			return writeJSON(g.stdout, toVersionJSON(v))
		}
		_, err = fmt.Fprintln(g.stdout, v.FullName())
		return err
	})
}
