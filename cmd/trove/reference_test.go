package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/troveml/trove/internal/blob/s3test"
)

// refTree writes the walkthrough's example files under dir.
func refTree(t *testing.T, dir string) {
	t.Helper()
	for rel, content := range map[string]string{
		"images/cat.png": "meow", "images/dog.png": "woof!",
		"checkpoints/model.h5": "checkpoint", "model.h5": "final model",
	} {
		p := filepath.Join(dir, filepath.FromSlash(rel))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func fileURI(p string) string { return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String() }

// refRow is a walkthrough row as trove artifact put arguments.
type refRow struct {
	call string
	args []string
}

// putRows logs each row as artifact prefix<i> and returns the golden text of
// their `trove artifact files --json`, with replace applied.
func putRows(t *testing.T, e *env, prefix string, rows []refRow, replace *strings.Replacer) string {
	t.Helper()
	var b strings.Builder
	for i, row := range rows {
		name := fmt.Sprintf("%s%d", prefix, i)
		ref := e.ok(append([]string{"artifact", "put", "-n", name, "-t", "dataset"}, row.args...)...).lastLine()
		if want := "/walkthrough/" + name + ":v0"; !strings.HasSuffix(ref, want) {
			t.Errorf("%s: put printed %q, want …%s", row.call, ref, want)
		}
		fmt.Fprintf(&b, "# %s\n%s", row.call, replace.Replace(e.ok("artifact", "files", name+":v0", "--json").stdout))
	}
	return b.String()
}

// TestReferencePut: `trove artifact put --reference` for every row of the
// walkthrough's tables with local files, as golden manifests; files and
// references together; dedup, a new version when an object changes; get
// fetching and verifying; lineage through trove exec; bad input.
func TestReferencePut(t *testing.T) { modes(t, testReferencePut) }

func testReferencePut(t *testing.T, e *env) {
	data := filepath.Join(e.dir, "shared")
	refTree(t, data)
	refTree(t, e.work)
	u := func(rel string) string { return fileURI(filepath.Join(data, filepath.FromSlash(rel))) }
	files := []refRow{
		{"add_file('model.h5')", []string{"model.h5"}},
		{"add_file('checkpoints/model.h5')", []string{"checkpoints/model.h5"}},
		{"add_dir('images')", []string{"images"}},
	}
	rows := []refRow{
		{"add_reference('file://<dir>/model.h5')", []string{"--reference", u("model.h5")}},
		{"add_reference('file://<dir>/checkpoints/model.h5')", []string{"--reference", u("checkpoints/model.h5")}},
		{"add_reference('file://<dir>/model.h5', name='models/mymodel.h5')", []string{"--reference", u("model.h5"), "--reference-name", "models/mymodel.h5"}},
		{"add_reference('file://<dir>/images')", []string{"--reference", u("images")}},
		{"add_reference('file://<dir>/images', name='images')", []string{"--reference", u("images"), "--reference-name", "images"}},
		{"PATH and a reference", []string{"images", "--reference", u("model.h5"), "--reference-name", "models/mymodel.h5"}},
		{"two references", []string{"--reference", u("images"), "--reference", u("checkpoints")}},
	}
	rep := strings.NewReplacer(fileURI(data), "file://<dir>")
	golden(t, "reference_file_manifests.json", putRows(t, e, "file", files, rep)+putRows(t, e, "ref", rows, rep), nil)

	// Unchanged references dedup; a changed object makes a new version.
	put := []string{"artifact", "put", "model.h5", "-n", "refs", "-t", "dataset", "--reference", u("images"), "--reference-name", "images"}
	v0 := e.ok(put...).lastLine()
	if again := e.ok(put...).lastLine(); again != v0 || !strings.HasSuffix(v0, ":v0") {
		t.Errorf("unchanged references: %s then %s, want v0 twice", v0, again)
	}
	// get fetches and verifies; lineage through exec.
	dir := e.ok("artifact", "get", "refs:v0", "--root", "dl").lastLine()
	if b, err := os.ReadFile(filepath.Join(dir, "images", "dog.png")); err != nil || string(b) != "woof!" {
		t.Errorf("get: images/dog.png = %q, %v", b, err)
	}
	e.ok("exec", "--name", "trainer", "-j", "train", "--use", "refs:v0=DATA", "--log", "refmodel:model=./out.txt",
		"--", "sh", "-c", `cat "$DATA/model.h5" "$DATA/images/cat.png" > out.txt`)
	if b, err := os.ReadFile(filepath.Join(e.work, "out.txt")); err != nil || string(b) != "final modelmeow" {
		t.Errorf("exec read the references as %q, %v", b, err)
	}
	lin := e.ok("lineage", "refmodel:v0", "--direction", "upstream", "--format", "json").stdout
	if !strings.Contains(lin, `"refs:v0"`) || !strings.Contains(lin, `"trainer"`) {
		t.Errorf("upstream lineage of refmodel:v0 lacks refs:v0 or trainer:\n%s", lin)
	}

	if err := os.WriteFile(filepath.Join(data, "images", "dog.png"), []byte("WOOF!"), 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails("images/dog.png", "artifact", "get", "refs:v0", "--root", "dl-after")
	if v1 := e.ok(put...).lastLine(); !strings.HasSuffix(v1, "/refs:v1") {
		t.Errorf("after the object changed: %s, want refs:v1", v1)
	}

	// files --json shows the ref of each entry, null for a stored file.
	fj := jsonOf[[]fileJSON](t, e.ok("artifact", "files", "refs:v1", "--json"))
	var refsOf []string
	for _, f := range fj {
		r := "<stored>"
		if f.Ref != nil {
			r = *f.Ref
		}
		refsOf = append(refsOf, f.Path+" "+r)
	}
	if want := []string{"images/cat.png " + u("images/cat.png"), "images/dog.png " + u("images/dog.png"), "model.h5 <stored>"}; !slices.Equal(refsOf, want) {
		t.Errorf("entries of refs:v1 = %v, want %v", refsOf, want)
	}

	// Bad input: one-line reasons, nothing logged.
	before := e.ok("artifact", "ls", "--json").stdout
	e.fails("nothing to log", "artifact", "put", "-n", "x", "-t", "dataset")
	e.fails("-n NAME is required", "artifact", "put", "--reference", u("model.h5"))
	e.fails("single --reference", "artifact", "put", "-n", "x", "--reference", u("model.h5"), "--reference", u("images"), "--reference-name", "y")
	e.fails("--no-checksum applies to --reference", "artifact", "put", "model.h5", "-n", "x", "--no-checksum")
	e.fails("--reference-name names a --reference", "artifact", "put", "model.h5", "-n", "x", "--reference-name", "y")
	e.fails("--max-objects applies to --reference", "artifact", "put", "model.h5", "-n", "x", "--max-objects", "3")
	e.fails("unsupported scheme", "artifact", "put", "-n", "x", "--reference", "ftp://host/model.h5")
	e.fails("credentials", "artifact", "put", "-n", "x", "--reference", "https://me:secret@example.com/m.h5")
	e.fails("max objects is 0", "artifact", "put", "-n", "x", "--reference", u("images"), "--max-objects", "0")
	e.fails("limit of 1", "artifact", "put", "-n", "x", "--reference", u("images"), "--max-objects", "1")
	e.fails("nope.bin", "artifact", "put", "-n", "x", "--reference", u("nope.bin"))
	e.fails(`"model.h5" is added twice`, "artifact", "put", "model.h5", "-n", "x", "--reference", u("model.h5"))
	if after := e.ok("artifact", "ls", "--json").stdout; after != before {
		t.Errorf("bad input changed the artifacts:\nbefore %s\nafter %s", before, after)
	}

	help := e.ok("artifact", "put", "--help").stdout
	for _, want := range []string{"--reference", "--reference-name", "--no-checksum", "--max-objects", "s3://", "gs://", "file://"} {
		if !strings.Contains(help, want) {
			t.Errorf("put --help does not mention %s", want)
		}
	}
}

// TestReferencePutS3: the walkthrough's reference table on a versioned
// bucket of versitygw, through the CLI. Against a server, only the CLI has
// the AWS settings: references are resolved and fetched by the client.
// Version ids differ from run to run, so the golden file holds paths,
// sizes and refs; the digests are checked to be distinct per object.
func TestReferencePutS3(t *testing.T) { modes(t, testReferencePutS3) }

func testReferencePutS3(t *testing.T, e *env) {
	g := s3test.VersionedServer(t)
	bucket := g.NewVersionedBucket(t)
	put := func(key, content string) {
		t.Helper()
		if _, err := g.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte(content))}); err != nil {
			t.Fatal(err)
		}
	}
	put("images/cat.png", "meow")
	put("images/dog.png", "woof!")
	put("checkpoints/model.h5", "checkpoint")
	put("model.h5", "final model")
	e.vars = append(e.vars, g.Env()...)
	b := "s3://" + bucket
	rows := []refRow{
		{"add_reference('s3://my-bucket/model.h5')", []string{"--reference", b + "/model.h5"}},
		{"add_reference('s3://my-bucket/checkpoints/model.h5')", []string{"--reference", b + "/checkpoints/model.h5"}},
		{"add_reference('s3://my-bucket/model.h5', name='models/mymodel.h5')", []string{"--reference", b + "/model.h5", "--reference-name", "models/mymodel.h5"}},
		{"add_reference('s3://my-bucket/images')", []string{"--reference", b + "/images"}},
		{"add_reference('s3://my-bucket/images', name='images')", []string{"--reference", b + "/images", "--reference-name", "images"}},
	}
	var out strings.Builder
	digests := map[string]string{} // digest → ref
	for i, row := range rows {
		name := fmt.Sprintf("s3ref%d", i)
		e.ok(append([]string{"artifact", "put", "-n", name, "-t", "dataset"}, row.args...)...)
		fmt.Fprintf(&out, "# %s\n", row.call)
		for _, f := range jsonOf[[]fileJSON](t, e.ok("artifact", "files", name+":v0", "--json")) {
			if f.Ref == nil {
				t.Fatalf("%s: entry %s has no ref", row.call, f.Path)
			}
			if prev, ok := digests[f.Digest]; ok && prev != *f.Ref {
				t.Errorf("%s and %s share digest %s", prev, *f.Ref, f.Digest)
			}
			digests[f.Digest] = *f.Ref
			fmt.Fprintf(&out, "%s %d %s\n", f.Path, f.Size, strings.Replace(*f.Ref, bucket, "my-bucket", 1))
		}
	}
	if len(digests) != 4 {
		t.Errorf("%d distinct digests over the 4 objects: %v", len(digests), digests)
	}
	golden(t, "reference_s3_manifests.txt", out.String(), nil)

	// Overwritten: v0 still downloads the contents it logged.
	putArgs := []string{"artifact", "put", "-n", "bucket", "-t", "dataset", "--reference", b + "/model.h5", "--reference", b + "/images", "--max-objects", "10"}
	v0 := e.ok(putArgs...).lastLine()
	put("model.h5", "retrained")
	v1 := e.ok(putArgs...).lastLine()
	if !strings.HasSuffix(v0, ":v0") || !strings.HasSuffix(v1, ":v1") {
		t.Fatalf("versions %s, %s; want v0 then v1", v0, v1)
	}
	for v, want := range map[string]string{"bucket:v0": "final model", "bucket:v1": "retrained"} {
		dir := e.ok("artifact", "get", v, "--root", v).lastLine()
		if b, err := os.ReadFile(filepath.Join(dir, "model.h5")); err != nil || string(b) != want {
			t.Errorf("%s model.h5 = %q, %v; want %q", v, b, err, want)
		}
	}
	e.fails("limit of 1", "artifact", "put", "-n", "x", "--reference", b+"/images", "--max-objects", "1")
}
