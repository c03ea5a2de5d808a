package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/blob/s3test"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// fakeS3 stands in for an object store behind presigned URLs: it stores
// what is PUT to it through the unguarded service (which, like S3 with the
// checksum header, refuses bytes that do not match the digest) and counts
// the PUTs, to tell which uploads went around the server.
type fakeS3 struct {
	svc *service.Service
	ts  *httptest.Server

	mu     sync.Mutex
	puts   int
	proofs map[core.Digest]string // the proof of each object's last PUT
}

func newFakeS3(t *testing.T, svc *service.Service) *fakeS3 {
	t.Helper()
	o := &fakeS3{svc: svc, proofs: map[core.Digest]string{}}
	o.ts = httptest.NewServer(o)
	t.Cleanup(o.ts.Close)
	return o
}

func (o *fakeS3) PresignGet(ctx context.Context, d core.Digest, ttl time.Duration) (string, error) {
	return o.ts.URL + "/" + d.String(), nil
}

func (o *fakeS3) PresignPut(ctx context.Context, d core.Digest, size int64, ttl time.Duration, proof string) (string, http.Header, error) {
	return o.ts.URL + "/" + d.String() + "?size=" + strconv.FormatInt(size, 10) + "&proof=" + proof,
		http.Header{"X-Amz-Meta-Trove-Proof": {proof}}, nil
}

func (o *fakeS3) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.proofs[d], nil
}

func (o *fakeS3) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d, err := core.ParseDigest(strings.TrimPrefix(r.URL.Path, "/"))
	if err != nil {
		http.Error(w, "<Code>NoSuchKey</Code>", http.StatusNotFound)
		return
	}
	switch r.Method {
	case http.MethodPut:
		o.mu.Lock()
		o.puts++
		o.mu.Unlock()
		if r.Header.Get("X-Amz-Meta-Trove-Proof") != r.URL.Query().Get("proof") {
			http.Error(w, "<Code>SignatureDoesNotMatch</Code>", http.StatusForbidden)
			return
		}
		// Like S3 with the checksum header, refuse a body that does not
		// hash to d, also when d is stored (the store would skip it).
		body, err := io.ReadAll(r.Body)
		if err != nil || core.DigestOf(body) != d {
			http.Error(w, "<Code>BadDigest</Code>", http.StatusBadRequest)
			return
		}
		if err := o.svc.PutBlob(r.Context(), d, int64(len(body)), bytes.NewReader(body)); err != nil {
			http.Error(w, "<Code>InternalError</Code>", http.StatusInternalServerError)
			return
		}
		o.mu.Lock()
		o.proofs[d] = r.URL.Query().Get("proof")
		o.mu.Unlock()
	case http.MethodGet:
		rc, err := o.svc.GetBlob(r.Context(), d)
		if err != nil {
			http.Error(w, "<Code>NoSuchKey</Code>", http.StatusNotFound)
			return
		}
		defer rc.Close()
		io.Copy(w, rc)
	default:
		http.Error(w, "<Code>AccessDenied</Code>", http.StatusForbidden)
	}
}

func (o *fakeS3) putCount() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.puts
}

// fakeS3Blobs is the blob store of a service behind fakeS3: the store the
// fake writes to, which also reads the proofs of the fake's PUTs.
type fakeS3Blobs struct {
	service.Blobs
	o *fakeS3
}

func (b fakeS3Blobs) CanPresign() bool { return true }

func (b fakeS3Blobs) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	if _, err := b.Stat(ctx, d); err != nil {
		return "", err
	}
	return b.o.UploadProof(ctx, d)
}

// presigningServer serves w's store and accounts like w.ts, but hands out
// presigned URLs of s3.
func presigningServer(t *testing.T, w *accessWorld, s3 *fakeS3) *httptest.Server {
	t.Helper()
	svc := service.New(w.st, fakeS3Blobs{w.svc.Blobs(), s3}, service.Options{})
	srv, err := New(Options{Service: svc, Auth: NewAuth(w.st), Presigner: s3})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
	return ts
}

// clientOf returns the HTTP client of the service, as user, on the server at
// url.
func (w *accessWorld) clientOf(t *testing.T, url, user string) *client.Client {
	t.Helper()
	c, err := client.New(url, client.Options{APIKey: w.keys[user], RetryFor: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// logOne logs a one-file version of digest d and size as user, straight
// over HTTP, and returns the answer.
func (w *accessWorld) logOne(t *testing.T, user, ep, name string, d core.Digest, size int) service.LogResult {
	t.Helper()
	body := fmt.Sprintf(`{"type":"dataset","manifest":[{"path":"f","digest":%q,"size":%d}]}`, d, size)
	status, _, got := w.call(t, "POST", apiPrefix+"/projects/"+ep+"/artifacts/"+name+"/versions", w.keys[user], body)
	var res service.LogResult
	if status != 200 || json.Unmarshal(got, &res) != nil {
		t.Fatalf("log %s/%s as %s: %d %s", ep, name, user, status, got)
	}
	return res
}

// uploadTargetOf asks the server at url, as user, where to upload d.
func (w *accessWorld) uploadTargetOf(t *testing.T, url, user string, d core.Digest, size int) wire.UploadTarget {
	t.Helper()
	req, err := http.NewRequest("POST", url+apiPrefix+"/blobs/"+d.String()+"/upload", strings.NewReader(fmt.Sprintf(`{"size":%d}`, size)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.keys[user])
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var tgt wire.UploadTarget
	if resp.StatusCode != 200 || json.NewDecoder(resp.Body).Decode(&tgt) != nil {
		t.Fatalf("upload target of %s as %s: %s", d, user, resp.Status)
	}
	return tgt
}

// wantMissing checks that a log answer committed nothing and lists want as
// missing.
func wantMissing(t *testing.T, what string, res service.LogResult, want ...core.Digest) {
	t.Helper()
	if res.Created || res.Version.Name != "" || !slices.Equal(res.Missing, want) {
		t.Errorf("%s: created=%v version=%q missing=%v; want nothing committed and %v missing",
			what, res.Created, res.Version.FullName(), res.Missing, want)
	}
}

// wantBlobStatus checks what GET /blobs/d answers user.
func (w *accessWorld) wantBlobStatus(t *testing.T, user string, d core.Digest, want int, wantBody string) {
	t.Helper()
	status, _, got := w.call(t, "GET", apiPrefix+"/blobs/"+d.String(), w.keys[user], "")
	if status != want || (want == 200 && string(got) != wantBody) {
		t.Errorf("GET blob %s as %s: %d %.60q, want %d", d, user, status, got, want)
	}
}

// TestProofOfPossession: knowing the digest of a blob in someone else's
// private project is not enough to commit it, read it, or be told it is
// stored; sending its bytes is, through the server or a presigned URL,
// and also when the blob was stored long before.
func TestProofOfPossession(t *testing.T) {
	ctx := context.Background()
	w := newAccessWorld(t, true)
	s3 := newFakeS3(t, w.svc)
	ps := presigningServer(t, w, s3)
	private := w.seeds["owner/private"]
	secret, content := core.DigestOf([]byte(private.unique)), private.unique
	size := len(content)
	stranger := w.clientOf(t, ps.URL, "stranger")

	t.Run("digest-alone", func(t *testing.T) {
		before := w.snapshot(t, "stranger", "stranger/mine")
		wantMissing(t, "stranger logs the private digest", w.logOne(t, "stranger", "stranger/mine", "claimed", secret, size), secret)
		if after := w.snapshot(t, "stranger", "stranger/mine"); after != before {
			t.Errorf("stranger/mine changed:%s", lineDiff(before, after))
		}
		w.wantBlobStatus(t, "stranger", secret, 404, "")
		// Stored, and as good as absent to the stranger: the upload
		// protocol asks for the bytes, through a presigned URL of the
		// same shape as for a blob nobody stores.
		missing, err := stranger.MissingBlobs(ctx, []core.Digest{secret})
		if err != nil || !slices.Equal(missing, []core.Digest{secret}) {
			t.Errorf("stranger: MissingBlobs = %v, %v; want the private blob", missing, err)
		}
		tgt := w.uploadTargetOf(t, ps.URL, "stranger", secret, size)
		absent := w.uploadTargetOf(t, ps.URL, "stranger", core.DigestOf([]byte("nobody has this")), size)
		if tgt.Stored || tgt.URL == "" || !tgt.Presigns || !slices.Equal(slices.Sorted(maps.Keys(tgt.Headers)), slices.Sorted(maps.Keys(absent.Headers))) {
			t.Errorf("upload target of the private blob for the stranger: %+v, want one like that of an absent blob: %+v", tgt, absent)
		}
		// Its owner is told it is stored.
		if tgt := w.uploadTargetOf(t, ps.URL, "owner", secret, size); !tgt.Stored {
			t.Errorf("upload target of the private blob for its owner: %+v, want stored", tgt)
		}
	})

	t.Run("wrong-bytes", func(t *testing.T) {
		puts := s3.putCount()
		for _, body := range []string{
			strings.Repeat("x", size), // same size, other content
			content[:size-1],          // short
			content + "!",             // long
		} {
			err := stranger.PutBlob(ctx, secret, int64(len(body)), strings.NewReader(body))
			if core.KindOf(err) != core.ErrCorrupt {
				t.Errorf("stranger PUTs %d wrong bytes for the private blob: %v, want corrupt", len(body), err)
			}
		}
		// Declared with the right size but another body, straight over HTTP.
		status, _, got := w.call(t, "PUT", apiPrefix+"/blobs/"+secret.String(), w.keys["stranger"], strings.Repeat("y", size))
		if status != http.StatusUnprocessableEntity {
			t.Errorf("PUT of wrong bytes: %d %s, want 422", status, got)
		}
		if n := s3.putCount(); n != puts+3 {
			t.Errorf("the object store received %d PUTs, want the 3 the stranger was sent", n-puts)
		}
		w.wantBlobStatus(t, "stranger", secret, 404, "")
		wantMissing(t, "stranger logs after wrong bytes", w.logOne(t, "stranger", "stranger/mine", "claimed", secret, size), secret)
		w.wantBlobStatus(t, "owner", secret, 200, content)
	})

	t.Run("right-bytes", func(t *testing.T) {
		puts := s3.putCount()
		if err := stranger.PutBlob(ctx, secret, int64(size), strings.NewReader(content)); err != nil {
			t.Fatalf("stranger uploads the right bytes: %v", err)
		}
		if n := s3.putCount(); n != puts+1 {
			t.Errorf("the bytes made %d presigned PUTs, want 1", n-puts)
		}
		m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: secret, Size: int64(size)}})
		res, err := stranger.LogArtifact(ctx, service.LogRequest{Entity: "stranger", Project: "mine", Name: "claimed", Type: "dataset", Manifest: m})
		if err != nil || !res.Created || len(res.Missing) != 0 {
			t.Fatalf("stranger logs after uploading the bytes: %+v, %v", res, err)
		}
		rc, err := stranger.GetBlob(ctx, secret)
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || string(got) != content {
			t.Errorf("stranger reads the blob it proved to have: %q, %v", got, err)
		}
	})

	t.Run("second-user-still-cannot", func(t *testing.T) {
		// member (of lab) knows the digest too, and may write to
		// lab/shared, but never showed the bytes.
		wantMissing(t, "member logs the private digest", w.logOne(t, "member", "lab/shared", "claimed", secret, size), secret)
		w.wantBlobStatus(t, "member", secret, 404, "")
		if tgt := w.uploadTargetOf(t, ps.URL, "member", secret, size); tgt.Stored || tgt.URL == "" {
			t.Errorf("upload target for member: %+v, want a presigned URL", tgt)
		}
	})

	t.Run("owner-dedups", func(t *testing.T) {
		// The rightful owner logs the same content again: it dedups,
		// into the same collection and as a new collection, with nothing
		// to upload.
		m, err := w.svc.Manifest(ctx, private.ds.Ref())
		if err != nil {
			t.Fatal(err)
		}
		owner := w.clientOf(t, ps.URL, "owner")
		res, err := owner.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "ds", Type: "dataset", Manifest: m})
		if err != nil || res.Created || len(res.Missing) != 0 || res.Version.Index != 0 || res.Version.Digest != private.ds.Digest {
			t.Errorf("owner logs ds:v0's content again: %+v, %v; want ds:v0", res, err)
		}
		res, err = owner.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "copy", Type: "dataset", Manifest: m})
		if err != nil || !res.Created || len(res.Missing) != 0 {
			t.Errorf("owner logs ds:v0's content as a new collection: %+v, %v", res, err)
		}
	})

	t.Run("presigned-upload", func(t *testing.T) {
		// A new blob goes around the server, once: the uploader's claim
		// lets it commit without sending the bytes again.
		member := w.clientOf(t, ps.URL, "member")
		fresh := "fresh content of member\n"
		d := core.DigestOf([]byte(fresh))
		puts := s3.putCount()
		if err := member.PutBlob(ctx, d, int64(len(fresh)), strings.NewReader(fresh)); err != nil {
			t.Fatal(err)
		}
		if n := s3.putCount(); n != puts+1 {
			t.Fatalf("a new blob made %d presigned PUTs, want 1", n-puts)
		}
		// Until it is committed, the blob is the member's: the stranger,
		// who knows the digest, may not take it.
		wantMissing(t, "stranger logs the member's uncommitted blob", w.logOne(t, "stranger", "stranger/mine", "early", d, len(fresh)), d)
		res := w.logOne(t, "member", "lab/shared", "fresh", d, len(fresh))
		if !res.Created || len(res.Missing) != 0 {
			t.Errorf("member logs its presigned upload: %+v", res)
		}
		if n := s3.putCount(); n != puts+1 {
			t.Errorf("the member was asked to upload again")
		}
		wantMissing(t, "stranger logs the member's committed blob", w.logOne(t, "stranger", "stranger/mine", "late", d, len(fresh)), d)
		w.wantBlobStatus(t, "stranger", d, 404, "")
	})

	t.Run("presign-claim-race", func(t *testing.T) {
		// The stranger learns a digest before its content is uploaded and
		// asks to upload it, without sending anything. The owner's
		// upload later carries the owner's proof: the owner may commit
		// the blob, the stranger may not.
		later := "uploaded later\n"
		d := core.DigestOf([]byte(later))
		if tgt := w.uploadTargetOf(t, ps.URL, "stranger", d, len(later)); tgt.URL == "" {
			t.Fatalf("upload target of a new blob: %+v, want a presigned URL", tgt)
		}
		owner := w.clientOf(t, ps.URL, "owner")
		if err := owner.PutBlob(ctx, d, int64(len(later)), strings.NewReader(later)); err != nil {
			t.Fatal(err)
		}
		wantMissing(t, "stranger logs the blob it claimed", w.logOne(t, "stranger", "stranger/mine", "raced", d, len(later)), d)
		// Proofs are read from the object store: through the presigning
		// server.
		m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: d, Size: int64(len(later))}})
		res, err := owner.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "raced", Type: "dataset", Manifest: m})
		if err != nil || !res.Created {
			t.Errorf("owner logs the blob claimed twice, uploaded with its proof: %+v, %v", res, err)
		}
		wantMissing(t, "stranger logs the owner's blob", w.logOne(t, "stranger", "stranger/mine", "raced", d, len(later)), d)
		w.wantBlobStatus(t, "stranger", d, 404, "")
	})

	t.Run("admin-unaffected", func(t *testing.T) {
		res := w.logOne(t, "admin", "admin/any", "secret", secret, size)
		if !res.Created || len(res.Missing) != 0 {
			t.Errorf("admin logs a stored digest: %+v", res)
		}
		if tgt := w.uploadTargetOf(t, ps.URL, "admin", secret, size); !tgt.Stored {
			t.Errorf("upload target for the admin: %+v, want stored", tgt)
		}
		w.wantBlobStatus(t, "admin", secret, 200, content)
	})
}

// TestPutStoredBlobReadsBody: a caller who must prove possession of a stored
// blob has its whole body read and hashed, though the store skips reading;
// also a body of unknown length.
func TestPutStoredBlobReadsBody(t *testing.T) {
	w := newAccessWorld(t, true)
	private := w.seeds["owner/private"]
	secret := core.DigestOf([]byte(private.unique))
	// A right body PUT without Content-Length (chunked), size unknown.
	req, err := http.NewRequest("PUT", w.ts.URL+apiPrefix+"/blobs/"+secret.String(), io.MultiReader(bytes.NewReader([]byte(private.unique))))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+w.keys["viewer"])
	resp, err := w.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("chunked PUT of the right bytes: %s", resp.Status)
	}
	w.wantBlobStatus(t, "viewer", secret, 200, private.unique)
	w.wantBlobStatus(t, "stranger", secret, 404, "")
}

// TestProofOfPossessionPostgresS3 runs the story on the scale-out set-up: a
// server on PostgreSQL whose blobs live in a real S3 server (versitygw) that
// checks presigned uploads itself.
func TestProofOfPossessionPostgresS3(t *testing.T) {
	ctx := context.Background()
	gw := s3test.Server(t)
	m := metatest.OpenPostgres(t)
	b, err := blob.Open(ctx, gw.NewBucketURL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	auth := NewAuth(m)
	srv, err := New(Options{Service: service.New(m, b, service.Options{}), Auth: auth, Presigner: b})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(ts.Close)
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
	clients := map[string]*client.Client{}
	for _, u := range []string{"owner", "stranger"} {
		_, key, err := auth.Accounts().CreateUser(ctx, admin, u, false)
		if err != nil {
			t.Fatal(err)
		}
		if clients[u], err = client.New(ts.URL, client.Options{APIKey: key, RetryFor: -1}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { clients[u].Close() })
	}
	content := strings.Repeat("private weights ", 1000)
	d := core.DigestOf([]byte(content))
	m1, _ := core.NewManifest([]core.Entry{{Path: "w", Digest: d, Size: int64(len(content))}})
	logAs := func(user, entity string) service.LogResult {
		t.Helper()
		res, err := clients[user].LogArtifact(ctx, service.LogRequest{Entity: entity, Project: "p", Name: "model", Type: "model", Manifest: m1})
		if err != nil {
			t.Fatal(err)
		}
		return res
	}

	// The owner's upload goes to S3 through a presigned URL, and one
	// round commits it.
	wantMissing(t, "owner logs before uploading", logAs("owner", "owner"), d)
	if err := clients["owner"].PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if res := logAs("owner", "owner"); !res.Created {
		t.Fatalf("owner logs after its presigned upload: %+v", res)
	}

	wantMissing(t, "stranger names the owner's blob", logAs("stranger", "stranger"), d)
	err = clients["stranger"].PutBlob(ctx, d, int64(len(content)), strings.NewReader(strings.ToUpper(content)))
	if core.KindOf(err) != core.ErrCorrupt {
		t.Errorf("stranger uploads wrong bytes: %v, want corrupt", err)
	}
	if _, err := clients["stranger"].GetBlob(ctx, d); core.KindOf(err) != core.ErrNotFound {
		t.Errorf("stranger downloads the owner's blob: %v, want not found", err)
	}
	if err := clients["stranger"].PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	if res := logAs("stranger", "stranger"); !res.Created {
		t.Errorf("stranger logs after sending the bytes: %+v", res)
	}
	rc, err := clients["stranger"].GetBlob(ctx, d)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil || string(got) != content {
		t.Errorf("stranger downloads the blob it proved to have: %d bytes, %v", len(got), err)
	}
}
