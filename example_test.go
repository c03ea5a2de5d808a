package trove_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/troveml/trove"
)

// scratch makes a temporary data directory, cache and work directory so the
// examples run on a fresh embedded store.
func scratch() (opts trove.Options, work string, cleanup func()) {
	dir, err := os.MkdirTemp("", "trove-example-*")
	if err != nil {
		log.Fatal(err)
	}
	opts = trove.Options{
		URL:      filepath.Join(dir, "data"),
		CacheDir: filepath.Join(dir, "cache"),
		Entity:   "my-entity",
		Project:  "bikes",
	}
	work = filepath.Join(dir, "work")
	os.MkdirAll(work, 0o755)
	return opts, work, func() { os.RemoveAll(dir) }
}

func writeFile(path, content string) {
	os.MkdirAll(filepath.Dir(path), 0o755)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		log.Fatal(err)
	}
}

// The artifacts walkthrough: log, dedup, new versions, aliases, download,
// update, and the delete guard.
func Example_walkthrough() {
	ctx := context.Background()
	opts, work, cleanup := scratch()
	defer cleanup()
	client, err := trove.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	// 1. Initialize a run for the pipeline step.
	run, err := client.StartRun(ctx, trove.RunOptions{JobType: "preprocess"})
	if err != nil {
		log.Fatal(err)
	}

	// 2. Create an artifact and log it: the first version is v0.
	data := filepath.Join(work, "bicycle-data.h5")
	writeFile(data, "wheels: 2\n")
	a := trove.NewArtifact("bike-dataset", "dataset")
	a.AddFile(data)
	v0, err := run.LogArtifact(ctx, a, "best")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("logged", v0.Label(), v0.Aliases)

	// Logging the same content again creates no new version.
	again := trove.NewArtifact("bike-dataset", "dataset")
	again.AddFile(data)
	same, _ := run.LogArtifact(ctx, again)
	fmt.Println("unchanged content:", same.Label())

	// Changed content makes v1, and latest moves to it.
	writeFile(data, "wheels: 3\n")
	changed := trove.NewArtifact("bike-dataset", "dataset")
	changed.AddFile(data)
	v1, _ := run.LogArtifact(ctx, changed)
	fmt.Println("changed content:", v1.Label(), v1.Aliases)

	// A custom alias moves: "best" leaves v0 for v1.
	v1.Aliases = append(v1.Aliases, "best")
	if err := v1.Save(ctx); err != nil {
		log.Fatal(err)
	}
	old, _ := client.Artifact(ctx, "bike-dataset:v0")
	fmt.Println("v0 aliases:", old.Aliases, "v1 aliases:", v1.Aliases)

	// 3. Use an artifact: by version, by alias, with project or entity.
	user, _ := client.StartRun(ctx, trove.RunOptions{JobType: "train"})
	in, _ := user.UseArtifact(ctx, "my-entity/bikes/bike-dataset:v0")
	dir, _ := in.Download(ctx, filepath.Join(work, "download"))
	b, _ := os.ReadFile(filepath.Join(dir, "bicycle-data.h5"))
	fmt.Printf("v0 downloads as %q\n", b)
	latest, _ := user.UseArtifact(ctx, "bike-dataset:latest")
	fmt.Println("latest is", latest.Label())

	// Update description and metadata.
	latest.Description = "My new description"
	latest.Metadata["oldKey"] = "new value"
	latest.Save(ctx)
	fresh, _ := client.Artifact(ctx, "bike-dataset:v1")
	fmt.Println(fresh.Description, fresh.Metadata)

	// Traverse the graph.
	producer, _ := fresh.LoggedBy(ctx)
	consumers, _ := fresh.UsedBy(ctx)
	fmt.Println("logged by", producer.JobType, "used by", len(consumers), "run(s)")

	// Deleting a version that has aliases is refused…
	err = fresh.Delete(ctx, false)
	fmt.Println("delete v1:", errors.Is(err, trove.ErrConflict))
	// …unless its aliases go with it; latest falls back to v0.
	fresh.Delete(ctx, true)
	back, _ := client.Artifact(ctx, "bike-dataset:latest")
	fmt.Println("latest is now", back.Label())

	user.Finish(ctx)
	run.Finish(ctx)
	// Output:
	// logged v0 [best latest]
	// unchanged content: v0
	// changed content: v1 [latest]
	// v0 aliases: [] v1 aliases: [best latest]
	// v0 downloads as "wheels: 2\n"
	// latest is v1
	// My new description map[oldKey:new value]
	// logged by preprocess used by 1 run(s)
	// delete v1: true
	// latest is now v0
}

// The mnist lineage of model-lineage.md: jumping-monkey-1 logs the dataset,
// vague-morning-5 trains on it and logs the model, serene-haze-6 evaluates
// the model.
func Example_mnistLineage() {
	ctx := context.Background()
	opts, work, cleanup := scratch()
	defer cleanup()
	client, err := trove.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	prep, _ := client.StartRun(ctx, trove.RunOptions{Name: "jumping-monkey-1", JobType: "preprocess"})
	writeFile(filepath.Join(work, "data", "train_table.csv"), "label,pixels\n")
	ds := trove.NewArtifact("mnist_dataset", "dataset")
	ds.AddDir(filepath.Join(work, "data"))
	prep.LogArtifact(ctx, ds)
	prep.Finish(ctx)

	train, _ := client.StartRun(ctx, trove.RunOptions{
		Name: "vague-morning-5", JobType: "train_model",
		Config: map[string]any{"optimizer": "adam", "batch_size": 128, "epochs": 5},
	})
	train.UseArtifact(ctx, "mnist_dataset:latest")
	writeFile(filepath.Join(work, "model.h5"), "weights")
	model := trove.NewArtifact("mnist_model", "model")
	model.AddFile(filepath.Join(work, "model.h5"))
	train.LogArtifact(ctx, model)
	train.Finish(ctx)

	eval, _ := client.StartRun(ctx, trove.RunOptions{Name: "serene-haze-6", JobType: "evaluate"})
	eval.UseArtifact(ctx, "mnist_model:v0")
	eval.Finish(ctx)

	g, err := client.Lineage(ctx, "mnist_model:v0", trove.LineageOptions{})
	if err != nil {
		log.Fatal(err)
	}
	names := map[string]string{}
	for _, n := range g.Nodes {
		label := n.Type
		if n.Kind == "run" {
			label = n.JobType
		}
		names[n.ID] = label + " " + n.Name
	}
	var lines []string
	for _, e := range g.Edges {
		lines = append(lines, names[e.From]+" -> "+names[e.To])
	}
	fmt.Println(len(g.Nodes), "nodes")
	slices.Sort(lines)
	fmt.Println(strings.Join(lines, "\n"))
	// Output:
	// 5 nodes
	// dataset mnist_dataset:v0 -> train_model vague-morning-5
	// model mnist_model:v0 -> evaluate serene-haze-6
	// preprocess jumping-monkey-1 -> dataset mnist_dataset:v0
	// train_model vague-morning-5 -> model mnist_model:v0
}

// A new version from the last one: replace a file, remove a folder and add
// a file. Only the new files are read and stored; the rest is inherited by
// digest, so the files of v0 need not be on disk any more.
func ExampleVersion_NewDraft() {
	ctx := context.Background()
	opts, work, cleanup := scratch()
	defer cleanup()
	client, err := trove.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()
	run, err := client.StartRun(ctx, trove.RunOptions{JobType: "preprocess"})
	if err != nil {
		log.Fatal(err)
	}
	defer run.Finish(ctx)

	writeFile(filepath.Join(work, "data", "train.csv"), "x,y\n1,2\n")
	writeFile(filepath.Join(work, "data", "test.csv"), "x,y\n3,4\n")
	writeFile(filepath.Join(work, "data", "raw", "dump.bin"), "raw bytes")
	ds := trove.NewArtifact("bike-dataset", "dataset")
	ds.AddDir(filepath.Join(work, "data"))
	v0, err := run.LogArtifact(ctx, ds)
	if err != nil {
		log.Fatal(err)
	}
	os.RemoveAll(filepath.Join(work, "data"))

	draft, err := v0.NewDraft(ctx)
	if err != nil {
		log.Fatal(err)
	}
	writeFile(filepath.Join(work, "train-fixed.csv"), "x,y\n1,2\n5,6\n")
	if err := draft.AddFile(filepath.Join(work, "train-fixed.csv"), "train.csv"); err != nil {
		log.Fatal(err) // replaces the inherited train.csv
	}
	if err := draft.Remove("raw"); err != nil {
		log.Fatal(err)
	}
	f, err := draft.NewFile("README.txt")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Fprintln(f, "bike rentals, cleaned")
	f.Close()
	v1, err := run.LogArtifact(ctx, draft)
	if err != nil {
		log.Fatal(err)
	}
	files, err := v1.Files(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v1.Label(), v1.Aliases)
	for _, e := range files {
		fmt.Println(e.Path, e.Size)
	}
	// Output:
	// v1 [latest]
	// README.txt 22
	// test.csv 8
	// train.csv 12
}
