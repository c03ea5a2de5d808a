package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

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

// buildQuickstart logs the mnist chain with small stand-in files.
func buildQuickstart(ctx context.Context, c *trove.Client) error {
	tmp, err := os.MkdirTemp("", "trove-quickstart-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	write := func(name, content string) (string, error) {
		p := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return "", err
		}
		return p, os.WriteFile(p, []byte(content), 0o644)
	}
	step := func(name, job string, config map[string]any, use string, log *trove.Artifact) error {
		r, err := c.StartRun(ctx, trove.RunOptions{Name: name, JobType: job, Config: config})
		if err != nil {
			return err
		}
		if use != "" {
			if _, err := r.UseArtifact(ctx, use); err != nil {
				return err
			}
		}
		if log != nil {
			if _, err := r.LogArtifact(ctx, log); err != nil {
				return err
			}
		}
		return r.Finish(ctx)
	}
	ds := trove.NewArtifact("mnist_dataset", "dataset")
	ds.Description = "MNIST digits, split into train and test tables"
	ds.Metadata = map[string]any{"train_rows": 60000, "test_rows": 10000}
	for name, content := range map[string]string{"train_table.csv": "label,pixels\n5,...\n", "test_table.csv": "label,pixels\n7,...\n"} {
		p, err := write("data/"+name, content)
		if err != nil {
			return err
		}
		if err := ds.AddFile(p); err != nil {
			return err
		}
	}
	if err := step("jumping-monkey-1", "preprocess", nil, "", ds); err != nil {
		return err
	}
	model := trove.NewArtifact("mnist_model", "model")
	p, err := write("model.h5", "a trained convolutional network\n")
	if err != nil {
		return err
	}
	if err := model.AddFile(p); err != nil {
		return err
	}
	config := map[string]any{"optimizer": "adam", "batch_size": 128, "epochs": 5, "validation_split": 0.1}
	if err := step("vague-morning-5", "train_model", config, "mnist_dataset:v0", model); err != nil {
		return err
	}
	return step("serene-haze-6", "evaluate", nil, "mnist_model:v0", nil)
}
