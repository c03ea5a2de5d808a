// Command sdkonly is a program that imports the Go SDK and nothing else of
// Trove, as a user's training script does. TestSDKOnlyBinary builds it (its
// size is what the SDK costs a program) and runs it on an embedded store:
// it logs a version, reads it back, and shows that an s3:// reference, whose
// scheme it did not import, is refused with the import to add.
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/troveml/trove"
)

func main() {
	if err := run(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, "sdkonly:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	work, err := os.MkdirTemp("", "sdkonly-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	data := filepath.Join(work, "weights.bin")
	if err := os.WriteFile(data, []byte("trained weights"), 0o600); err != nil {
		return err
	}

	r, err := trove.Init(ctx, trove.RunOptions{Project: "sdkonly", JobType: "train"})
	if err != nil {
		return err
	}
	a := trove.NewArtifact("model", "model")
	if err := a.AddFile(data); err != nil {
		return err
	}
	v, err := r.LogArtifact(ctx, a)
	if err != nil {
		return err
	}
	fmt.Println("logged", v.Name, v.Index)
	if err := r.Finish(ctx); err != nil {
		return err
	}

	c, err := trove.Open(ctx, trove.Options{})
	if err != nil {
		return err
	}
	defer c.Close()
	got, err := c.Artifact(ctx, "sdkonly/model:latest")
	if err != nil {
		return err
	}
	e, err := got.Entry(ctx, "weights.bin")
	if err != nil {
		return err
	}
	p, err := e.Download(ctx, filepath.Join(work, "get"))
	if err != nil {
		return err
	}
	b, err := os.ReadFile(p)
	if err != nil {
		return err
	}
	fmt.Printf("read %s:v%d weights.bin %q\n", got.Name, got.Index, b)

	// Not imported here: refused at once, naming the import.
	err = trove.NewArtifact("refs", "dataset").AddReference("s3://bucket/key")
	fmt.Println("s3 reference:", err)
	return nil
}
