package trove

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"cloud.google.com/go/storage"
	"github.com/fsouza/fake-gcs-server/fakestorage"

	// gs:// references, as a program using them imports it.
	_ "github.com/troveml/trove/scheme/gcs"
)

// TestReferenceGCS: gs:// references through the SDK against a GCS
// emulator reached the way users reach one (STORAGE_EMULATOR_HOST, no
// credentials, the emulator's default settings): the walkthrough's naming,
// dedup of unchanged references, a new version after an overwrite, and
// downloads of each version at its generation (versioned bucket).
func TestReferenceGCS(t *testing.T) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	// fake-gcs-server's memory backend races with itself on concurrent
	// reads of one bucket (internal/backend/memory.go, seen by -race), and
	// downloads read in parallel: serialise what reaches it.
	target, err := url.Parse(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(target)
	var one sync.Mutex
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		one.Lock()
		defer one.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	t.Setenv("STORAGE_EMULATOR_HOST", front.URL)
	t.Setenv("GOOGLE_APPLICATION_CREDENTIALS", filepath.Join(t.TempDir(), "absent.json"))
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "zoo-data", VersioningEnabled: true})
	gcs, err := storage.NewClient(context.Background(), storage.WithJSONReads())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gcs.Close() })
	put := func(key, content string) {
		t.Helper()
		w := gcs.Bucket("zoo-data").Object(key).NewWriter(context.Background())
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("model.h5", "final model")
	put("images/cat.png", "meow")
	put("images/dog.png", "woof!")

	c, work := testClient(t)
	ctx := t.Context()
	run := startRun(t, c)
	mk := func() *Artifact {
		a := NewArtifact("gcs-refs", "dataset")
		if err := a.AddReference("gs://zoo-data/images", RefName("images")); err != nil {
			t.Fatal(err)
		}
		if err := a.AddReference("gs://zoo-data/model.h5", RefName("models/mymodel.h5")); err != nil {
			t.Fatal(err)
		}
		return a
	}
	v0, err := run.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	m, err := v0.Files(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range m {
		paths = append(paths, e.Path+" "+e.Ref)
		if e.Ref == "" || e.Extra["generation"] == "" {
			t.Errorf("entry %s: ref %q, extra %v; want a gs:// reference with its generation", e.Path, e.Ref, e.Extra)
		}
	}
	if got, want := strings.Join(paths, "\n"), "images/cat.png gs://zoo-data/images/cat.png\nimages/dog.png gs://zoo-data/images/dog.png\nmodels/mymodel.h5 gs://zoo-data/model.h5"; got != want {
		t.Errorf("manifest:\n%s\nwant:\n%s", got, want)
	}
	if again, err := run.LogArtifact(ctx, mk()); err != nil || again.Index != 0 {
		t.Fatalf("unchanged gs:// references logged again: %v, %v; want v0", again, err)
	}
	put("model.h5", "retrained model")
	v1, err := run.LogArtifact(ctx, mk())
	if err != nil || v1.Index != 1 {
		t.Fatalf("after overwriting model.h5: %v, %v; want v1", v1, err)
	}
	for _, tc := range []struct {
		v    *Version
		want string
	}{{v0, "final model"}, {v1, "retrained model"}} {
		dir, err := tc.v.Download(ctx, filepath.Join(work, tc.v.Label()))
		if err != nil {
			t.Fatalf("download %s: %v", tc.v.Label(), err)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "models", "mymodel.h5")); err != nil || string(b) != tc.want {
			t.Errorf("%s models/mymodel.h5 = %q, %v; want %q", tc.v.Label(), b, err, tc.want)
		}
		if b, err := os.ReadFile(filepath.Join(dir, "images", "cat.png")); err != nil || string(b) != "meow" {
			t.Errorf("%s images/cat.png = %q, %v", tc.v.Label(), b, err)
		}
	}
	a := NewArtifact("gcs-missing", "dataset")
	if err := a.AddReference("gs://zoo-data/nothing-here"); err != nil {
		t.Fatal(err)
	}
	if _, err := run.LogArtifact(ctx, a); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing gs:// object: %v; want not found", err)
	}
}
