package trove

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/")

// goldenFile compares got with testdata/name.golden (go test -update
// rewrites it).
func goldenFile(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *updateGolden {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -update rewrites it)\n got:\n%s\nwant:\n%s", name, path, got, want)
	}
}

// walkthroughTree writes the walkthrough's example project directory under
// dir: images/cat.png, images/dog.png, checkpoints/model.h5, model.h5.
func walkthroughTree(t *testing.T, dir string) {
	t.Helper()
	write(t, filepath.Join(dir, "images", "cat.png"), "meow")
	write(t, filepath.Join(dir, "images", "dog.png"), "woof!")
	write(t, filepath.Join(dir, "checkpoints", "model.h5"), "checkpoint")
	write(t, filepath.Join(dir, "model.h5"), "final model")
}

// fileURL is the file:// URI of a local path.
func fileURL(p string) string {
	return (&url.URL{Scheme: "file", Path: filepath.ToSlash(p)}).String()
}

// tableRow is one row of a walkthrough table: the call and how to make it.
type tableRow struct {
	call string
	add  func(a *Artifact) error
}

// manifestLines logs each row as its own artifact and returns the rows
// with their manifests, one entry a line, with replace applied.
func manifestLines(t *testing.T, run *Run, prefix string, rows []tableRow, replace *strings.Replacer) string {
	t.Helper()
	ctx := t.Context()
	var b strings.Builder
	for i, row := range rows {
		a := NewArtifact(fmt.Sprintf("%s%d", prefix, i), "dataset")
		if err := row.add(a); err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		v, err := run.LogArtifact(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		files, err := v.Files(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&b, "%s\n", row.call)
		for _, e := range files {
			line, err := json.Marshal(e)
			if err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "  %s\n", replace.Replace(string(line)))
		}
	}
	return b.String()
}

// TestReferenceWalkthroughFiles is the walkthrough's two tables — files and
// directories, and references — with local files (file://), as golden
// manifests: paths, sizes, digests and refs.
func TestReferenceWalkthroughFiles(t *testing.T) {
	c, work := testClient(t)
	walkthroughTree(t, work)
	run := startRun(t, c)
	p := func(rel string) string { return filepath.Join(work, filepath.FromSlash(rel)) }
	files := []tableRow{
		{"add_file('model.h5')", func(a *Artifact) error { return a.AddFile(p("model.h5")) }},
		{"add_file('checkpoints/model.h5')", func(a *Artifact) error { return a.AddFile(p("checkpoints/model.h5")) }},
		{"add_file('model.h5', name='models/mymodel.h5')", func(a *Artifact) error { return a.AddFile(p("model.h5"), "models/mymodel.h5") }},
		{"add_dir('images')", func(a *Artifact) error { return a.AddDir(p("images")) }},
		{"add_dir('images', name='images')", func(a *Artifact) error { return a.AddDir(p("images"), "images") }},
		{"new_file('hello.txt')", func(a *Artifact) error {
			f, err := a.NewFile("hello.txt")
			if err != nil {
				return err
			}
			f.WriteString("hello")
			return f.Close()
		}},
	}
	u := func(rel string) string { return fileURL(p(rel)) }
	references := []tableRow{
		{"add_reference('file://<dir>/model.h5')", func(a *Artifact) error { return a.AddReference(u("model.h5")) }},
		{"add_reference('file://<dir>/checkpoints/model.h5')", func(a *Artifact) error { return a.AddReference(u("checkpoints/model.h5")) }},
		{"add_reference('file://<dir>/model.h5', name='models/mymodel.h5')", func(a *Artifact) error {
			return a.AddReference(u("model.h5"), RefName("models/mymodel.h5"))
		}},
		{"add_reference('file://<dir>/images')", func(a *Artifact) error { return a.AddReference(u("images")) }},
		{"add_reference('file://<dir>/images', name='images')", func(a *Artifact) error { return a.AddReference(u("images"), RefName("images")) }},
		{"add_reference('file://<dir>/model.h5', checksum=False)", func(a *Artifact) error { return a.AddReference(u("model.h5"), NoChecksum()) }},
	}
	// Without checksums the digest is the URI's, which holds the scratch
	// directory: checked below.
	rep := strings.NewReplacer(fileURL(work), "file://<dir>", refs.URIDigest(u("model.h5")).String(), "<digest of the URI>")
	got := manifestLines(t, run, "file", files, rep) + manifestLines(t, run, "ref", references, rep)
	goldenFile(t, "walkthrough_file_manifests", got)

	// The entry of a file:// reference carries its content's digest, but
	// the version's digest tells it from a stored file of the same bytes:
	// logging the file must store it, not dedup to the reference.
	stored, err := c.Artifact(t.Context(), "file0:v0")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := c.Artifact(t.Context(), "ref0:v0")
	if err != nil {
		t.Fatal(err)
	}
	if stored.Digest == ref.Digest {
		t.Errorf("a stored model.h5 and a reference to it share the artifact digest %s", stored.Digest)
	}
	e, err := ref.Entry(t.Context(), "model.h5")
	if err != nil {
		t.Fatal(err)
	}
	if e.Ref() != u("model.h5") || e.Digest != core.DigestOf([]byte("final model")) {
		t.Errorf("Entry: ref %q digest %s", e.Ref(), e.Digest)
	}
	noSum, err := c.Artifact(t.Context(), "ref5:v0")
	if err != nil {
		t.Fatal(err)
	}
	files5, err := noSum.Files(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if len(files5) != 1 || files5[0].Digest != refs.URIDigest(u("model.h5")) {
		t.Errorf("NoChecksum entry = %+v, want the URI's digest", files5)
	}
}

// s3Env points the AWS SDK of this process at the gateway.
func s3Env(t *testing.T, g *s3test.Gateway) {
	t.Helper()
	for _, kv := range g.Env() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
}

func putObject(t *testing.T, g *s3test.Gateway, bucket, key, content string) string {
	t.Helper()
	out, err := g.Client().PutObject(t.Context(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader([]byte(content))})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
	return aws.ToString(out.VersionId)
}

// walkthroughBucket fills bucket with the walkthrough's S3 example.
func walkthroughBucket(t *testing.T, g *s3test.Gateway, bucket string) {
	t.Helper()
	putObject(t, g, bucket, "images/cat.png", "meow")
	putObject(t, g, bucket, "images/dog.png", "woof!")
	putObject(t, g, bucket, "checkpoints/model.h5", "checkpoint")
	putObject(t, g, bucket, "model.h5", "final model")
}

// TestReferenceWalkthroughS3 is the walkthrough's reference table on a
// versioned bucket of versitygw. Version ids differ from run to run, so the
// golden file holds paths, sizes, refs and ETags, and the digests are
// checked apart: one per object version, as refs derives them.
func TestReferenceWalkthroughS3(t *testing.T) {
	g := s3test.VersionedServer(t)
	s3Env(t, g)
	bucket := g.NewVersionedBucket(t)
	walkthroughBucket(t, g, bucket)
	c, _ := testClient(t)
	run := startRun(t, c)
	b := "s3://" + bucket
	rows := []tableRow{
		{"add_reference('s3://my-bucket/model.h5')", func(a *Artifact) error { return a.AddReference(b + "/model.h5") }},
		{"add_reference('s3://my-bucket/checkpoints/model.h5')", func(a *Artifact) error { return a.AddReference(b + "/checkpoints/model.h5") }},
		{"add_reference('s3://my-bucket/model.h5', name='models/mymodel.h5')", func(a *Artifact) error {
			return a.AddReference(b+"/model.h5", RefName("models/mymodel.h5"))
		}},
		{"add_reference('s3://my-bucket/images')", func(a *Artifact) error { return a.AddReference(b + "/images") }},
		{"add_reference('s3://my-bucket/images', name='images')", func(a *Artifact) error { return a.AddReference(b+"/images", RefName("images")) }},
	}
	ctx := t.Context()
	var out strings.Builder
	for i, row := range rows {
		a := NewArtifact(fmt.Sprintf("s3ref%d", i), "dataset")
		if err := row.add(a); err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		v, err := run.LogArtifact(ctx, a)
		if err != nil {
			t.Fatalf("%s: %v", row.call, err)
		}
		files, err := v.Files(ctx)
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(&out, "%s\n", row.call)
		for _, e := range files {
			checkS3Digest(t, e)
			ref := strings.Replace(e.Ref, bucket, "my-bucket", 1)
			fmt.Fprintf(&out, "  %s %d %s etag=%s versioned=%v\n", e.Path, e.Size, ref, e.Extra["etag"], e.Extra["version_id"] != "")
		}
	}
	goldenFile(t, "walkthrough_s3_manifests", out.String())
}

// checkS3Digest checks that an s3 entry's digest is the identity of the
// object version its extra names.
func checkS3Digest(t *testing.T, e ManifestEntry) {
	t.Helper()
	u, err := url.Parse(e.Ref)
	if err != nil {
		t.Fatal(err)
	}
	want := refs.IdentityDigest("s3", u.Host, strings.TrimPrefix(u.Path, "/"), e.Extra["etag"], fmt.Sprint(e.Size), e.Extra["version_id"])
	if e.Digest != want || e.Extra["version_id"] == "" || e.Extra["etag"] == "" {
		t.Errorf("entry %s: digest %s extra %v; want the identity digest %s of a versioned object", e.Path, e.Digest, e.Extra, want)
	}
}

// TestReferenceDedupLineageDownload: unchanged references dedup to the same
// version, a changed object makes a new one, lineage runs through reference
// artifacts as through stored ones, and downloads fetch and verify.
func TestReferenceDedupLineageDownload(t *testing.T) {
	c, work := testClient(t)
	ctx := t.Context()
	data := filepath.Join(work, "shared")
	walkthroughTree(t, data)
	imgs := fileURL(filepath.Join(data, "images"))
	model := fileURL(filepath.Join(data, "model.h5"))
	mk := func() *Artifact {
		a := NewArtifact("refs", "dataset")
		if err := a.AddReference(imgs, RefName("images")); err != nil {
			t.Fatal(err)
		}
		if err := a.AddReference(model); err != nil {
			t.Fatal(err)
		}
		// Files and references mix.
		if err := a.AddFile(write(t, filepath.Join(work, "labels.csv"), "cat,0\ndog,1\n")); err != nil {
			t.Fatal(err)
		}
		return a
	}
	producer := startRun(t, c)
	v0, err := producer.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	again, err := producer.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	if again.Index != 0 || again.Digest != v0.Digest {
		t.Errorf("unchanged references logged again gave %s, want v0", again.Label())
	}
	if got := paths(t, v0); !slices.Equal(got, []string{"images/cat.png", "images/dog.png", "labels.csv", "model.h5"}) {
		t.Errorf("paths %v", got)
	}

	// Lineage: a run uses the reference artifact and logs a model.
	consumer := startRun(t, c)
	used, err := consumer.UseArtifact(ctx, "refs:v0")
	if err != nil {
		t.Fatal(err)
	}
	out := NewArtifact("trained", "model")
	out.AddFile(write(t, filepath.Join(work, "weights.bin"), "weights"))
	trained, err := consumer.LogArtifact(ctx, out)
	if err != nil {
		t.Fatal(err)
	}
	users, err := used.UsedBy(ctx)
	if err != nil || len(users) != 1 || users[0].ID != consumer.ID {
		t.Errorf("refs:v0 used by %v, %v; want the consumer", users, err)
	}
	by, err := v0.LoggedBy(ctx)
	if err != nil || by == nil || by.ID != producer.ID {
		t.Errorf("refs:v0 logged by %v, %v; want the producer", by, err)
	}
	g, err := trained.Lineage(ctx, LineageOptions{Direction: Upstream})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, n := range g.Nodes {
		names = append(names, n.Name)
	}
	if !slices.Contains(names, "refs:v0") {
		t.Errorf("upstream of trained:v0 = %v, want refs:v0 in it", names)
	}

	// Download fetches and verifies; a present valid copy is kept.
	dl := filepath.Join(work, "dl")
	dir, err := v0.Download(ctx, dl)
	if err != nil {
		t.Fatal(err)
	}
	for rel, want := range map[string]string{"images/cat.png": "meow", "images/dog.png": "woof!", "model.h5": "final model", "labels.csv": "cat,0\ndog,1\n"} {
		if b, err := os.ReadFile(filepath.Join(dir, rel)); err != nil || string(b) != want {
			t.Errorf("downloaded %s = %q, %v; want %q", rel, b, err, want)
		}
	}
	e, err := v0.Entry(ctx, "images/dog.png")
	if err != nil {
		t.Fatal(err)
	}
	if e.Ref() != fileURL(filepath.Join(data, "images", "dog.png")) {
		t.Errorf("Entry.Ref() = %q", e.Ref())
	}

	// The referenced object changes.
	write(t, filepath.Join(data, "images", "dog.png"), "WOOF!")
	// The copy downloaded before is still valid: nothing is fetched, so
	// the change goes unnoticed there.
	if _, err := v0.Download(ctx, dl); err != nil {
		t.Errorf("download over a valid copy: %v", err)
	}
	// A fresh download cannot deliver what was logged.
	_, err = v0.Download(ctx, filepath.Join(work, "dl2"))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "images/dog.png") {
		t.Errorf("download of a changed file:// reference: %v; want a corrupt error naming images/dog.png", err)
	}
	if _, err := os.Stat(filepath.Join(work, "dl2", "images", "dog.png")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file failing verification was left in place: %v", err)
	}
	if _, err := e.Download(ctx, filepath.Join(work, "dl3")); !errors.Is(err, ErrCorrupt) {
		t.Errorf("Entry.Download of the changed reference: %v, want corrupt", err)
	}
	// Logged again, the changed reference is a new version.
	v1, err := producer.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	if v1.Index != 1 {
		t.Errorf("after the object changed: %s, want v1", v1.Label())
	}
	if _, err := v1.Download(ctx, filepath.Join(work, "dl4")); err != nil {
		t.Errorf("download of v1: %v", err)
	}
}

// TestReferenceBadInput: bad references get clear errors, at AddReference
// for what needs no I/O, else at LogArtifact, which then commits nothing.
func TestReferenceBadInput(t *testing.T) {
	c, work := testClient(t)
	ctx := t.Context()
	write(t, filepath.Join(work, "dir", "a.txt"), "a")
	write(t, filepath.Join(work, "dir", "b.txt"), "b")
	good := fileURL(filepath.Join(work, "dir", "a.txt"))
	for _, tc := range []struct {
		uri  string
		opts []RefOption
		want string
	}{
		{"", nil, "empty"},
		{"model.h5", nil, "no scheme"},
		{"ftp://host/x", nil, "unsupported scheme"},
		{"s3://", nil, "no bucket"},
		{"s3:bucket/key", nil, "want s3://"},
		{"https://user:secret@example.com/x", nil, "credentials"},
		{"http:///x", nil, "no host"},
		{"file://host/x", nil, "local path"},
		{"file:///", nil, "absolute path"},
		{"https://example.com/x#frag", nil, "fragment"},
		{"s3://b/k?versionId=1", nil, "query"},
		{"%zz", nil, "invalid"},
		{good, []RefOption{MaxObjects(0)}, "max objects"},
		{good, []RefOption{MaxObjects(-3)}, "max objects"},
		{good, []RefOption{RefName("../up")}, "name"},
		{good, []RefOption{nil}, "nil option"},
	} {
		a := NewArtifact("bad", "dataset")
		err := a.AddReference(tc.uri, tc.opts...)
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("AddReference(%q): %v; want invalid, mentioning %q", tc.uri, err, tc.want)
		}
		if len(a.refs) != 0 {
			t.Errorf("AddReference(%q) failed but added a reference", tc.uri)
		}
	}
	run := startRun(t, c)
	committed := func(name string) bool {
		_, err := c.Artifact(ctx, name)
		return err == nil
	}
	for _, tc := range []struct {
		name string
		add  func(a *Artifact) error
		kind error
		want string
	}{
		{"missing", func(a *Artifact) error { return a.AddReference(fileURL(filepath.Join(work, "nope.bin"))) }, ErrNotFound, "nope.bin"},
		{"over-limit", func(a *Artifact) error { return a.AddReference(fileURL(filepath.Join(work, "dir")), MaxObjects(1)) }, ErrTooLarge, "limit"},
		{"conflict-file", func(a *Artifact) error {
			if err := a.AddFile(filepath.Join(work, "dir", "a.txt")); err != nil {
				return err
			}
			return a.AddReference(good)
		}, ErrConflict, `"a.txt" is added twice`},
		{"conflict-refs", func(a *Artifact) error {
			if err := a.AddReference(good); err != nil {
				return err
			}
			return a.AddReference(fileURL(filepath.Join(work, "dir")))
		}, ErrConflict, `"a.txt" is added twice`},
		{"file-and-dir", func(a *Artifact) error {
			if err := a.AddReference(good, RefName("x")); err != nil {
				return err
			}
			return a.AddReference(fileURL(filepath.Join(work, "dir")), RefName("x"))
		}, ErrConflict, "x"},
	} {
		a := NewArtifact(tc.name, "dataset")
		if err := tc.add(a); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		_, err := run.LogArtifact(ctx, a)
		if !errors.Is(err, tc.kind) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: LogArtifact: %v; want %v mentioning %q", tc.name, err, tc.kind, tc.want)
		}
		if committed(tc.name) {
			t.Errorf("%s: a version was committed", tc.name)
		}
	}
	// A named reference colliding with a file already added fails at once.
	a := NewArtifact("early", "dataset")
	if err := a.AddFile(filepath.Join(work, "dir", "a.txt")); err != nil {
		t.Fatal(err)
	}
	if err := a.AddReference(good, RefName("a.txt")); !errors.Is(err, ErrConflict) {
		t.Errorf("AddReference onto a file's path: %v, want conflict", err)
	}
	// Logged, the artifact is final.
	if _, err := run.LogArtifact(ctx, a); err != nil {
		t.Fatal(err)
	}
	if err := a.AddReference(good, RefName("late")); !errors.Is(err, ErrConflict) {
		t.Errorf("AddReference after logging: %v, want conflict", err)
	}
}

// TestReferenceS3Versions: on a versioned bucket, an overwritten object is
// downloaded as it was logged; unchanged references dedup, a changed object
// makes a new version; a prefix over the limit fails the log.
func TestReferenceS3Versions(t *testing.T) {
	g := s3test.VersionedServer(t)
	s3Env(t, g)
	bucket := g.NewVersionedBucket(t)
	walkthroughBucket(t, g, bucket)
	c, work := testClient(t)
	ctx := t.Context()
	run := startRun(t, c)
	mk := func() *Artifact {
		a := NewArtifact("bucket-refs", "dataset")
		if err := a.AddReference("s3://"+bucket+"/images", RefName("images")); err != nil {
			t.Fatal(err)
		}
		if err := a.AddReference("s3://" + bucket + "/model.h5"); err != nil {
			t.Fatal(err)
		}
		return a
	}
	v0, err := run.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	if again, err := run.LogArtifact(ctx, mk()); err != nil || again.Index != 0 {
		t.Fatalf("unchanged S3 references logged again: %v, %v; want v0", again, err)
	}
	putObject(t, g, bucket, "model.h5", "retrained model, longer")
	v1, err := run.LogArtifact(ctx, mk())
	if err != nil || v1.Index != 1 {
		t.Fatalf("after overwriting model.h5: %v, %v; want v1", v1, err)
	}
	// v0 downloads the old model.h5, v1 the new one.
	for _, tc := range []struct {
		v    *Version
		want string
	}{{v0, "final model"}, {v1, "retrained model, longer"}} {
		dir, err := tc.v.Download(ctx, filepath.Join(work, tc.v.Label()))
		if err != nil {
			t.Fatalf("download %s: %v", tc.v.Label(), err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "model.h5")); err != nil || string(b) != tc.want {
			t.Errorf("%s model.h5 = %q, %v; want %q", tc.v.Label(), b, err, tc.want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "images", "dog.png")); err != nil || string(b) != "woof!" {
			t.Errorf("%s images/dog.png = %q, %v", tc.v.Label(), b, err)
		}
	}
	// Over the limit: an error naming the limit, nothing committed.
	a := NewArtifact("too-many", "dataset")
	if err := a.AddReference("s3://"+bucket+"/images", MaxObjects(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := run.LogArtifact(ctx, a); !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "limit of 1") {
		t.Errorf("prefix over the limit: %v; want too large naming the limit", err)
	}
	if _, err := c.Artifact(ctx, "too-many"); !errors.Is(err, ErrNotFound) {
		t.Errorf("too-many was committed: %v", err)
	}
	// A missing object fails the log.
	a = NewArtifact("missing", "dataset")
	if err := a.AddReference("s3://" + bucket + "/nope.h5"); err != nil {
		t.Fatal(err)
	}
	if _, err := run.LogArtifact(ctx, a); !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "nope.h5") {
		t.Errorf("missing object: %v; want not found naming it", err)
	}
}

// TestReferenceHTTP: http references with and without ETag through the
// SDK: dedup, a new version when the object changes, downloads, and a
// changed object that cannot be pinned is an error naming the entry.
func TestReferenceHTTP(t *testing.T) {
	var mu sync.Mutex
	content := map[string]string{"/etag/model.h5": "weights v1", "/plain/table.csv": "a,b\n1,2\n"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		body, ok := content[r.URL.Path]
		mu.Unlock()
		if !ok {
			http.NotFound(w, r)
			return
		}
		if strings.HasPrefix(r.URL.Path, "/etag/") {
			w.Header().Set("ETag", fmt.Sprintf("%q", core.DigestOf([]byte(body)).String()[7:23]))
		}
		http.ServeContent(w, r, "", time.Time{}, strings.NewReader(body))
	}))
	defer srv.Close()
	set := func(p, body string) {
		mu.Lock()
		content[p] = body
		mu.Unlock()
	}
	c, work := testClient(t)
	ctx := t.Context()
	run := startRun(t, c)
	mk := func() *Artifact {
		a := NewArtifact("web", "dataset")
		if err := a.AddReference(srv.URL + "/etag/model.h5"); err != nil {
			t.Fatal(err)
		}
		if err := a.AddReference(srv.URL+"/plain/table.csv", RefName("tables/table.csv")); err != nil {
			t.Fatal(err)
		}
		return a
	}
	v0, err := run.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	if got := paths(t, v0); !slices.Equal(got, []string{"model.h5", "tables/table.csv"}) {
		t.Errorf("paths %v", got)
	}
	if again, err := run.LogArtifact(ctx, mk()); err != nil || again.Index != 0 {
		t.Fatalf("unchanged http references: %v, %v; want v0", again, err)
	}
	dir, err := v0.Download(ctx, filepath.Join(work, "v0"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "tables", "table.csv")); err != nil || string(b) != "a,b\n1,2\n" {
		t.Errorf("table.csv = %q, %v", b, err)
	}
	// Without an ETag only the size identifies the object: a change of
	// size is a new version.
	set("/plain/table.csv", "a,b\n1,2\n3,4\n")
	v1, err := run.LogArtifact(ctx, mk())
	if err != nil || v1.Index != 1 {
		t.Fatalf("after table.csv grew: %v, %v; want v1", v1, err)
	}
	// A new ETag is a new version; the old one cannot be fetched any more.
	set("/etag/model.h5", "weights v2")
	v2, err := run.LogArtifact(ctx, mk())
	if err != nil || v2.Index != 2 {
		t.Fatalf("after model.h5 changed: %v, %v; want v2", v2, err)
	}
	_, err = v1.Download(ctx, filepath.Join(work, "v1"))
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"model.h5"`) {
		t.Errorf("download of a changed http reference: %v; want corrupt naming model.h5", err)
	}
	dir, err = v2.Download(ctx, filepath.Join(work, "v2"))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "model.h5")); err != nil || string(b) != "weights v2" {
		t.Errorf("model.h5 = %q, %v", b, err)
	}
	// Fetched again each time (no local check is possible): a download
	// over the valid copy still asks the server, and still succeeds.
	if _, err := v2.Download(ctx, filepath.Join(work, "v2")); err != nil {
		t.Errorf("second download of v2: %v", err)
	}
	// A missing object fails the log.
	a := NewArtifact("web-missing", "dataset")
	if err := a.AddReference(srv.URL + "/nope"); err != nil {
		t.Fatal(err)
	}
	if _, err := run.LogArtifact(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing http object: %v, want not found", err)
	}
}
