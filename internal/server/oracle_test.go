package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// The content oracle (issue 12, item 1). A caller who may not read a
// stored blob must not be able to tell it from a blob nobody stores: every
// request naming it answers the same status and the same body, byte for
// byte, and does the same work. The tests below build two worlds that
// differ only in that alice's private project holds the secrets, send the
// same requests as bob to both, and compare.

// oracleSetup is a kind of server: SQLite and files, or PostgreSQL and S3
// (versitygw) with presigned URLs.
type oracleSetup struct {
	name    string
	presign bool
	open    func(t *testing.T) (*meta.Store, *blob.Bucket)
}

var oracleSetups = []oracleSetup{
	{name: "sqlite-files", open: func(t *testing.T) (*meta.Store, *blob.Bucket) {
		dir := t.TempDir()
		m, err := meta.OpenSQLite(t.Context(), filepath.Join(dir, "trove.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { m.Close() })
		b, err := blob.Open(t.Context(), "file://"+filepath.Join(dir, "blobs"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return m, b
	}},
	{name: "postgres-s3", presign: true, open: func(t *testing.T) (*meta.Store, *blob.Bucket) {
		gw := oracleGateway(t)
		m := metatest.OpenPostgres(t)
		b, err := blob.Open(t.Context(), gw.NewBucketURL(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		return m, b
	}},
}

// oracleGateway returns one versitygw for the whole test (t's top level),
// so that both worlds' presigned URLs have the same host.
var (
	gatewayMu sync.Mutex
	gateways  = map[string]*s3test.Gateway{}
)

func oracleGateway(t *testing.T) *s3test.Gateway {
	t.Helper()
	top, _, _ := strings.Cut(t.Name(), "/")
	gatewayMu.Lock()
	defer gatewayMu.Unlock()
	if gw := gateways[top]; gw != nil {
		return gw
	}
	gw := s3test.Server(t)
	gateways[top] = gw
	return gw
}

// traceBlobs is a blob store that records the calls made to it (operation
// and digest, never the outcome), so that two worlds can be shown to do the
// same work.
type traceBlobs struct {
	*blob.Bucket
	mu  sync.Mutex
	ops []string
}

func (b *traceBlobs) record(op string, d core.Digest) {
	b.mu.Lock()
	b.ops = append(b.ops, op+" "+d.String())
	b.mu.Unlock()
}

// trace returns the calls recorded since the last call, sorted (Stats run
// in parallel).
func (b *traceBlobs) trace() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := b.ops
	b.ops = nil
	sort.Strings(out)
	return out
}

func (b *traceBlobs) Put(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	b.record("put", d)
	return b.Bucket.Put(ctx, d, size, r)
}

func (b *traceBlobs) Get(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	b.record("get", d)
	return b.Bucket.Get(ctx, d)
}

func (b *traceBlobs) Stat(ctx context.Context, d core.Digest) (int64, error) {
	b.record("stat", d)
	return b.Bucket.Stat(ctx, d)
}

func (b *traceBlobs) Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error) {
	d, n, err := b.Bucket.Ingest(ctx, r)
	b.record("ingest", d)
	return d, n, err
}

func (b *traceBlobs) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	b.record("proof", d)
	return b.Bucket.UploadProof(ctx, d)
}

// oracleWorld is a server with the users alice and bob; bob's project
// bob/mine with the runs live (running) and done (finished), of the same
// ids in every world; and, when stored, alice's private version
// alice/private/secrets:v0 holding every secret.
type oracleWorld struct {
	st       *meta.Store
	svc      *service.Service
	blobs    *traceBlobs
	ts       *httptest.Server
	keys     map[string]string
	presigns bool
}

// Fixed run ids: they appear in error messages, which must match across
// worlds.
const (
	liveRun = "live0001"
	doneRun = "done0001"
)

func newOracleWorld(t *testing.T, setup oracleSetup, secrets []string) *oracleWorld {
	t.Helper()
	ctx := t.Context()
	m, b := setup.open(t)
	tb := &traceBlobs{Bucket: b}
	svc := service.New(m, tb, service.Options{})
	auth := NewAuth(m)
	opts := Options{Service: svc, Auth: auth}
	if setup.presign {
		opts.Presigner = b
	}
	srv, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	w := &oracleWorld{st: m, svc: svc, blobs: tb, ts: httptest.NewServer(srv.Handler()), keys: map[string]string{}, presigns: setup.presign}
	t.Cleanup(w.ts.Close)
	_, keyFile, err := auth.Accounts().Bootstrap(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	adminKey, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := auth.Authenticate(ctx, strings.TrimSpace(string(adminKey)))
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		if _, w.keys[u], err = auth.Accounts().CreateUser(ctx, admin, u, false); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []struct{ id, name string }{{liveRun, "live"}, {doneRun, "done"}} {
		if _, err := m.CreateRun(ctx, meta.NewRun{ID: r.id, Entity: "bob", Project: "mine", Name: r.name, JobType: "probe", Now: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	finished := core.RunFinished
	if _, err := m.UpdateRun(ctx, doneRun, meta.RunUpdate{State: &finished}); err != nil {
		t.Fatal(err)
	}
	// Bob's own blob, stored and committed in both worlds.
	w.logAs(t, svc, "bob", "mine", "own", "bob's own file\n")
	if secrets != nil {
		w.logAs(t, svc, "alice", "private", "secrets", secrets...)
	}
	w.blobs.trace()
	return w
}

// logAs stores contents and logs them as a version of entity/project/name,
// through the unguarded service.
func (w *oracleWorld) logAs(t *testing.T, svc *service.Service, entity, project, name string, contents ...string) {
	t.Helper()
	ctx := t.Context()
	var es []core.Entry
	for i, c := range contents {
		d := core.DigestOf([]byte(c))
		if err := svc.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
		es = append(es, core.Entry{Path: fmt.Sprintf("f%03d", i), Digest: d, Size: int64(len(c))})
	}
	mf, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: name, Type: "dataset", Manifest: mf}); err != nil {
		t.Fatal(err)
	}
}

// oracleRequest is one request bob sends.
type oracleRequest struct {
	method, path string
	body         []byte
	json         bool
}

// send sends req as user and returns the status and body of the answer.
func (w *oracleWorld) send(t *testing.T, user string, req oracleRequest) (int, []byte) {
	t.Helper()
	hr, err := http.NewRequestWithContext(t.Context(), req.method, w.ts.URL+req.path, bytes.NewReader(req.body))
	if err != nil {
		t.Fatal(err)
	}
	if req.body == nil {
		hr.Body, hr.ContentLength = nil, 0
	}
	if req.json {
		hr.Header.Set("Content-Type", "application/json")
	}
	hr.Header.Set("Authorization", "Bearer "+w.keys[user])
	resp, err := w.ts.Client().Do(hr)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, b
}

// oracleVariant builds a request about the secret content c.
type oracleVariant struct {
	name string
	req  func(c string) oracleRequest
}

// logBodyFor is a log or upsert body naming c as its one file, with extra
// fields (a JSON fragment starting with a comma, or "").
func logBodyFor(c, extra string) []byte {
	return fmt.Appendf(nil, `{"type":"dataset","manifest":[{"path":"f","digest":%q,"size":%d}]%s}`, core.DigestOf([]byte(c)), len(c), extra)
}

const (
	bobVersions = apiPrefix + "/projects/bob/mine/artifacts/probe/versions"
	bobPending  = apiPrefix + "/projects/bob/mine/artifacts/probe/pending/g1"
)

func jsonReq(method, path string, body []byte) oracleRequest {
	return oracleRequest{method: method, path: path, body: body, json: true}
}

var oracleVariants = []oracleVariant{
	{"log", func(c string) oracleRequest { return jsonReq("POST", bobVersions, logBodyFor(c, "")) }},
	{"log-by-live-run", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"run_id":"`+liveRun+`"`))
	}},
	{"log-with-own-blob", func(c string) oracleRequest {
		own := "bob's own file\n"
		return jsonReq("POST", bobVersions, fmt.Appendf(nil, `{"type":"dataset","manifest":[{"path":"a","digest":%q,"size":%d},{"path":"b","digest":%q,"size":%d}]}`,
			core.DigestOf([]byte(own)), len(own), core.DigestOf([]byte(c)), len(c)))
	}},
	{"log-reserved-alias", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"aliases":["v1"]`))
	}},
	{"log-bad-alias", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"aliases":["no/slash"]`))
	}},
	{"log-bad-ttl", func(c string) oracleRequest { return jsonReq("POST", bobVersions, logBodyFor(c, `,"ttl":"soon"`)) }},
	{"log-negative-ttl", func(c string) oracleRequest { return jsonReq("POST", bobVersions, logBodyFor(c, `,"ttl":"-1h"`)) }},
	{"log-bad-metadata", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"metadata":[1,2]`))
	}},
	{"log-too-long-description", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"description":"`+strings.Repeat("d", 64<<10+1)+`"`))
	}},
	{"log-reserved-type", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, bytes.Replace(logBodyFor(c, ""), []byte(`"dataset"`), []byte(`"trove-internal"`), 1))
	}},
	{"log-by-finished-run", func(c string) oracleRequest {
		return jsonReq("POST", bobVersions, logBodyFor(c, `,"run_id":"`+doneRun+`"`))
	}},
	{"upsert", func(c string) oracleRequest {
		return jsonReq("PUT", bobPending, logBodyFor(c, `,"run_id":"`+liveRun+`"`))
	}},
	{"upsert-without-run-id", func(c string) oracleRequest { return jsonReq("PUT", bobPending, logBodyFor(c, "")) }},
	{"upsert-by-finished-run", func(c string) oracleRequest {
		return jsonReq("PUT", bobPending, logBodyFor(c, `,"run_id":"`+doneRun+`"`))
	}},
	{"upsert-reserved-alias", func(c string) oracleRequest {
		return jsonReq("PUT", bobPending, logBodyFor(c, `,"run_id":"`+liveRun+`","aliases":["v0"]`))
	}},
	{"finish", func(c string) oracleRequest {
		return jsonReq("POST", bobPending+"/finish", logBodyFor(c, `,"run_id":"`+liveRun+`"`))
	}},
	{"finish-by-finished-run", func(c string) oracleRequest {
		return jsonReq("POST", bobPending+"/finish", logBodyFor(c, `,"run_id":"`+doneRun+`"`))
	}},
	{"finish-bad-metadata", func(c string) oracleRequest {
		return jsonReq("POST", bobPending+"/finish", logBodyFor(c, `,"run_id":"`+liveRun+`","metadata":"x"`))
	}},
	{"missing-blobs", func(c string) oracleRequest {
		return jsonReq("POST", apiPrefix+"/blobs/missing", fmt.Appendf(nil, `{"digests":[%q]}`, core.DigestOf([]byte(c))))
	}},
	{"upload-target", func(c string) oracleRequest {
		return jsonReq("POST", apiPrefix+"/blobs/"+core.DigestOf([]byte(c)).String()+"/upload", fmt.Appendf(nil, `{"size":%d}`, len(c)))
	}},
	{"get-blob", func(c string) oracleRequest {
		return oracleRequest{method: "GET", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(c)).String()}
	}},
	{"put-blob-wrong-bytes", func(c string) oracleRequest {
		return oracleRequest{method: "PUT", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(c)).String(), body: bytes.Repeat([]byte("?"), len(c))}
	}},
	{"put-blob-short", func(c string) oracleRequest {
		return oracleRequest{method: "PUT", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(c)).String(), body: []byte(c[1:])}
	}},
	{"put-blob-long", func(c string) oracleRequest {
		return oracleRequest{method: "PUT", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(c)).String(), body: []byte(c + "!")}
	}},
	{"put-blob", func(c string) oracleRequest {
		return oracleRequest{method: "PUT", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(c)).String(), body: []byte(c)}
	}},
	// Content of the secret's size, and the secret itself, without a
	// digest (the size oracle of item 14).
	{"ingest-same-size", func(c string) oracleRequest {
		return oracleRequest{method: "POST", path: apiPrefix + "/blobs", body: bytes.Repeat([]byte("="), len(c))}
	}},
	{"ingest", func(c string) oracleRequest {
		return oracleRequest{method: "POST", path: apiPrefix + "/blobs", body: []byte(c)}
	}},
}

// secretOf is the secret content of variant i: its own, so that what one
// request does (bob proving a blob, say) cannot change another's answer,
// and of a size no other file has (so that ingest-same-size is the size
// oracle for this secret alone).
func secretOf(i int) string {
	return fmt.Sprintf("secret %d of alice: %s\n", i, strings.Repeat("s", i))
}

// normalizeAnswer returns a presigned upload target with what changes with
// every request (the proof, the signature and its time) and with the world
// (the bucket) masked: presigned URLs are unique by design, and equal in
// shape. Any other answer is returned as it is.
func normalizeAnswer(t *testing.T, body []byte) []byte {
	t.Helper()
	var tgt wire.UploadTarget
	if json.Unmarshal(body, &tgt) != nil || tgt.URL == "" {
		return body
	}
	u, err := url.Parse(tgt.URL)
	if err != nil {
		t.Fatalf("presigned URL %q: %v", tgt.URL, err)
	}
	q := u.Query()
	for _, k := range []string{"X-Amz-Signature", "X-Amz-Date", "X-Amz-Credential"} {
		if q.Get(k) == "" {
			t.Errorf("presigned URL %q lacks %s", tgt.URL, k)
		}
		q.Set(k, "*")
	}
	u.RawQuery = q.Encode()
	// Path-style: /bucket/sha256/…
	if seg := strings.SplitN(strings.TrimPrefix(u.Path, "/"), "/", 2); len(seg) == 2 {
		u.Path = "/BUCKET/" + seg[1]
	}
	tgt.URL = u.String()
	if p := tgt.Headers.Get("X-Amz-Meta-Trove-Proof"); len(p) != 32 {
		t.Errorf("presigned upload proof %q: want 32 hex digits", p)
	}
	tgt.Headers.Set("X-Amz-Meta-Trove-Proof", "*")
	out, err := json.Marshal(tgt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// bobRecords describes bob's upload records of d: whether bob may read it
// and whether he holds a claim with a proof.
func bobRecords(t *testing.T, w *oracleWorld, d core.Digest) string {
	t.Helper()
	readable, err := w.st.ReadableDigests(t.Context(), "bob", []core.Digest{d})
	if err != nil {
		t.Fatal(err)
	}
	claims, err := w.st.ProofClaims(t.Context(), "bob", []core.Digest{d})
	if err != nil {
		t.Fatal(err)
	}
	_, claimed := claims[d]
	return fmt.Sprintf("readable=%t proof-claim=%t", readable[d], claimed)
}

// TestContentOracle sends every request variant as bob, naming a blob alice
// stores in her private project ("stored by a stranger") and the same blob
// in a world where nobody stores it: status and body must be byte for byte
// the same (presigned URLs equal in shape), the blob store must see the
// same calls, and bob's records must end the same.
func TestContentOracle(t *testing.T) {
	for _, setup := range oracleSetups {
		t.Run(setup.name, func(t *testing.T) {
			var secrets []string
			for i := range oracleVariants {
				secrets = append(secrets, secretOf(i))
			}
			stranger := newOracleWorld(t, setup, secrets)
			nobody := newOracleWorld(t, setup, nil)
			for i, v := range oracleVariants {
				t.Run(v.name, func(t *testing.T) {
					c := secretOf(i)
					req := v.req(c)
					sStatus, sBody := stranger.send(t, "bob", req)
					sTrace := stranger.blobs.trace()
					nStatus, nBody := nobody.send(t, "bob", req)
					nTrace := nobody.blobs.trace()
					if sStatus != nStatus || !bytes.Equal(normalizeAnswer(t, sBody), normalizeAnswer(t, nBody)) {
						t.Errorf("stored by a stranger: %d %.300s\nstored by nobody:    %d %.300s\nwant the same answer", sStatus, sBody, nStatus, nBody)
					}
					if !slices.Equal(sTrace, nTrace) {
						t.Errorf("blob store calls differ:\nstored by a stranger: %q\nstored by nobody:    %q", sTrace, nTrace)
					}
					d := core.DigestOf([]byte(c))
					if s, n := bobRecords(t, stranger, d), bobRecords(t, nobody, d); s != n {
						t.Errorf("bob's records of the blob: stored by a stranger %s, stored by nobody %s", s, n)
					}
					t.Logf("%d %.200s", sStatus, normalizeAnswer(t, sBody))
				})
			}
			if setup.presign {
				t.Run("presigned-upload", func(t *testing.T) {
					c := secretOf(len(oracleVariants))
					stranger.logAs(t, stranger.svc, "alice", "private", "later", c)
					presignedUpload(t, stranger, nobody, c)
				})
			}
			// The secrets are intact, and alice may still read them.
			for i := range oracleVariants {
				// (The test client follows a presigned redirect.)
				if status, body := stranger.send(t, "alice", oracleRequest{method: "GET", path: apiPrefix + "/blobs/" + core.DigestOf([]byte(secretOf(i))).String()}); status != 200 || string(body) != secretOf(i) {
					t.Errorf("alice reads secret %d: %d %.80s", i, status, body)
				}
			}
		})
	}
}

// presignedUpload runs bob's presigned upload of c in both worlds: the
// upload target, a PUT of wrong bytes to the object store, a log, a PUT of
// the right bytes, a log. Every step must answer the same; the last log
// commits in both, since bob proved he has the bytes.
func presignedUpload(t *testing.T, stranger, nobody *oracleWorld, c string) {
	t.Helper()
	d := core.DigestOf([]byte(c))
	target := jsonReq("POST", apiPrefix+"/blobs/"+d.String()+"/upload", fmt.Appendf(nil, `{"size":%d}`, len(c)))
	logReq := jsonReq("POST", apiPrefix+"/projects/bob/mine/artifacts/uploaded/versions", logBodyFor(c, ""))
	type step struct {
		status int
		body   string
	}
	run := func(w *oracleWorld) []step {
		var steps []step
		status, body := w.send(t, "bob", target)
		steps = append(steps, step{status, string(normalizeAnswer(t, body))})
		var tgt wire.UploadTarget
		if err := json.Unmarshal(body, &tgt); err != nil || tgt.URL == "" {
			t.Fatalf("upload target %d %s: want a presigned URL", status, body)
		}
		for _, content := range []string{strings.Repeat("?", len(c)), c} {
			hr, err := http.NewRequestWithContext(t.Context(), "PUT", tgt.URL, strings.NewReader(content))
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tgt.Headers {
				hr.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(hr)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			steps = append(steps, step{resp.StatusCode, "(the object store's answer)"})
			status, body := w.send(t, "bob", logReq)
			var res service.LogResult
			if err := json.Unmarshal(body, &res); err != nil {
				t.Fatalf("log: %d %s", status, body)
			}
			steps = append(steps, step{status, fmt.Sprintf("created=%t version=%s missing=%v", res.Created, res.Version.FullName(), res.Missing)})
		}
		return steps
	}
	s, n := run(stranger), run(nobody)
	if !slices.Equal(s, n) {
		t.Errorf("presigned upload:\nstored by a stranger: %+v\nstored by nobody:    %+v", s, n)
	}
	if want := (step{200, "created=true version=bob/mine/uploaded:v0 missing=[]"}); s[len(s)-1] != want {
		t.Errorf("bob's log after his presigned upload: %+v, want %+v", s[len(s)-1], want)
	}
	if s[1].status != http.StatusBadRequest {
		t.Errorf("presigned PUT of wrong bytes: %d, want 400", s[1].status)
	}
	t.Logf("%+v", s)
}

// TestPINOracle replays the attack of issue 12: alice keeps a file holding
// a PIN in a private project; bob, who knows the file's format, asks about
// every candidate file with every request he may send, and compares the
// answers. He must learn nothing: the answers about the 100 candidates,
// alice's among them, are all the same (each up to the candidate's own
// digests, which bob computed himself).
func TestPINOracle(t *testing.T) {
	const real = "pin=4821\n"
	w := newOracleWorld(t, oracleSetups[0], []string{real})
	var first string
	firstPIN := ""
	for pin := 4800; pin < 4900; pin++ {
		c := fmt.Sprintf("pin=%04d\n", pin)
		var transcript strings.Builder
		for _, v := range oracleVariants {
			status, body := w.send(t, "bob", v.req(c))
			body = normalizeAnswer(t, body)
			for i, derived := range []string{c, c[1:], c + "!"} {
				body = bytes.ReplaceAll(body, []byte(core.DigestOf([]byte(derived)).String()), fmt.Appendf(nil, "<candidate digest %d>", i))
			}
			fmt.Fprintf(&transcript, "%s: %d %s\n", v.name, status, body)
		}
		switch {
		case first == "":
			first, firstPIN = transcript.String(), c
		case transcript.String() != first:
			t.Errorf("bob tells %q from %q (alice stores %q):%s", c, firstPIN, real, lineDiff(first, transcript.String()))
		}
	}
}

// TestOracleTiming measures what an attacker would: the same requests about
// a blob alice stores privately and about one nobody stores, alternated on
// one server, and reports the median and quartiles of each. It asserts
// nothing (timings are noisy on a shared machine); set TROVE_ORACLE_TIMING=N
// (requests per case) to run it:
//
//	TROVE_ORACLE_TIMING=400 go test -run TestOracleTiming -v ./internal/server
func TestOracleTiming(t *testing.T) {
	n := 0
	fmt.Sscan(os.Getenv("TROVE_ORACLE_TIMING"), &n)
	if n <= 0 {
		t.Skip("set TROVE_ORACLE_TIMING=N to measure")
	}
	big := strings.Repeat("alice's weights ", 1<<16) // 1 MiB
	for _, setup := range oracleSetups {
		t.Run(setup.name, func(t *testing.T) {
			stored, absent := "alice's secret\n", "nobody's secret\n"
			storedBig, absentBig := big+"A", big+"B"
			w := newOracleWorld(t, setup, []string{stored, storedBig})
			for _, v := range oracleVariants {
				if v.name == "put-blob" || v.name == "ingest" || v.name == "ingest-same-size" {
					continue // they change what bob may read, or store
				}
				for _, pair := range [][2]string{{stored, absent}, {storedBig, absentBig}} {
					if len(pair[0]) > 1000 && !strings.HasPrefix(v.name, "put-blob") && v.name != "log" && v.name != "missing-blobs" {
						continue
					}
					var times [2][]time.Duration
					for i := range 2 * n {
						c := pair[i%2]
						req := v.req(c)
						start := time.Now()
						w.send(t, "bob", req)
						times[i%2] = append(times[i%2], time.Since(start))
					}
					q := func(ds []time.Duration) string {
						slices.Sort(ds)
						return fmt.Sprintf("%6.0f %6.0f %6.0f", us(ds[len(ds)/4]), us(ds[len(ds)/2]), us(ds[3*len(ds)/4]))
					}
					t.Logf("%-26s %7d B  stranger-stored q1/median/q3 µs %s   nobody-stored %s",
						v.name, len(pair[0]), q(times[0]), q(times[1]))
				}
			}
		})
	}
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
