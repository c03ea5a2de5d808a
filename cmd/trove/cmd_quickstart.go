package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/core"
)

// quickstartProject holds the quickstart's runs and artifacts.
const quickstartProject = "quickstart"

func newQuickstartCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "quickstart",
		Short: "Create the mnist example pipeline in project \"quickstart\" and show its lineage",
		Long: `Create, in project "quickstart" of the current store, the pipeline of the
reference documentation: run jumping-monkey-1 logs mnist_dataset:v0, run
vague-morning-5 trains on it and logs mnist_model:v0, run serene-haze-6
evaluates the model. Then print the model's lineage. Running it again changes
nothing.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			sc := &scope{project: quickstartProject}
			return withClient(ctx, g, sc, func(c *trove.Client) error {
				if _, err := c.Artifact(ctx, "mnist_model:v0"); errors.Is(err, core.ErrNotFound) {
					if err := buildQuickstart(ctx, c); err != nil {
						return err
					}
				} else if err != nil {
					return err
				}
				v, err := c.Artifact(ctx, "mnist_model:v0")
				if err != nil {
					return err
				}
				gr, err := c.Lineage(ctx, v.FullName(), trove.LineageOptions{})
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "Lineage of %s:\n\n", v.FullName())
				if err := writeLineageText(g.stdout, gr, "artifact:"+v.FullName()); err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "\nTry:\n  trove artifact ls -p %[1]s\n  trove artifact info -p %[1]s mnist_model:latest\n  trove lineage -p %[1]s mnist_dataset:v0 --direction downstream --format mermaid\n", quickstartProject)
				return nil
			})
		},
	}
}

// buildQuickstart logs the mnist chain of the demo (see mnistSteps) in
// project quickstart, completing what an interrupted earlier call left.
func buildQuickstart(ctx context.Context, c *trove.Client) error {
	p := demoProject{name: quickstartProject, steps: mnistSteps()}
	done, err := clientDemoDone(ctx, c, p, false)
	if err != nil {
		return err
	}
	_, err = runDemoSteps(ctx, c, p, done)
	return err
}
