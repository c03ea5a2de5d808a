package client_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/server"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/service/servicetest"
)

// newTestAuth returns the Auth of the test servers, an API key it accepts
// and the name of that key's user. It is the real authz, as the site
// administrator. (Any server.Auth would do, such as one accepting a fixed
// key and guarding nothing.)
func newTestAuth(t *testing.T, m *meta.Store) (server.Auth, string, string) {
	t.Helper()
	a := server.NewAuth(m)
	_, keyFile, err := a.Accounts().Bootstrap(context.Background(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	return a, strings.TrimSpace(string(key)), "admin"
}

// env is a server on a real service (SQLite, file blobs) and its parts.
type env struct {
	svc   *service.Service
	meta  *meta.Store
	blobs *blob.Bucket
	srv   *server.Server
	ts    *httptest.Server
	auth  server.Auth
	key   string
	dir   string // data directory: trove.db and blobs/
}

type envOptions struct {
	server server.Options
	wrap   func(service.API) service.API // wraps the service the server sees
	front  func(http.Handler) http.Handler
	now    func() time.Time // the service's clock; nil means time.Now
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
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
	e := &env{svc: service.New(m, b, service.Options{Now: o.now}), meta: m, blobs: b, dir: dir}
	opts := o.server
	opts.Service = e.svc
	if o.wrap != nil {
		opts.Service = o.wrap(e.svc)
	}
	opts.Auth, e.key, _ = newTestAuth(t, m)
	e.auth = opts.Auth
	if e.srv, err = server.New(opts); err != nil {
		t.Fatal(err)
	}
	var h http.Handler = e.srv.Handler()
	if o.front != nil {
		h = o.front(h)
	}
	e.ts = httptest.NewServer(h)
	t.Cleanup(e.ts.Close)
	return e
}

func (e *env) client(t *testing.T, opts client.Options) *client.Client {
	t.Helper()
	if opts.APIKey == "" {
		opts.APIKey = e.key
	}
	c, err := client.New(e.ts.URL, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestConformance(t *testing.T) {
	servicetest.Run(t, func(t *testing.T) service.API {
		return newEnv(t, envOptions{}).client(t, client.Options{})
	})
}

// objectStore is a stand-in for S3 behind presigned URLs: it keeps blobs in
// a blob store, checks the "signature" and refuses requests that carry
// another authentication, as S3 does.
type objectStore struct {
	b  *blob.Bucket
	ts *httptest.Server

	mu       sync.Mutex
	puts     int
	gets     int
	sawAuth  bool
	failGets int // GETs to break off after half the body
}

func newObjectStore(t *testing.T, b *blob.Bucket) *objectStore {
	o := &objectStore{b: b}
	o.ts = httptest.NewServer(o)
	t.Cleanup(o.ts.Close)
	return o
}

func (o *objectStore) PresignGet(ctx context.Context, d core.Digest, ttl time.Duration) (string, error) {
	return o.ts.URL + "/bucket/" + d.Hex() + "?X-Sig=get", nil
}

func (o *objectStore) PresignPut(ctx context.Context, d core.Digest, size int64, ttl time.Duration, proof string) (string, http.Header, error) {
	return o.ts.URL + "/bucket/" + d.Hex() + "?X-Sig=put&size=" + strconv.FormatInt(size, 10),
		http.Header{"X-Checksum-Sha256": {d.Hex()}}, nil
}

func (o *objectStore) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	return "", nil
}

func (o *objectStore) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	o.mu.Lock()
	if r.Header.Get("Authorization") != "" {
		o.sawAuth = true
		o.mu.Unlock()
		http.Error(w, "<Code>InvalidArgument</Code>Only one auth mechanism allowed", http.StatusBadRequest)
		return
	}
	o.mu.Unlock()
	d, err := core.ParseDigest(core.DigestPrefix + strings.TrimPrefix(r.URL.Path, "/bucket/"))
	if err != nil {
		http.Error(w, "<Code>NoSuchKey</Code>", http.StatusNotFound)
		return
	}
	switch q := r.URL.Query(); {
	case r.Method == http.MethodPut && q.Get("X-Sig") == "put":
		if r.Header.Get("X-Checksum-Sha256") != d.Hex() || q.Get("size") != strconv.FormatInt(r.ContentLength, 10) {
			http.Error(w, "<Code>SignatureDoesNotMatch</Code>", http.StatusForbidden)
			return
		}
		o.mu.Lock()
		o.puts++
		o.mu.Unlock()
		if err := o.b.Put(r.Context(), d, r.ContentLength, r.Body); errors.Is(err, core.ErrCorrupt) {
			http.Error(w, "<Code>BadDigest</Code>The Content-MD5 or checksum value you specified did not match what we received.", http.StatusBadRequest)
		} else if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
		}
	case r.Method == http.MethodGet && q.Get("X-Sig") == "get":
		rc, err := o.b.Get(r.Context(), d)
		if err != nil {
			http.Error(w, "<Code>NoSuchKey</Code>", http.StatusNotFound)
			return
		}
		defer rc.Close()
		o.mu.Lock()
		o.gets++
		fail := o.failGets > 0
		o.failGets--
		o.mu.Unlock()
		var from int64
		if rg := r.Header.Get("Range"); rg != "" {
			from, _ = strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(rg, "bytes="), "-"), 10, 64)
			io.CopyN(io.Discard, rc, from)
			w.WriteHeader(http.StatusPartialContent)
		}
		if fail {
			all, _ := io.ReadAll(rc)
			w.Write(all[:len(all)/2])
			panic(http.ErrAbortHandler)
		}
		io.Copy(w, rc)
	default:
		http.Error(w, "<Code>AccessDenied</Code>", http.StatusForbidden)
	}
}

func TestConformancePresigned(t *testing.T) {
	var stores []*objectStore
	servicetest.Run(t, func(t *testing.T) service.API {
		e := newEnv(t, envOptions{})
		o := newObjectStore(t, e.blobs)
		stores = append(stores, o)
		// A second server on the same service, with the presigner.
		srv, err := server.New(server.Options{Service: e.svc, Auth: e.auth, Presigner: o})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		c, err := client.New(ts.URL, client.Options{APIKey: e.key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
	var puts, gets int
	for _, o := range stores {
		if o.sawAuth {
			t.Errorf("the object store received the API key")
		}
		puts += o.puts
		gets += o.gets
	}
	if puts == 0 || gets == 0 {
		t.Errorf("blobs did not go through presigned URLs: %d PUTs, %d GETs", puts, gets)
	}
}

func TestPresignedDownloadResumes(t *testing.T) {
	e := newEnv(t, envOptions{})
	o := newObjectStore(t, e.blobs)
	srv, err := server.New(server.Options{Service: e.svc, Auth: e.auth, Presigner: o})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	c, _ := client.New(ts.URL, client.Options{APIKey: e.key})
	defer c.Close()
	ctx := context.Background()
	content := bytes.Repeat([]byte("presigned "), 50_000)
	d := core.DigestOf(content)
	if err := c.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	o.mu.Lock()
	o.failGets = 1
	o.mu.Unlock()
	rc, err := c.GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("download broken off once: %d bytes, %v", len(got), err)
	}
	if o.gets != 2 {
		t.Errorf("object store GETs = %d, want 2 (one broken, one resumed)", o.gets)
	}
}

// flakyBlobs is a service whose blob reads fail or lie, for the download
// tests.
type flakyBlobs struct {
	service.API
	mu      sync.Mutex
	gets    int
	breakAt int  // the first GetBlob fails after this many bytes (0: never)
	corrupt bool // GetBlob returns other bytes than asked for
}

func (f *flakyBlobs) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	f.mu.Lock()
	f.gets++
	first := f.gets == 1
	f.mu.Unlock()
	if f.corrupt {
		return io.NopCloser(strings.NewReader("not what you asked for")), nil
	}
	rc, err := f.API.GetBlob(ctx, d)
	if err != nil || !first || f.breakAt == 0 {
		return rc, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, int64(f.breakAt)), errReader{errors.New("disk hiccup")}), rc}, nil
}

type errReader struct{ err error }

func (e errReader) Read([]byte) (int, error) { return 0, e.err }

func TestDownloadResumesAfterBreak(t *testing.T) {
	f := &flakyBlobs{breakAt: 300_000}
	e := newEnv(t, envOptions{wrap: func(api service.API) service.API { f.API = api; return f }})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	content := bytes.Repeat([]byte("0123456789abcdef"), 64_000)
	d := core.DigestOf(content)
	if err := c.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	rc, err := c.GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("download that broke off: %d of %d bytes, %v", len(got), len(content), err)
	}
	if f.gets != 2 {
		t.Errorf("GetBlob calls = %d, want 2", f.gets)
	}
}

func TestDownloadVerified(t *testing.T) {
	f := &flakyBlobs{corrupt: true}
	e := newEnv(t, envOptions{wrap: func(api service.API) service.API { f.API = api; return f }})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	d := core.DigestOf([]byte("the real content"))
	if err := c.PutBlob(ctx, d, 16, strings.NewReader("the real content")); err != nil {
		t.Fatal(err)
	}
	rc, err := c.GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	buf := make([]byte, 4)
	for {
		_, err := rc.Read(buf)
		if err == io.EOF {
			t.Fatal("the reader returned io.EOF for bytes that do not match the digest")
		}
		if err != nil {
			if !errors.Is(err, core.ErrCorrupt) {
				t.Fatalf("read error %v, want corrupt", err)
			}
			break
		}
	}
}

// flakyFront answers 503 (like a proxy whose backend is down) to the first
// failures[route] requests of a route, "METHOD /path-prefix", after reading
// readFirst bytes of their body; it counts every request per route. With
// swallow set, the failing requests are served but their answer is lost.
type flakyFront struct {
	h         http.Handler
	mu        sync.Mutex
	failures  map[string]int
	calls     map[string]int
	readFirst int64
	swallow   bool
}

func (f *flakyFront) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var fail bool
	for route, n := range f.failures {
		method, prefix, _ := strings.Cut(route, " ")
		if r.Method == method && strings.HasPrefix(r.URL.Path, prefix) {
			f.calls[route]++
			if n > 0 {
				f.failures[route] = n - 1
				fail = true
			}
		}
	}
	swallow := f.swallow
	f.mu.Unlock()
	if fail {
		if swallow {
			f.h.ServeHTTP(httptest.NewRecorder(), r)
		} else if f.readFirst > 0 {
			io.CopyN(io.Discard, r.Body, f.readFirst)
		}
		http.Error(w, "<html>503 Service Unavailable</html>", http.StatusServiceUnavailable)
		return
	}
	f.h.ServeHTTP(w, r)
}

func TestRetryModes(t *testing.T) {
	front := &flakyFront{failures: map[string]int{}, calls: map[string]int{}}
	e := newEnv(t, envOptions{front: func(h http.Handler) http.Handler { front.h = h; return front }})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	run, err := c.CreateRun(ctx, service.NewRun{Entity: "alice", Project: "p"})
	if err != nil {
		t.Fatal(err)
	}
	fail := func(route string, n int) {
		front.mu.Lock()
		front.failures[route], front.calls[route] = n, 0
		front.mu.Unlock()
	}
	calls := func(route string) int {
		front.mu.Lock()
		defer front.mu.Unlock()
		return front.calls[route]
	}

	// Idempotent requests ride through 503s.
	fail("GET /api/v1/projects/alice/p/runs", 2)
	if runs, err := c.ListRuns(ctx, "alice", "p"); err != nil || len(runs) != 1 {
		t.Fatalf("ListRuns through two 503s: %v %v", runs, err)
	}
	if n := calls("GET /api/v1/projects/alice/p/runs"); n != 3 {
		t.Errorf("ListRuns sent %d times, want 3", n)
	}
	fail("POST /api/v1/runs/"+run.ID+"/heartbeat", 1)
	if err := c.Heartbeat(ctx, run.ID); err != nil {
		t.Errorf("Heartbeat through a 503: %v", err)
	}
	content := "logged"
	dg := core.DigestOf([]byte(content))
	if err := c.PutBlob(ctx, dg, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: dg, Size: int64(len(content))}})
	fail("POST /api/v1/projects/alice/p/artifacts/", 1)
	if res, err := c.LogArtifact(ctx, service.LogRequest{Entity: "alice", Project: "p", Name: "d", Type: "dataset", RunID: run.ID, Manifest: m}); err != nil || !res.Created {
		t.Errorf("LogArtifact through a 503: %+v %v", res, err)
	}

	// A request that would do something twice is not resent once it
	// reached the server.
	fail("POST /api/v1/projects/alice/p/runs", 1)
	_, err = c.CreateRun(ctx, service.NewRun{Entity: "alice", Project: "p"})
	if !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("CreateRun answered 503: %v, want unavailable", err)
	}
	if n := calls("POST /api/v1/projects/alice/p/runs"); n != 1 {
		t.Errorf("CreateRun sent %d times, want 1", n)
	}
	fail("DELETE /api/v1/projects/alice/p/artifacts/", 1)
	if err := c.DeleteArtifact(ctx, core.Ref{Entity: "alice", Project: "p", Name: "d", Selector: "v0"}, true); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("DeleteArtifact answered 503: %v, want unavailable", err)
	}

	// A finish whose answer was lost is a success when retried…
	front.mu.Lock()
	front.swallow = true
	front.mu.Unlock()
	fail("POST /api/v1/runs/"+run.ID+"/finish", 1)
	if got, err := c.FinishRun(ctx, run.ID, core.RunFinished); err != nil || got.State != core.RunFinished {
		t.Errorf("FinishRun whose first answer was lost: %+v, %v", got, err)
	}
	if n := calls("POST /api/v1/runs/" + run.ID + "/finish"); n != 2 {
		t.Errorf("FinishRun sent %d times, want 2", n)
	}
	// …but finishing a finished run is a conflict, as in-process.
	if _, err := c.FinishRun(ctx, run.ID, core.RunFinished); !errors.Is(err, core.ErrConflict) {
		t.Errorf("finishing a finished run: %v, want conflict", err)
	}
}

func TestUploadReplay(t *testing.T) {
	front := &flakyFront{failures: map[string]int{}, calls: map[string]int{}, readFirst: 1000}
	e := newEnv(t, envOptions{front: func(h http.Handler) http.Handler { front.h = h; return front }})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	content := bytes.Repeat([]byte("replay me "), 10_000)
	d := core.DigestOf(content)
	route := "PUT /api/v1/blobs/"

	// A reader that can be rewound is sent again.
	front.failures[route] = 1
	if err := c.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatalf("PutBlob of a seekable reader through a 503: %v", err)
	}
	if front.calls[route] != 2 {
		t.Errorf("PUT sent %d times, want 2", front.calls[route])
	}

	// One that cannot is not, once read from.
	other := bytes.Repeat([]byte("once only "), 10_000)
	od := core.DigestOf(other)
	front.failures[route], front.calls[route] = 1, 0
	err := c.PutBlob(ctx, od, int64(len(other)), io.MultiReader(bytes.NewReader(other)))
	if !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("PutBlob of a used stream through a 503: %v, want unavailable", err)
	}
	if front.calls[route] != 1 {
		t.Errorf("PUT of a stream sent %d times, want 1", front.calls[route])
	}
	if missing, _ := e.svc.MissingBlobs(ctx, []core.Digest{od}); len(missing) != 1 {
		t.Errorf("a failed upload stored the blob")
	}
	// A blob the server has is taken again, and verified: a reader that
	// fails fails the PUT, and the stored copy stays.
	front.calls[route] = 0
	if err := c.PutBlob(ctx, d, int64(len(content)), errReader{errors.New("cannot be read")}); err == nil {
		t.Errorf("PutBlob of a stored blob from a failing reader succeeded")
	}
	if missing, _ := e.svc.MissingBlobs(ctx, []core.Digest{d}); len(missing) != 0 {
		t.Errorf("a failed PUT of a stored blob removed it")
	}
}

// notifyTransport reports the first failed round trip.
type notifyTransport struct {
	rt     http.RoundTripper
	failed chan struct{}
	once   sync.Once
}

func (n *notifyTransport) CloseIdleConnections() {
	n.rt.(interface{ CloseIdleConnections() }).CloseIdleConnections()
}

func (n *notifyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := n.rt.RoundTrip(r)
	if err != nil {
		n.once.Do(func() { close(n.failed) })
	}
	return resp, err
}

func TestRetryThroughRestart(t *testing.T) {
	e := newEnv(t, envOptions{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	serve := func(ln net.Listener) *http.Server {
		hs := &http.Server{Handler: e.srv.Handler()}
		go hs.Serve(ln)
		return hs
	}
	hs := serve(ln)
	nt := &notifyTransport{rt: http.DefaultTransport.(*http.Transport).Clone()}
	c, err := client.New("http://"+addr, client.Options{APIKey: e.key, HTTPClient: &http.Client{Transport: nt}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	ctx := context.Background()
	if _, err := c.WhoAmI(ctx); err != nil {
		t.Fatal(err)
	}

	// restartDuring stops the server, runs f while it is down and starts it
	// again on the same port once f's request has failed once.
	restartDuring := func(dropIdle bool, f func() error) {
		t.Helper()
		hs.Close()
		if dropIdle {
			// As the transport would once it noticed the connections
			// died with the server. Had it not noticed yet, starting a run
			// on a dead connection would fail rather than risk starting it
			// twice.
			c.Close()
		}
		nt.failed = make(chan struct{})
		nt.once = sync.Once{}
		done := make(chan error, 1)
		go func() { done <- f() }()
		<-nt.failed
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		hs = serve(ln)
		if err := <-done; err != nil {
			t.Fatalf("request across a restart: %v", err)
		}
	}
	var run core.Run
	// Starting a run is retried: the request never reached the server.
	restartDuring(true, func() (err error) {
		run, err = c.CreateRun(ctx, service.NewRun{Entity: "alice", Project: "p"})
		return err
	})
	// Idempotent requests are retried whatever broke.
	restartDuring(false, func() error {
		runs, err := c.ListRuns(ctx, "alice", "p")
		if err == nil && (len(runs) != 1 || runs[0].ID != run.ID) {
			err = fmt.Errorf("runs = %+v", runs)
		}
		return err
	})
	restartDuring(false, func() error { return c.Heartbeat(ctx, run.ID) })
	hs.Close()
}

func TestUnreachableServer(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close()
	c, err := client.New(url, client.Options{APIKey: "k", RetryFor: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.ListRuns(context.Background(), "alice", "p")
	if !errors.Is(err, core.ErrUnavailable) || !strings.Contains(err.Error(), url) {
		t.Errorf("unreachable server: %v, want unavailable naming %s", err, url)
	}
	for _, bad := range []string{"", "ftp://x", "http://", "localhost:8080"} {
		if _, err := client.New(bad, client.Options{}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("New(%q): %v, want invalid", bad, err)
		}
	}
}

func TestErrorsKeepTheirKind(t *testing.T) {
	e := newEnv(t, envOptions{})
	ctx := context.Background()
	bad := e.client(t, client.Options{APIKey: "trove_wrong"})
	if _, err := bad.WhoAmI(ctx); !errors.Is(err, core.ErrUnauthenticated) {
		t.Errorf("bad key: %v", err)
	}
	c := e.client(t, client.Options{})
	if _, err := c.Artifact(ctx, core.Ref{Entity: "alice", Project: "p", Name: "nothing"}); !errors.Is(err, core.ErrNotFound) || !strings.Contains(err.Error(), "alice/p/nothing:latest") {
		t.Errorf("missing artifact: %v", err)
	}
	// A proxy's error page still gets a kind.
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "<html>bad gateway</html>", http.StatusBadGateway)
	}))
	defer proxy.Close()
	pc, _ := client.New(proxy.URL, client.Options{RetryFor: -1})
	if _, err := pc.WhoAmI(ctx); !errors.Is(err, core.ErrUnavailable) {
		t.Errorf("proxy 502: %v", err)
	}
}

func TestNamesNeedingEscapes(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	for _, name := range []string{"a/../b", "..", ".", "with space", "50%", "q?x=1#f", "ünï"} {
		run, err := c.CreateRun(ctx, service.NewRun{Entity: "alice", Project: "p", Name: name})
		if err != nil {
			t.Fatalf("CreateRun(%q): %v", name, err)
		}
		got, err := c.GetRun(ctx, "alice", "p", name)
		if err != nil || got.ID != run.ID {
			t.Errorf("GetRun(%q) = %+v, %v", name, got, err)
		}
	}
	// A bad name reaches the service and is refused there, as in-process.
	if _, err := c.ListRuns(ctx, "alice", "a/b"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("project a/b: %v", err)
	}
	if _, err := c.ListRuns(ctx, "", "p"); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("empty entity: %v", err)
	}
}

// TestAccounts runs the account methods, and checks that the server applies
// authz's verdicts: invisible things are not found.
func TestAccounts(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t, envOptions{})
	admin := e.client(t, client.Options{})

	me, err := admin.WhoAmI(ctx)
	if err != nil || me.Name != "admin" || !me.Admin {
		t.Fatalf("WhoAmI(admin) = %+v, %v", me, err)
	}
	bobUser, bobKey, err := admin.CreateUser(ctx, "bob", false)
	if err != nil || bobUser.Name != "bob" || !strings.HasPrefix(bobKey, authz.KeyPrefix) {
		t.Fatalf("CreateUser = %+v %q, %v", bobUser, bobKey, err)
	}
	if _, _, err := admin.CreateUser(ctx, "bob", false); !errors.Is(err, core.ErrConflict) {
		t.Errorf("creating bob twice: %v", err)
	}
	bob := e.client(t, client.Options{APIKey: bobKey})
	if u, err := bob.WhoAmI(ctx); err != nil || u.Name != "bob" {
		t.Fatalf("WhoAmI(bob) = %+v, %v", u, err)
	}
	if _, err := bob.ListUsers(ctx); !errors.Is(err, core.ErrPermission) && !errors.Is(err, core.ErrNotFound) {
		t.Errorf("ListUsers by a non-admin: %v", err)
	}
	if us, err := admin.ListUsers(ctx); err != nil || len(us) != 2 {
		t.Errorf("ListUsers = %+v, %v", us, err)
	}
	k, second, err := bob.CreateKey(ctx, "bob", "laptop")
	if err != nil || k.Label != "laptop" || second == "" {
		t.Fatalf("CreateKey = %+v, %v", k, err)
	}
	if ks, err := bob.ListKeys(ctx, "bob"); err != nil || len(ks) != 2 {
		t.Fatalf("ListKeys = %+v, %v", ks, err)
	}
	if err := bob.RevokeKey(ctx, "bob", k.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.client(t, client.Options{APIKey: second}).WhoAmI(ctx); !errors.Is(err, core.ErrUnauthenticated) {
		t.Errorf("revoked key: %v", err)
	}
	team, err := bob.CreateTeam(ctx, "vision")
	if err != nil || team.Name != "vision" {
		t.Fatalf("CreateTeam = %+v, %v", team, err)
	}
	if _, _, err := admin.CreateUser(ctx, "carol", false); err != nil {
		t.Fatal(err)
	}
	if err := bob.SetMember(ctx, "vision", "carol", meta.RoleViewer); err != nil {
		t.Fatal(err)
	}
	ms, err := bob.Members(ctx, "vision")
	if err != nil || !slices.ContainsFunc(ms, func(m meta.Member) bool { return m.User == "carol" && m.Role == meta.RoleViewer }) {
		t.Errorf("Members = %+v, %v", ms, err)
	}
	if err := bob.RemoveMember(ctx, "vision", "carol"); err != nil {
		t.Error(err)
	}

	// The admin's private project is invisible to bob; made public, he may
	// read but not write it.
	run, err := admin.CreateRun(ctx, service.NewRun{Entity: "admin", Project: "secret"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bob.GetRun(ctx, "admin", "secret", run.ID); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("bob reading admin's private run: %v, want not found", err)
	}
	if err := bob.SetProjectPublic(ctx, "admin", "secret", true); !errors.Is(err, core.ErrNotFound) && !errors.Is(err, core.ErrPermission) {
		t.Errorf("bob publishing admin's project: %v", err)
	}
	if err := admin.SetProjectPublic(ctx, "admin", "secret", true); err != nil {
		t.Fatal(err)
	}
	if got, err := bob.GetRun(ctx, "admin", "secret", run.ID); err != nil || got.ID != run.ID {
		t.Errorf("bob reading admin's public run: %+v, %v", got, err)
	}
	if _, err := bob.CreateRun(ctx, service.NewRun{Entity: "admin", Project: "secret"}); !errors.Is(err, core.ErrPermission) {
		t.Errorf("bob writing to admin's public project: %v, want permission denied", err)
	}
}

// countingReader counts reads, to check that stored blobs are not re-sent.
type countingReader struct {
	r io.Reader
	n atomic.Int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// TestStoredBlobPutAgain: a PUT of a blob the server stores is read and
// verified like any other (clients send only what they are told is
// missing), so the right bytes replace the stored copy, which is how a
// damaged copy is repaired.
func TestStoredBlobPutAgain(t *testing.T) {
	e := newEnv(t, envOptions{})
	c := e.client(t, client.Options{})
	ctx := context.Background()
	content := bytes.Repeat([]byte("big "), 1<<18)
	d := core.DigestOf(content)
	if err := c.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	cr := &countingReader{r: bytes.NewReader(content)}
	if err := c.PutBlob(ctx, d, int64(len(content)), cr); err != nil {
		t.Fatal(err)
	}
	if n := cr.n.Load(); n != int64(len(content)) {
		t.Errorf("re-uploading a stored blob read %d of %d bytes", n, len(content))
	}
	if err := c.PutBlob(ctx, d, int64(len(content)), bytes.NewReader(bytes.ToUpper(content))); !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("re-uploading a stored blob with other bytes: %v, want corrupt", err)
	}
	rc, err := c.GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || !bytes.Equal(got, content) {
		t.Errorf("after a refused re-upload the blob reads %d bytes, %v", len(got), err)
	}
	// Unknown size: the body is chunked; still verified.
	other := []byte("size unknown")
	if err := c.PutBlob(ctx, core.DigestOf(other), -1, bytes.NewReader(other)); err != nil {
		t.Errorf("PutBlob with size -1: %v", err)
	}
	if err := c.PutBlob(ctx, core.DigestOf([]byte("x")), -1, strings.NewReader("y")); !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("PutBlob with size -1 and a wrong digest: %v", err)
	}
	// Empty blobs.
	if err := c.PutBlob(ctx, core.DigestOf(nil), 0, strings.NewReader("")); err != nil {
		t.Errorf("empty blob: %v", err)
	}
	if err := c.PutBlob(ctx, core.DigestOf(nil), 0, strings.NewReader("x")); !errors.Is(err, core.ErrCorrupt) {
		t.Errorf("non-empty body for size 0: %v", err)
	}
	rc, err = c.GetBlob(ctx, core.DigestOf(nil))
	if err != nil {
		t.Fatal(err)
	}
	if b, err := io.ReadAll(rc); err != nil || len(b) != 0 {
		t.Errorf("empty blob read: %q %v", b, err)
	}
	rc.Close()
}

// TestConformancePostgresS3 runs the suite against the scale-out setup: a
// server on PostgreSQL whose blobs live in a real S3 server (versitygw),
// with the bytes moving through presigned URLs.
func TestConformancePostgresS3(t *testing.T) {
	gw := s3test.Server(t)
	servicetest.Run(t, func(t *testing.T) service.API {
		ctx := context.Background()
		m := metatest.OpenPostgres(t)
		b, err := blob.Open(ctx, gw.NewBucketURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		if !b.CanPresign() {
			t.Fatal("an S3 bucket cannot presign")
		}
		auth, key, _ := newTestAuth(t, m)
		srv, err := server.New(server.Options{Service: service.New(m, b, service.Options{}), Auth: auth, Presigner: b})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		c, err := client.New(ts.URL, client.Options{APIKey: key})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return c
	})
}
