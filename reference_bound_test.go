package trove

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
)

// TestReferenceStopsAtRecordedSize: an http reference logged at 8 bytes
// (without checksums: nothing but its size to hold it to) whose server then
// sends a body that never ends fails its download at once, as corrupt,
// naming the entry, and leaves nothing in the target directory.
func TestReferenceStopsAtRecordedSize(t *testing.T) {
	var endless atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !endless.Load() || r.Method == http.MethodHead {
			w.Header().Set("Content-Length", "8")
			io.WriteString(w, "8 bytes!")
			return
		}
		w.(http.Flusher).Flush() // chunked: no length to refuse at once
		buf := make([]byte, 64<<10)
		for {
			if _, err := w.Write(buf); err != nil {
				return
			}
		}
	}))
	defer srv.Close()
	c, work := testClient(t)
	ctx := t.Context()
	a := NewArtifact("endless", "dataset")
	if err := a.AddReference(srv.URL+"/data/weights.bin", NoChecksum()); err != nil {
		t.Fatal(err)
	}
	v, err := startRun(t, c).LogArtifact(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	endless.Store(true)
	dir := filepath.Join(work, "out")
	_, err = v.Download(ctx, dir)
	if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), `"weights.bin"`) {
		t.Fatalf("download of an endless reference: %v; want corrupt naming weights.bin", err)
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Errorf("the failed download left %v in %s", ents, dir)
	}
}
