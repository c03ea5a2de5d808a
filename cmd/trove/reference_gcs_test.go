package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"

	"github.com/fsouza/fake-gcs-server/fakestorage"

	"github.com/troveml/trove/internal/refs"
)

// TestSchemesImported: the trove command imports every optional scheme, so
// the CLI, the server and the Python helper resolve s3:// and gs://
// references whatever an SDK-only program links.
func TestSchemesImported(t *testing.T) {
	if got := refs.Registered(); !slices.Equal(got, []string{"gs", "s3"}) {
		t.Errorf("registered reference schemes %v; want [gs s3]", got)
	}
}

// TestReferencePutGCS: gs:// references through the CLI, against a GCS
// emulator reached as users reach one (STORAGE_EMULATOR_HOST): logged,
// listed and downloaded with their contents.
func TestReferencePutGCS(t *testing.T) { modes(t, testReferencePutGCS) }

func testReferencePutGCS(t *testing.T, e *env) {
	srv, err := fakestorage.NewServerWithOptions(fakestorage.Options{Scheme: "http", Host: "127.0.0.1", Port: 0, Writer: io.Discard})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	// fake-gcs-server's memory backend races with itself on concurrent
	// reads of one bucket: serialise what reaches it.
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
	srv.CreateBucketWithOpts(fakestorage.CreateBucketOpts{Name: "zoo-data"})
	for name, content := range map[string]string{"model.h5": "final model", "images/cat.png": "meow", "images/dog.png": "woof!"} {
		srv.CreateObject(fakestorage.Object{ObjectAttrs: fakestorage.ObjectAttrs{BucketName: "zoo-data", Name: name}, Content: []byte(content)})
	}
	e.vars = append(e.vars, "STORAGE_EMULATOR_HOST="+front.URL, "GOOGLE_APPLICATION_CREDENTIALS="+filepath.Join(t.TempDir(), "absent.json"))

	e.ok("artifact", "put", "-n", "gcs-refs", "-t", "dataset",
		"--reference", "gs://zoo-data/images", "--reference", "gs://zoo-data/model.h5")
	files := jsonOf[[]fileJSON](t, e.ok("artifact", "files", "gcs-refs:v0", "--json"))
	var got []string
	for _, f := range files {
		if f.Ref == nil {
			t.Fatalf("entry %s has no ref", f.Path)
		}
		got = append(got, f.Path+" "+*f.Ref)
	}
	if want := []string{"cat.png gs://zoo-data/images/cat.png", "dog.png gs://zoo-data/images/dog.png", "model.h5 gs://zoo-data/model.h5"}; !slices.Equal(got, want) {
		t.Errorf("manifest %q; want %q", got, want)
	}
	dir := e.ok("artifact", "get", "gcs-refs:v0", "--root", filepath.Join(t.TempDir(), "get")).lastLine()
	for rel, want := range map[string]string{"model.h5": "final model", "dog.png": "woof!"} {
		if b, err := os.ReadFile(filepath.Join(dir, rel)); err != nil || string(b) != want {
			t.Errorf("%s = %q, %v; want %q", rel, b, err, want)
		}
	}
}
