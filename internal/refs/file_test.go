package refs_test

import (
	"errors"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// resolver returns a resolver of the schemes under test; gs stays out.
func fileResolver() *refs.Resolver {
	return refs.NewResolver(map[string]refs.Scheme{"file": refs.NewFile()})
}

func write(t *testing.T, p, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileURL(p string) string { return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String() }

// readAll reads the entry through r and returns its contents or the error.
func readAll(t *testing.T, r *refs.Resolver, e core.Entry) (string, error) {
	t.Helper()
	rc, err := r.Open(t.Context(), e)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	b, err := io.ReadAll(rc)
	return string(b), err
}

// paths returns the entries' paths.
func paths(es []core.Entry) string {
	var ps []string
	for _, e := range es {
		ps = append(ps, e.Path)
	}
	return strings.Join(ps, ",")
}

func wantKind(t *testing.T, err, kind error, contains ...string) {
	t.Helper()
	if !errors.Is(err, kind) {
		t.Fatalf("error = %v; want kind %v", err, kind)
	}
	for _, c := range contains {
		if !strings.Contains(err.Error(), c) {
			t.Errorf("error %q does not mention %q", err, c)
		}
	}
}

func TestFileSingleAndDirectory(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "model.h5"), "weights")
	write(t, filepath.Join(dir, "images", "cat.png"), "meow")
	write(t, filepath.Join(dir, "images", "dog.png"), "woof")
	write(t, filepath.Join(dir, "images", "more", "bird.png"), "tweet")
	r := fileResolver()
	ctx := t.Context()

	es, err := r.Resolve(ctx, fileURL(filepath.Join(dir, "model.h5")), refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != 1 || es[0].Path != "model.h5" || es[0].Size != 7 || es[0].Digest != core.DigestOf([]byte("weights")) {
		t.Fatalf("single file = %+v", es)
	}
	if es[0].Ref != fileURL(filepath.Join(dir, "model.h5")) {
		t.Errorf("Ref = %q", es[0].Ref)
	}
	if got, err := readAll(t, r, es[0]); err != nil || got != "weights" {
		t.Errorf("Open = %q, %v", got, err)
	}
	// localhost is this machine too, and names the same object.
	lh := "file://localhost" + filepath.ToSlash(filepath.Join(dir, "model.h5"))
	es2, err := r.Resolve(ctx, lh, refs.Options{Name: "models/m.h5"})
	if err != nil || len(es2) != 1 || es2[0].Path != "models/m.h5" || es2[0].Digest != es[0].Digest {
		t.Errorf("Resolve(%s, Name) = %+v, %v", lh, es2, err)
	}

	for _, tc := range []struct{ name, want string }{
		{"", "cat.png,dog.png,more/bird.png"},
		{"images", "images/cat.png,images/dog.png,images/more/bird.png"},
	} {
		es, err := r.Resolve(ctx, fileURL(filepath.Join(dir, "images"))+"/", refs.Options{Name: tc.name})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths(es); got != tc.want {
			t.Errorf("directory with name %q = %s; want %s", tc.name, got, tc.want)
		}
		for _, e := range es {
			got, err := readAll(t, r, e)
			if err != nil {
				t.Fatal(err)
			}
			if e.Digest != core.DigestOf([]byte(got)) || e.Size != int64(len(got)) {
				t.Errorf("%s: digest/size %v/%d do not match contents %q", e.Path, e.Digest, e.Size, got)
			}
		}
	}
}

func TestFileChangedAfterLogging(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "data.csv")
	write(t, p, "a,b\n1,2\n")
	r := fileResolver()
	es, err := r.Resolve(t.Context(), fileURL(p), refs.Options{Name: "train/data.csv"})
	if err != nil {
		t.Fatal(err)
	}
	// Same size, other bytes: found at the end of the read.
	write(t, p, "a,b\n1,3\n")
	_, err = readAll(t, r, es[0])
	wantKind(t, err, core.ErrCorrupt, "train/data.csv", "changed")
	// Another size: found at open.
	write(t, p, "a,b\n")
	_, err = r.Open(t.Context(), es[0])
	wantKind(t, err, core.ErrCorrupt, "train/data.csv")
	// Gone.
	os.Remove(p)
	_, err = r.Open(t.Context(), es[0])
	wantKind(t, err, core.ErrNotFound, "train/data.csv")
}

func TestFileNoChecksum(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "data.csv")
	write(t, p, "v1")
	r := fileResolver()
	es, err := r.Resolve(t.Context(), fileURL(p), refs.Options{NoChecksum: true})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Digest != refs.URIDigest(fileURL(p)) || es[0].Extra != nil || es[0].Size != 2 {
		t.Fatalf("entry without checksum = %+v", es[0])
	}
	write(t, p, "v2")
	if got, err := readAll(t, r, es[0]); err != nil || got != "v2" {
		t.Errorf("Open of a changed file logged without checksum = %q, %v; want its new contents", got, err)
	}
	// The recorded size still holds.
	write(t, p, "version 2")
	_, err = readAll(t, r, es[0])
	wantKind(t, err, core.ErrCorrupt, `entry "data.csv"`, "9 bytes, 2 when it was logged")
}

func TestFileLimit(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a", "b", "c", "d/e"} {
		write(t, filepath.Join(dir, n), n)
	}
	r := fileResolver()
	_, err := r.Resolve(t.Context(), fileURL(dir), refs.Options{MaxObjects: 3})
	wantKind(t, err, core.ErrTooLarge, "limit of 3")
	es, err := r.Resolve(t.Context(), fileURL(dir), refs.Options{MaxObjects: 4})
	if err != nil || paths(es) != "a,b,c,d/e" {
		t.Errorf("at the limit: %s, %v", paths(es), err)
	}
}

func TestFileSymlinks(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "data")
	write(t, filepath.Join(dir, "real", "x.txt"), "x")
	write(t, filepath.Join(base, "secret.txt"), "secret")
	if err := os.Symlink(filepath.Join(dir, "real", "x.txt"), filepath.Join(dir, "alias.txt")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("real", filepath.Join(dir, "linked")); err != nil {
		t.Fatal(err)
	}
	r := fileResolver()
	es, err := r.Resolve(t.Context(), fileURL(dir), refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(es); got != "alias.txt,linked/x.txt,real/x.txt" {
		t.Errorf("links inside the directory: %s", got)
	}

	// A link out of the directory is refused, by name.
	if err := os.Symlink(filepath.Join(base, "secret.txt"), filepath.Join(dir, "real", "escape")); err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(t.Context(), fileURL(dir), refs.Options{})
	wantKind(t, err, core.ErrInvalid, "/escape", "outside") // reached as linked/escape first
	os.Remove(filepath.Join(dir, "real", "escape"))

	// A link back up is a cycle.
	if err := os.Symlink("..", filepath.Join(dir, "real", "up")); err != nil {
		t.Fatal(err)
	}
	_, err = r.Resolve(t.Context(), fileURL(dir), refs.Options{})
	wantKind(t, err, core.ErrInvalid, "/up", "cycle")
}

func TestFileBadURIs(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "f"), "f")
	r := fileResolver()
	for _, uri := range []string{
		"file:relative/path",
		"file://otherhost" + filepath.ToSlash(dir) + "/f",
		"file://user@localhost" + filepath.ToSlash(dir) + "/f",
		fileURL(dir) + "/f?x=1",
		fileURL(dir) + "/f#frag",
		"file://",
	} {
		if _, err := r.Resolve(t.Context(), uri, refs.Options{}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Resolve(%q) = %v; want ErrInvalid", uri, err)
		}
	}
	_, err := r.Resolve(t.Context(), fileURL(filepath.Join(dir, "missing")), refs.Options{})
	wantKind(t, err, core.ErrNotFound, "missing")
	empty := filepath.Join(dir, "empty")
	os.Mkdir(empty, 0o755)
	_, err = r.Resolve(t.Context(), fileURL(empty), refs.Options{})
	wantKind(t, err, core.ErrNotFound, "no files")
}

// TestFileManyFilesParallel hashes a directory of many files (on all cores)
// and checks every digest.
func TestFileManyFilesParallel(t *testing.T) {
	dir := t.TempDir()
	want := map[string]string{}
	for i := range 200 {
		n := filepath.Join("d"+string(rune('a'+i%5)), "f"+strings.Repeat("x", i%7)+string(rune('A'+i%26))+".bin")
		c := strings.Repeat(n, i)
		want[filepath.ToSlash(n)] = c
		write(t, filepath.Join(dir, n), c)
	}
	es, err := fileResolver().Resolve(t.Context(), fileURL(dir), refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != len(want) {
		t.Fatalf("%d entries; want %d", len(es), len(want))
	}
	for _, e := range es {
		if c, ok := want[e.Path]; !ok || e.Digest != core.DigestOf([]byte(c)) || e.Size != int64(len(c)) {
			t.Errorf("%s: %v %d", e.Path, e.Digest, e.Size)
		}
	}
}
