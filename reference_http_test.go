package trove

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestReferenceHTTPPinning: logging an http reference whose server sends
// neither ETag nor Last-Modified says so through Notify (once, naming the
// URL); one with Last-Modified is pinned by it and logs silently; an HTML
// directory listing is refused, and nothing is committed, unless AllowHTML.
func TestReferenceHTTPPinning(t *testing.T) {
	var modMu sync.Mutex
	mod := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/plain.csv":
			w.Header().Set("Content-Length", "4")
			io.WriteString(w, "a,b\n")
		case "/dated.csv":
			modMu.Lock()
			m := mod
			modMu.Unlock()
			http.ServeContent(w, r, "", m, strings.NewReader("c,d\n"))
		case "/data/":
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			io.WriteString(w, `<html><a href="x.csv">x.csv</a></html>`)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	var mu sync.Mutex
	var said []string
	c, err := Open(t.Context(), Options{
		URL: filepath.Join(dir, "data"), CacheDir: filepath.Join(dir, "cache"), Entity: "tester", Project: "sdk",
		Notify: func(msg string) { mu.Lock(); said = append(said, msg); mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	run := startRun(t, c)
	ctx := t.Context()

	mk := func() *Artifact {
		a := NewArtifact("web", "dataset")
		a.AddReference(srv.URL + "/plain.csv")
		a.AddReference(srv.URL + "/dated.csv")
		return a
	}
	v, err := run.LogArtifact(ctx, mk())
	if err != nil {
		t.Fatal(err)
	}
	if len(said) != 1 || !strings.Contains(said[0], srv.URL+"/plain.csv") || !strings.Contains(said[0], "neither ETag nor Last-Modified") {
		t.Errorf("notices %q; want one warning naming /plain.csv", said)
	}
	// Last-Modified pins dated.csv: a change of the same size is a new
	// version, and the old one no longer downloads.
	if again, err := run.LogArtifact(ctx, mk()); err != nil || again.Index != 0 {
		t.Fatalf("unchanged: %v, %v; want v0", again, err)
	}
	modMu.Lock()
	mod = mod.Add(time.Minute)
	modMu.Unlock()
	if v1, err := run.LogArtifact(ctx, mk()); err != nil || v1.Index != 1 {
		t.Fatalf("after dated.csv was modified: %v, %v; want v1", v1, err)
	}
	if _, err := v.Download(ctx, filepath.Join(dir, "v0")); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "dated.csv") {
		t.Errorf("download of v0: %v; want corrupt naming dated.csv", err)
	}

	said = nil
	b := NewArtifact("listing", "dataset")
	b.AddReference(srv.URL + "/data/")
	_, err = run.LogArtifact(ctx, b)
	if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), "directory listing") {
		t.Fatalf("log of an HTML listing: %v; want invalid naming a directory listing", err)
	}
	if _, err := c.Artifact(ctx, "listing"); !errors.Is(err, ErrNotFound) {
		t.Errorf("after the refusal: %v; want not found", err)
	}
	b = NewArtifact("listing", "dataset")
	b.AddReference(srv.URL+"/data/", AllowHTML(), RefName("index.html"))
	if _, err := run.LogArtifact(ctx, b); err != nil {
		t.Errorf("with AllowHTML: %v", err)
	}
	// The listing has no ETag either: that is said too.
	if len(said) != 1 || !strings.Contains(said[0], srv.URL+"/data/") {
		t.Errorf("notices %q; want one naming /data/", said)
	}
}
