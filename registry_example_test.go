package trove_test

import (
	"context"
	"fmt"
	"log"
	"path/filepath"

	"github.com/troveml/trove"
)

// Link a logged model into the model registry, where it gets its own
// version and aliases, and use it from another run by its registry name.
func ExampleRun_LinkArtifact() {
	ctx := context.Background()
	opts, work, cleanup := scratch()
	defer cleanup()
	client, err := trove.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	train, err := client.StartRun(ctx, trove.RunOptions{JobType: "train"})
	if err != nil {
		log.Fatal(err)
	}
	writeFile(filepath.Join(work, "model.bin"), "weights")
	a := trove.NewArtifact("bike-model", "model")
	a.AddFile(filepath.Join(work, "model.bin"))
	v, err := train.LogArtifact(ctx, a)
	if err != nil {
		log.Fatal(err)
	}
	link, err := train.LinkArtifact(ctx, v, "model/Bike-Classifier", "staging")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.FullName(), link.Aliases)
	fmt.Println("source:", link.Source)
	train.Finish(ctx)

	eval, err := client.StartRun(ctx, trove.RunOptions{JobType: "evaluate"})
	if err != nil {
		log.Fatal(err)
	}
	used, err := eval.UseArtifact(ctx, "registry/model/Bike-Classifier:staging")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("used", used.FullName())
	links, _ := v.Links(ctx)
	fmt.Println("linked in", len(links), "collection:", links[0].Name)
	eval.Finish(ctx)
	// Output:
	// registry/model/Bike-Classifier:v0 [latest staging]
	// source: my-entity/bikes/bike-model:v0
	// used registry/model/Bike-Classifier:v0
	// linked in 1 collection: Bike-Classifier
}

// LinkModel logs a model file or directory and links it in one call.
func ExampleRun_LinkModel() {
	ctx := context.Background()
	opts, work, cleanup := scratch()
	defer cleanup()
	client, err := trove.Open(ctx, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer client.Close()

	run, err := client.StartRun(ctx, trove.RunOptions{JobType: "train"})
	if err != nil {
		log.Fatal(err)
	}
	writeFile(filepath.Join(work, "model", "weights.bin"), "w")
	writeFile(filepath.Join(work, "model", "config.json"), "{}")
	link, err := run.LinkModel(ctx, filepath.Join(work, "model"), "Bike-Classifier", "", "candidate")
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(link.FullName(), link.Aliases, link.FileCount, "files")
	fmt.Println("source is", link.Source == "my-entity/bikes/run-"+run.ID+"-model:v0")
	run.Finish(ctx)
	// Output:
	// registry/model/Bike-Classifier:v0 [candidate latest] 2 files
	// source is true
}
