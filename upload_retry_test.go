package trove

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/server"
	"github.com/troveml/trove/internal/service"
)

// dropFront breaks off the connection of the first drops[route] requests of
// a route ("METHOD /exact/path" or "METHOD /prefix/"), after reading half
// their body, as a server killed mid-upload would. It counts every request
// per route.
type dropFront struct {
	h     http.Handler
	mu    sync.Mutex
	drops map[string]int
	calls map[string]int
}

func (f *dropFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	drop := false
	for route, n := range f.drops {
		method, path, _ := strings.Cut(route, " ")
		if r.Method == method && (r.URL.Path == path || strings.HasSuffix(path, "/") && strings.HasPrefix(r.URL.Path, path)) {
			f.calls[route]++
			if n > 0 {
				f.drops[route] = n - 1
				drop = true
			}
		}
	}
	f.mu.Unlock()
	if !drop {
		f.h.ServeHTTP(w, r)
		return
	}
	io.CopyN(io.Discard, r.Body, r.ContentLength/2)
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(err)
	}
	conn.Close()
}

// TestUploadResentAfterBreak: blob uploads broken off mid-body (a server
// restart) are sent again from the start of the file, the small one by
// digest and the large streamed one by falling back to hashing first; the
// log succeeds and the progress counts each byte once.
func TestUploadResentAfterBreak(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	m, err := meta.OpenSQLite(ctx, filepath.Join(dir, "trove.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	b, err := blob.Open(ctx, "file://"+filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	auth := server.NewAuth(m)
	admin := authz.Principal{User: meta.User{Name: "root", Admin: true}}
	_, key, err := auth.Accounts().CreateUser(ctx, admin, "alice", false)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(server.Options{Service: service.New(m, b, service.Options{}), Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	front := &dropFront{h: srv.Handler(), calls: map[string]int{}, drops: map[string]int{
		"PUT /api/v1/blobs/": 2, // each blob's first upload
		"POST /api/v1/blobs": 1, // the streamed upload of the large one
	}}
	ts := httptest.NewServer(front)
	t.Cleanup(ts.Close)
	prog := &countingProgress{}
	c, err := Open(ctx, Options{URL: ts.URL, APIKey: key, Project: "sdk", CacheDir: filepath.Join(dir, "cache"), Progress: prog})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })

	src := filepath.Join(dir, "src")
	small := make([]byte, 1<<20)
	large := make([]byte, streamUploadMin+1<<20)
	for i := range large {
		large[i] = byte(i * 7)
	}
	for i := range small {
		small[i] = byte(i * 13)
	}
	write(t, filepath.Join(src, "small.bin"), string(small))
	write(t, filepath.Join(src, "large.bin"), string(large))
	run := startRun(t, c)
	a := NewArtifact("resent", "dataset")
	if err := a.AddDir(src); err != nil {
		t.Fatal(err)
	}
	v, err := run.LogArtifact(ctx, a)
	if err != nil {
		t.Fatalf("log across broken uploads: %v", err)
	}
	front.mu.Lock()
	puts, streams := front.calls["PUT /api/v1/blobs/"], front.calls["POST /api/v1/blobs"]
	front.mu.Unlock()
	if puts != 4 || streams != 1 {
		t.Errorf("%d blob PUTs and %d streamed uploads, want 4 (2 blobs, each twice) and 1", puts, streams)
	}
	total := int64(len(small) + len(large))
	for phase, n := range prog.reset() {
		if n != total {
			t.Errorf("progress of %s counted %d bytes, want %d", phase, n, total)
		}
	}
	out, err := v.Download(ctx, filepath.Join(dir, "out"))
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string][]byte{"small.bin": small, "large.bin": large} {
		got, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("%s came back different (%v)", name, err)
		}
	}
}
