package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestStreamedUpload: a large new file goes to the server while it is
// hashed (one POST, no PUT); a file of a size the server already stores is
// hashed first and sent by digest; unchanged content from a fresh client
// cache sends nothing at all.
func TestStreamedUpload(t *testing.T) {
	const size = 40 << 20 // above the SDK's streaming threshold
	e, s := newServerEnv(t)
	streamed := func() float64 {
		return metric(t, s.url, "trove_http_requests_total", `method="POST"`, `route="POST /api/v1/blobs"`, `code="201"`)
	}
	puts := func() float64 { return blobPuts(t, s.url) }

	writeTree(t, filepath.Join(e.work, "one"), 1, 1, size)
	e.ok("artifact", "put", "one", "-n", "big", "-t", "dataset")
	if got, p := streamed(), puts(); got != 1 || p != 0 {
		t.Fatalf("new large file: %v streamed uploads and %v PUTs, want 1 and 0", got, p)
	}
	e.checkDownload("big:v0", "one")

	// Same size, other content: the server declines the stream (it might
	// be a duplicate) and the client sends it by digest.
	writeTree(t, filepath.Join(e.work, "two"), 2, 1, size)
	if got := e.ok("artifact", "put", "two", "-n", "big", "-t", "dataset").lastLine(); got != "tester/walkthrough/big:v1" {
		t.Fatalf("second put printed %q", got)
	}
	if got, p := streamed(), puts(); got != 1 || p != 1 {
		t.Fatalf("file of a stored size: %v streamed uploads and %v PUTs, want 1 and 1", got, p)
	}
	e.checkDownload("big:v1", "two")

	// Unchanged content, cold client cache: hashed, deduplicated, nothing sent.
	if err := os.RemoveAll(filepath.Join(e.dir, "cache")); err != nil {
		t.Fatal(err)
	}
	if got := e.ok("artifact", "put", "one", "-n", "big", "-t", "dataset").lastLine(); got != "tester/walkthrough/big:v0" {
		t.Fatalf("re-put printed %q, want v0", got)
	}
	if got, p := streamed(), puts(); got != 1 || p != 1 {
		t.Fatalf("re-put sent blobs: %v streamed uploads and %v PUTs", got, p)
	}
}
