package trove

import (
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"
)

func TestIsDownloadTemp(t *testing.T) {
	for name, want := range map[string]bool{
		".trove-0123456789abcdef.tmp":  true,
		".trove-0123456789abcdeF.tmp":  false,
		".trove-0123456789abcde.tmp":   false,
		".trove-0123456789abcdef0.tmp": false,
		".trove-notes.tmp":             false,
		"trove-0123456789abcdef.tmp":   false,
		".trove-0123456789abcdef.txt":  false,
	} {
		if got := isDownloadTemp(name); got != want {
			t.Errorf("isDownloadTemp(%q) = %v", name, got)
		}
	}
}

// TestStaleTempsRemoved: a download removes the temporary files killed
// downloads left in the directories of the version — not one a live
// download holds, nor a user's file of a similar name — and AddDir never
// logs one.
func TestStaleTempsRemoved(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("an open file cannot be removed on Windows: nothing to tell stale from live")
	}
	c, work := testClient(t)
	ctx := t.Context()
	write(t, filepath.Join(work, "src", "top.txt"), "top")
	write(t, filepath.Join(work, "src", "a", "b", "deep.txt"), "deep")
	a := NewArtifact("temps", "dataset")
	if err := a.AddDir(filepath.Join(work, "src")); err != nil {
		t.Fatal(err)
	}
	v, err := startRun(t, c).LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(work, "out")
	if _, err := v.Download(ctx, out); err != nil {
		t.Fatal(err)
	}
	stale := []string{
		filepath.Join(out, ".trove-0000000000000001.tmp"),
		filepath.Join(out, "a", ".trove-0000000000000002.tmp"),
		filepath.Join(out, "a", "b", ".trove-0000000000000003.tmp"),
	}
	for _, p := range stale {
		write(t, p, "half a file")
	}
	mine := filepath.Join(out, "a", ".trove-notes.tmp")
	write(t, mine, "a user's file")
	// A live download's temporary file: created and locked by it.
	root, err := os.OpenRoot(out)
	if err != nil {
		t.Fatal(err)
	}
	defer root.Close()
	live, liveName, err := createTemp(root, "a")
	if err != nil {
		t.Fatal(err)
	}
	defer live.Close()

	if _, err := v.Download(ctx, out); err != nil {
		t.Fatal(err)
	}
	for _, p := range stale {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("stale %s is still there (%v)", p, err)
		}
	}
	for _, p := range []string{mine, filepath.Join(out, liveName)} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}

	again := NewArtifact("again", "dataset")
	if err := again.AddDir(out); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range again.files {
		got = append(got, f.entry)
	}
	slices.Sort(got)
	if want := []string{"a/.trove-notes.tmp", "a/b/deep.txt", "top.txt"}; !slices.Equal(got, want) {
		t.Errorf("AddDir of the download added %v, want %v", got, want)
	}
}
