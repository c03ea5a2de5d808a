package main

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestReferenceHTTPListing: `trove artifact put --reference` of a URL that
// answers with an HTML directory listing fails with a one-line reason
// naming --allow-html and logs nothing; with --allow-html it is logged, and
// stderr warns that the page (no ETag, no Last-Modified) cannot be pinned.
func TestReferenceHTTPListing(t *testing.T) { modes(t, testReferenceHTTPListing) }

func testReferenceHTTPListing(t *testing.T, e *env) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		io.WriteString(w, `<html><a href="a.csv">a.csv</a></html>`)
	}))
	defer srv.Close()
	e.fails("--allow-html", "artifact", "put", "--reference", srv.URL+"/data/", "-n", "listing", "-t", "dataset")
	e.fails("not found", "artifact", "versions", "listing")
	e.write("x.csv", "a,b\n")
	e.fails("--allow-html applies to --reference", "artifact", "put", "x.csv", "--allow-html", "-t", "dataset")
	r := e.ok("artifact", "put", "--reference", srv.URL+"/data/", "--allow-html", "-n", "listing", "-t", "dataset")
	if !strings.HasSuffix(r.lastLine(), "/listing:v0") {
		t.Errorf("put printed %q", r.lastLine())
	}
	if !strings.Contains(r.stderr, "warning: reference "+srv.URL+"/data/: its server sends neither ETag nor Last-Modified") {
		t.Errorf("stderr %q: want the warning that it cannot be pinned", r.stderr)
	}
}
