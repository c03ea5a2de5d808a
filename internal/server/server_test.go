package server

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// newTestAuth returns the Auth of the test servers, an API key it accepts
// and the name of that key's user. It is the real authz, as the site
// administrator; to test without it, return fakeAuth instead.
func newTestAuth(t *testing.T, m *meta.Store) (Auth, string, string) {
	t.Helper()
	a := NewAuth(m)
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

// fakeAuth accepts one fixed key as the site administrator alice and guards
// nothing: a stand-in for authz, for tests that must not depend on it.
type fakeAuth struct{ key string }

func (a fakeAuth) Authenticate(ctx context.Context, key string) (authz.Principal, error) {
	if key != a.key {
		return authz.Principal{}, core.Errorf(core.ErrUnauthenticated, "unknown API key")
	}
	return authz.Principal{User: meta.User{Name: "alice", Admin: true}, KeyID: 1}, nil
}
func (fakeAuth) Guard(api service.API, p authz.Principal) service.API { return api }
func (fakeAuth) CanReadBlob(context.Context, authz.Principal, core.Digest) error {
	return nil
}
func (fakeAuth) Accounts() *authz.Accounts { return nil }

// testEnv is a server over a real service on SQLite and file blobs.
type testEnv struct {
	svc  service.API
	srv  *Server
	ts   *httptest.Server
	key  string // an API key of user
	user string
	logs *syncBuffer
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// newService opens a service on SQLite and file blobs in a temporary
// directory. Its runs never crash for want of heartbeats: a test that takes
// minutes (under the race detector) must not see a run change state on its
// own between two snapshots.
func newService(t *testing.T) (*service.Service, *meta.Store) {
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
	return service.New(m, b, service.Options{HeartbeatTimeout: 24 * time.Hour}), m
}

// newEnv starts a test server; wrap, when not nil, wraps the service. Its
// Auth is the real one unless opts has a fakeAuth.
func newEnv(t *testing.T, opts Options, wrap func(service.API) service.API) *testEnv {
	t.Helper()
	svc, m := newService(t)
	e := &testEnv{svc: svc, logs: &syncBuffer{}}
	opts.Service = svc
	if wrap != nil {
		opts.Service = wrap(svc)
	}
	if fa, ok := opts.Auth.(fakeAuth); ok {
		e.key, e.user = fa.key, "alice"
	} else {
		opts.Auth, e.key, e.user = newTestAuth(t, m)
	}
	opts.Logger = slog.New(slog.NewJSONHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	e.srv = srv
	e.ts = httptest.NewServer(srv.Handler())
	t.Cleanup(e.ts.Close)
	return e
}

// do sends a request with the test key and returns status, headers and
// body.
func (e *testEnv) do(t *testing.T, method, path string, body io.Reader, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.ts.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.key)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	resp, err := e.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// wantError checks that an answer is a JSON error with status and code.
func wantError(t *testing.T, what string, status int, hdr http.Header, body []byte, wantStatus int, wantCode string) wire.ErrorDetail {
	t.Helper()
	if status != wantStatus {
		t.Errorf("%s: status %d, want %d (body %s)", what, status, wantStatus, body)
	}
	if ct := hdr.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s: Content-Type %q", what, ct)
	}
	var eb struct {
		Error *wire.ErrorDetail `json:"error"`
	}
	if err := json.Unmarshal(body, &eb); err != nil || eb.Error == nil {
		t.Fatalf("%s: body %s is not a JSON error: %v", what, body, err)
	}
	if eb.Error.Code != wantCode || eb.Error.Message == "" {
		t.Errorf("%s: error %+v, want code %s and a message", what, *eb.Error, wantCode)
	}
	return *eb.Error
}

func TestErrorMapping(t *testing.T) {
	for _, tt := range []struct {
		err    error
		status int
		code   string
	}{
		{core.Errorf(core.ErrInvalid, "bad name"), 400, "invalid"},
		{core.Errorf(core.ErrUnauthenticated, "no key"), 401, "unauthenticated"},
		{core.Errorf(core.ErrPermission, "read only"), 403, "permission_denied"},
		{core.Errorf(core.ErrNotFound, "no such artifact"), 404, "not_found"},
		{core.Errorf(core.ErrConflict, "alias held"), 409, "conflict"},
		{core.Errorf(core.ErrTooLarge, "too big"), 413, "too_large"},
		{core.Errorf(core.ErrCorrupt, "digest mismatch"), 422, "corrupt"},
		{core.Errorf(core.ErrUnavailable, "database down"), 503, "unavailable"},
		// A full disk or database is not retried: 507, its reason shown.
		{core.Errorf(core.ErrUnavailable, "blob: writing: no space left on device: %w", &fs.PathError{Op: "write", Path: "/x", Err: syscall.ENOSPC}), 507, "unavailable"},
		{core.Errorf(core.ErrUnavailable, "blob: writing: disk quota exceeded: %w", syscall.EDQUOT), 507, "unavailable"},
		{fmt.Errorf("wrapped: %w", core.ErrNotFound), 404, "not_found"},
		{errors.New("open /secret/path: disk on fire"), 500, "internal"},
	} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/api/v1/x", nil)
		got := writeError(w, r, tt.err, "req1")
		d := wantError(t, tt.err.Error(), w.Code, w.Header(), w.Body.Bytes(), tt.status, tt.code)
		if got != tt.status {
			t.Errorf("%v: writeError returned %d", tt.err, got)
		}
		if tt.status == 500 {
			if strings.Contains(d.Message, "secret") || !strings.Contains(d.Message, "req1") {
				t.Errorf("internal error message %q: want it hidden, with the request id", d.Message)
			}
		} else if d.Message != tt.err.Error() {
			t.Errorf("message %q, want %q", d.Message, tt.err.Error())
		}
		if tt.status == 401 && !strings.HasPrefix(w.Header().Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("401 without WWW-Authenticate: Bearer")
		}
	}
}

func TestAuthentication(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	for _, tc := range []struct{ what, header string }{
		{"no key", ""},
		{"bad key", "Bearer trove_wrong"},
		{"not bearer", "Basic dXNlcjpwYXNz"},
		{"empty bearer", "Bearer "},
	} {
		status, hdr, body := e.do(t, "GET", "/api/v1/projects/alice/bikes/runs", nil, "Authorization", tc.header)
		wantError(t, tc.what, status, hdr, body, 401, "unauthenticated")
		if !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: WWW-Authenticate %q", tc.what, hdr.Get("WWW-Authenticate"))
		}
	}
	// Unknown routes do not tell strangers what exists.
	status, hdr, body := e.do(t, "GET", "/api/v1/nothing-here", nil, "Authorization", "")
	wantError(t, "unknown route without key", status, hdr, body, 401, "unauthenticated")
	// The OpenAPI document is public.
	if status, _, body := e.do(t, "GET", "/api/v1/openapi.json", nil, "Authorization", ""); status != 200 || !bytes.Contains(body, []byte(`"openapi"`)) {
		t.Errorf("openapi.json without key: %d %.100s", status, body)
	}
	if status, _, body := e.do(t, "GET", "/api/v1/whoami", nil); status != 200 || !bytes.Contains(body, []byte(`"name":"`+e.user+`"`)) {
		t.Errorf("whoami: %d %s", status, body)
	}
}

func TestBadRequestsChangeNothing(t *testing.T) {
	e := newEnv(t, Options{MaxJSONBytes: 4096}, nil)
	d := core.DigestOf([]byte("x")).String()
	manifest := `[{"path":"a","digest":"` + d + `","size":1}]`
	for _, tc := range []struct {
		what, method, path, body string
		status                   int
		code                     string
	}{
		{"malformed JSON", "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":`, 400, "invalid"},
		{"not an object", "POST", "/api/v1/projects/alice/bikes/runs", `[1]`, 400, "invalid"},
		{"unknown field", "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"x","jobtype":"y"}`, 400, "invalid"},
		{"trailing data", "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"x"} {}`, 400, "invalid"},
		{"trailing garbage", "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"x"}]`, 400, "invalid"},
		{"empty body", "POST", "/api/v1/projects/alice/bikes/runs", ``, 400, "invalid"},
		{"entity differs from URL", "POST", "/api/v1/projects/alice/bikes/runs", `{"entity":"bob"}`, 400, "invalid"},
		{"oversized body", "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"` + strings.Repeat("x", 5000) + `"}`, 413, "too_large"},
		{"unknown field in a manifest entry", "POST", "/api/v1/projects/alice/bikes/artifacts/d/versions",
			`{"type":"dataset","manifest":[{"path":"a","digest":"` + d + `","size":1,"mode":644}]}`, 400, "invalid"},
		{"traversal in a manifest", "POST", "/api/v1/projects/alice/bikes/artifacts/d/versions",
			`{"type":"dataset","manifest":[{"path":"../a","digest":"` + d + `","size":1}]}`, 400, "invalid"},
		{"bad digest in a manifest", "POST", "/api/v1/projects/alice/bikes/artifacts/d/versions",
			`{"type":"dataset","manifest":[{"path":"a","digest":"sha256:xyz","size":1}]}`, 400, "invalid"},
		{"bad artifact name", "POST", "/api/v1/projects/alice/bikes/artifacts/bad%20name/versions", `{"type":"dataset","manifest":` + manifest + `}`, 400, "invalid"},
		{"bad digest in the URL", "PUT", "/api/v1/blobs/sha256:00", "x", 400, "invalid"},
		{"wrong digest", "PUT", "/api/v1/blobs/" + core.DigestOf([]byte("y")).String(), "x", 422, "corrupt"},
		{"bad depth", "GET", "/api/v1/runs/abc/lineage?depth=deep", "", 400, "invalid"},
		{"bad bool", "DELETE", "/api/v1/projects/alice/bikes/artifacts/d/versions/v0?delete_aliases=maybe", "", 400, "invalid"},
		{"diff without to", "GET", "/api/v1/projects/alice/bikes/artifacts/d/versions/v0/diff", "", 400, "invalid"},
		{"unknown route", "GET", "/api/v1/nothing-here", "", 404, "not_found"},
		{"wrong method", "PUT", "/api/v1/projects/alice/bikes/runs", `{}`, 405, "invalid"},
	} {
		var body io.Reader
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		status, hdr, b := e.do(t, tc.method, tc.path, body)
		wantError(t, tc.what, status, hdr, b, tc.status, tc.code)
	}
	ctx := context.Background()
	if runs, err := e.svc.ListRuns(ctx, "alice", "bikes"); err != nil || len(runs) != 0 {
		t.Errorf("bad requests created runs: %v %v", runs, err)
	}
	if cols, err := e.svc.Collections(ctx, "alice", "bikes", ""); err != nil || len(cols) != 0 {
		t.Errorf("bad requests created artifacts: %v %v", cols, err)
	}
	if missing, err := e.svc.MissingBlobs(ctx, []core.Digest{core.DigestOf([]byte("x")), core.DigestOf([]byte("y"))}); err != nil || len(missing) != 2 {
		t.Errorf("bad requests stored blobs: missing %v %v", missing, err)
	}
	// A body of exactly the limit is fine.
	pad := 4096 - len(`{"job_type":""}`)
	status, _, b := e.do(t, "POST", "/api/v1/projects/alice/bikes/runs", strings.NewReader(`{"job_type":"`+strings.Repeat("j", 100)+`"`+strings.Repeat(" ", pad-100)+`}`))
	if status != 201 {
		t.Errorf("body of exactly MaxJSONBytes: %d %s", status, b)
	}
}

func TestRoutesAreDocumented(t *testing.T) {
	var doc struct {
		OpenAPI string                    `json:"openapi"`
		Paths   map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(openAPIDoc, &doc); err != nil {
		t.Fatalf("openapi.json: %v", err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi version %q", doc.OpenAPI)
	}
	s := &Server{}
	registered := map[string]bool{}
	for _, rt := range s.routes() {
		key := strings.ToLower(rt.method) + " " + rt.path
		if registered[key] {
			t.Errorf("route %s registered twice", key)
		}
		registered[key] = true
		if _, ok := doc.Paths[rt.path][strings.ToLower(rt.method)]; !ok {
			t.Errorf("route %s %s is not in openapi.json", rt.method, rt.path)
		}
	}
	for path, ops := range doc.Paths {
		for method := range ops {
			if !registered[method+" "+path] {
				t.Errorf("openapi.json documents %s %s, which is not a route", strings.ToUpper(method), path)
			}
		}
	}
	// Every $ref resolves.
	var raw map[string]any
	json.Unmarshal(openAPIDoc, &raw)
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == "$ref" {
					ref, _ := x.(string)
					var cur any = raw
					for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
						m, _ := cur.(map[string]any)
						cur = m[part]
					}
					if cur == nil {
						t.Errorf("unresolved $ref %q", ref)
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	walk(raw)
}

func TestMetricsAndAccessLog(t *testing.T) {
	reg := prometheus.NewRegistry()
	e := newEnv(t, Options{Registerer: reg}, nil)
	if status, _, b := e.do(t, "GET", "/api/v1/projects/alice/bikes/runs", nil); status != 200 || string(b) != "[]\n" {
		t.Fatalf("list runs: %d %s", status, b)
	}
	e.do(t, "GET", "/api/v1/projects/alice/bikes/runs", nil, "Authorization", "")
	blob := "some blob bytes"
	if status, _, b := e.do(t, "PUT", "/api/v1/blobs/"+core.DigestOf([]byte(blob)).String(), strings.NewReader(blob)); status != 204 {
		t.Fatalf("put blob: %d %s", status, b)
	}
	status, _, metrics := e.do(t, "GET", "/metrics", nil, "Authorization", "")
	if status != 200 {
		t.Fatalf("/metrics: %d", status)
	}
	for _, want := range []string{
		`trove_http_requests_total{code="200",method="GET",route="GET /api/v1/projects/{entity}/{project}/runs"} 1`,
		`trove_http_requests_total{code="401",method="GET",route="GET /api/v1/projects/{entity}/{project}/runs"} 1`,
		`trove_http_requests_total{code="204",method="PUT",route="PUT /api/v1/blobs/{digest}"} 1`,
		fmt.Sprintf(`trove_http_blob_bytes_total{direction="in"} %d`, len(blob)),
		`trove_http_request_duration_seconds_count{method="GET",route="GET /api/v1/projects/{entity}/{project}/runs"} 2`,
		`trove_http_requests_in_flight 1`, // the /metrics request itself
	} {
		if !strings.Contains(string(metrics), want) {
			t.Errorf("/metrics lacks %s", want)
		}
	}
	// A second server on the same registry shares the collectors.
	if _, err := New(Options{Service: e.svc, Auth: fakeAuth{}, Registerer: reg}); err != nil {
		t.Errorf("second server on one registry: %v", err)
	}

	var found bool
	for _, line := range strings.Split(e.logs.String(), "\n") {
		var rec map[string]any
		if json.Unmarshal([]byte(line), &rec) != nil || rec["msg"] != "http request" {
			continue
		}
		if rec["route"] == "PUT /api/v1/blobs/{digest}" {
			found = true
			if rec["user"] != e.user || rec["status"] != "204" || rec["method"] != "PUT" || rec["bytes_in"] != float64(len(blob)) || rec["duration"] == nil || rec["request_id"] == "" {
				t.Errorf("access log record %v", rec)
			}
		}
	}
	if !found {
		t.Errorf("no access log record of the blob upload in:\n%s", e.logs.String())
	}
}

func TestHealthAndReadiness(t *testing.T) {
	var mu sync.Mutex
	var readyErr error
	e := newEnv(t, Options{Ready: func(context.Context) error { mu.Lock(); defer mu.Unlock(); return readyErr }}, nil)
	if status, _, _ := e.do(t, "GET", "/healthz", nil, "Authorization", ""); status != 200 {
		t.Errorf("/healthz: %d", status)
	}
	if status, _, _ := e.do(t, "GET", "/readyz", nil, "Authorization", ""); status != 200 {
		t.Errorf("/readyz: %d", status)
	}
	mu.Lock()
	readyErr = errors.New("database unreachable")
	mu.Unlock()
	status, hdr, body := e.do(t, "GET", "/readyz", nil, "Authorization", "")
	wantError(t, "/readyz when not ready", status, hdr, body, 503, "unavailable")
	// A damaged database is no reason to send traffic either; the answer
	// says why.
	mu.Lock()
	readyErr = core.Errorf(core.ErrCorrupt, "the sqlite metadata database is damaged: quick_check: page 7 is garbage")
	mu.Unlock()
	status, hdr, body = e.do(t, "GET", "/readyz", nil, "Authorization", "")
	wantError(t, "/readyz on a damaged database", status, hdr, body, 503, "corrupt")
	if !bytes.Contains(body, []byte("page 7 is garbage")) {
		t.Errorf("/readyz does not say why: %s", body)
	}
}

// panicky is a service whose Projects panics.
type panicky struct{ service.API }

func (panicky) Projects(context.Context, string) ([]string, error) { panic("boom") }

func TestPanicIsA500(t *testing.T) {
	e := newEnv(t, Options{}, func(a service.API) service.API { return panicky{a} })
	status, hdr, body := e.do(t, "GET", "/api/v1/entities/alice/projects", nil)
	d := wantError(t, "panicking handler", status, hdr, body, 500, "internal")
	if strings.Contains(d.Message, "boom") {
		t.Errorf("panic message leaked: %q", d.Message)
	}
	if !strings.Contains(e.logs.String(), "boom") {
		t.Errorf("panic not logged")
	}
	// The server still serves.
	if status, _, _ := e.do(t, "GET", "/api/v1/entities/alice/projects", nil); status != 500 {
		t.Errorf("second request: %d", status)
	}
}

// gate is a service whose PutBlob reports when it started reading the body.
type gate struct {
	service.API
	reading chan struct{}
}

func (g gate) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	return g.API.PutBlob(ctx, d, size, &signalReader{r: r, ch: g.reading})
}

type signalReader struct {
	r    io.Reader
	ch   chan struct{}
	once sync.Once
}

func (s *signalReader) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.once.Do(func() { close(s.ch) })
	}
	return n, err
}

func TestGracefulShutdownFinishesUploads(t *testing.T) {
	svc, m := newService(t)
	g := gate{API: svc, reading: make(chan struct{})}
	auth, key, _ := newTestAuth(t, m)
	srv, err := New(Options{Service: g, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- Serve(ctx, srv, ListenConfig{Listener: ln}) }()

	content := bytes.Repeat([]byte("0123456789"), 100_000)
	d := core.DigestOf(content)
	pr, pw := io.Pipe()
	req, _ := http.NewRequest("PUT", "http://"+ln.Addr().String()+"/api/v1/blobs/"+d.String(), pr)
	req.ContentLength = int64(len(content))
	req.Header.Set("Authorization", "Bearer "+key)
	type result struct {
		status int
		err    error
	}
	done := make(chan result, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			done <- result{err: err}
			return
		}
		resp.Body.Close()
		done <- result{status: resp.StatusCode}
	}()
	// Send half, wait until the server is inside the upload, shut down,
	// then send the rest.
	if _, err := pw.Write(content[:len(content)/2]); err != nil {
		t.Fatal(err)
	}
	<-g.reading
	cancel()
	if _, err := pw.Write(content[len(content)/2:]); err != nil {
		t.Fatal(err)
	}
	pw.Close()
	res := <-done
	if res.err != nil || res.status != http.StatusNoContent {
		t.Fatalf("upload during shutdown: %d %v", res.status, res.err)
	}
	if err := <-served; err != nil {
		t.Fatalf("Serve after a graceful shutdown: %v", err)
	}
	if missing, err := svc.MissingBlobs(context.Background(), []core.Digest{d}); err != nil || len(missing) != 0 {
		t.Fatalf("blob uploaded during shutdown is missing: %v %v", missing, err)
	}
	if _, err := net.Dial("tcp", ln.Addr().String()); err == nil {
		t.Errorf("server still accepts connections after shutdown")
	}
}

func TestNewRequiresServiceAndAuth(t *testing.T) {
	svc, _ := newService(t)
	if _, err := New(Options{Auth: fakeAuth{}}); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("New without service: %v", err)
	}
	if _, err := New(Options{Service: svc}); !errors.Is(err, core.ErrInvalid) {
		t.Errorf("New without auth: %v", err)
	}
}

func TestAccountRoutesWithoutAccounts(t *testing.T) {
	e := newEnv(t, Options{Auth: fakeAuth{key: "trove_fake"}}, nil)
	status, hdr, body := e.do(t, "GET", "/api/v1/users", nil)
	wantError(t, "users without account management", status, hdr, body, 404, "not_found")
}

func TestRoutesDoNotCollideWithUserNames(t *testing.T) {
	// A project, artifact or run named like a route keyword is just a name.
	e := newEnv(t, Options{}, nil)
	for _, name := range []string{"runs", "artifacts", "versions", "visibility", "missing"} {
		status, _, b := e.do(t, "POST", "/api/v1/projects/alice/"+name+"/runs", strings.NewReader(`{"name":"`+name+`"}`))
		if status != 201 {
			t.Fatalf("run %s in project %s: %d %s", name, name, status, b)
		}
		status, _, b = e.do(t, "GET", "/api/v1/projects/alice/"+name+"/runs/"+name, nil)
		if status != 200 || !bytes.Contains(b, []byte(`"project":"`+name+`"`)) {
			t.Fatalf("get run %s: %d %s", name, status, b)
		}
	}
	projects, _ := e.svc.Projects(context.Background(), "alice")
	if !slices.Equal(projects, []string{"artifacts", "missing", "runs", "versions", "visibility"}) {
		t.Errorf("projects = %v", projects)
	}
}
