package server

import (
	"context"
	"io"
	"net/http"
	"reflect"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestReferenceDigestGrantsNothing: a reference entry's digest names an
// object outside the store, and the server takes it on the client's word.
// So a stranger who logs a reference entry carrying the digest of a blob in
// someone's private project — in a project of its own, even a public one —
// commits it without any proof (there is no blob to prove), and still
// cannot read that blob, through the server or a presigned URL; nor can
// anyone else who reads the stranger's project.
func TestReferenceDigestGrantsNothing(t *testing.T) {
	ctx := context.Background()
	w := newAccessWorld(t, true)
	s3 := newFakeS3(t, w.svc)
	ps := presigningServer(t, w, s3)
	private := w.seeds["owner/private"]
	secret := core.DigestOf([]byte(private.unique))
	stranger := w.clientOf(t, w.ts.URL, "stranger")

	m, err := core.NewManifest([]core.Entry{
		{Path: "stolen.txt", Digest: secret, Size: int64(len(private.unique)), Ref: "s3://stranger/stolen.txt",
			Extra: map[string]string{"etag": `"0123"`, "version_id": "v1"}},
		// A digest nobody stored: no upload is asked for.
		{Path: "far.bin", Digest: core.DigestOf([]byte("far away")), Size: 8, Ref: "https://example.com/far.bin",
			Extra: map[string]string{"etag": `W/"x"`}},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, project := range []string{"mine", "open-refs"} {
		res, err := stranger.LogArtifact(ctx, service.LogRequest{Entity: "stranger", Project: project, Name: "refs", Type: "dataset", Manifest: m})
		if err != nil || !res.Created || len(res.Missing) != 0 {
			t.Fatalf("stranger logs reference entries in %s: %+v, %v; want committed with nothing missing", project, res, err)
		}
	}
	if err := w.acc.SetProjectPublic(ctx, w.p["stranger"], "stranger", "open-refs", true); err != nil {
		t.Fatal(err)
	}

	// The manifest comes back over HTTP with ref and extra intact.
	ref := core.Ref{Entity: "stranger", Project: "mine", Name: "refs", Selector: "v0"}
	got, err := stranger.Manifest(ctx, ref)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Entries(), m.Entries()) {
		t.Errorf("manifest over HTTP = %+v, want %+v", got.Entries(), m.Entries())
	}
	e, err := stranger.Entry(ctx, ref, "stolen.txt")
	if err != nil || !reflect.DeepEqual(e, m.Entries()[1]) {
		t.Errorf("entry over HTTP = %+v, %v; want %+v", e, err, m.Entries()[1])
	}

	// Neither the stranger nor anyone who reads its public project may read
	// the private blob; its owner still may.
	for _, u := range []string{"stranger", "member", "viewer"} {
		w.wantBlobStatus(t, u, secret, 404, "")
	}
	w.wantBlobStatus(t, "owner", secret, 200, private.unique)
	for _, u := range []string{"stranger", "member"} {
		status, _, body := w.callAt(t, ps.URL, "GET", apiPrefix+"/blobs/"+secret.String(), w.keys[u])
		if status != 404 {
			t.Errorf("GET blob on the presigning server as %s: %d %.80q, want 404", u, status, body)
		}
	}
	// Nor name it in a stored entry afterwards.
	wantMissing(t, "stranger logs the private digest as a file after the reference",
		w.logOne(t, "stranger", "stranger/mine", "claimed", secret, len(private.unique)), secret)
	rc, err := stranger.GetBlob(ctx, secret)
	if err == nil {
		b, _ := io.ReadAll(rc)
		rc.Close()
		t.Fatalf("the stranger read the private blob through a reference digest: %q", b)
	}
	if core.KindOf(err) != core.ErrNotFound {
		t.Errorf("stranger GetBlob: %v, want not found", err)
	}
}

// callAt sends a request without a body to the server at url, as the
// holder of key, and does not follow redirects (a presigned URL is a
// redirect: being handed one is being let in).
func (w *accessWorld) callAt(t *testing.T, url, method, path, key string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
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
