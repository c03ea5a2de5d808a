package server

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestIngestBlob: a blob sent without its digest is stored under the
// digest the server computes; a second blob of a size the store knows (only
// once committed), a body without a length, and a presigning server are
// refused before the body is read.
func TestIngestBlob(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	body := []byte("streamed while hashed")
	code, _, b := e.do(t, "POST", "/api/v1/blobs", bytes.NewReader(body))
	if code != http.StatusCreated {
		t.Fatalf("ingest: %d %s", code, b)
	}
	var got struct {
		Digest core.Digest `json:"digest"`
		Size   int64       `json:"size"`
	}
	if err := json.Unmarshal(b, &got); err != nil || got.Digest != core.DigestOf(body) || got.Size != int64(len(body)) {
		t.Fatalf("ingest answered %s (%v)", b, err)
	}
	if code, _, b := e.do(t, "GET", "/api/v1/blobs/"+got.Digest.String(), nil); code != http.StatusOK || !bytes.Equal(b, body) {
		t.Fatalf("the ingested blob reads back as %d %q", code, b)
	}

	// Once a version holds a file of that size, a blob of the same size
	// may be a duplicate: the server declines it.
	m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: got.Digest, Size: got.Size}})
	if err != nil {
		t.Fatal(err)
	}
	mj, _ := json.Marshal(map[string]any{"type": "dataset", "manifest": m})
	if code, _, b := e.do(t, "POST", "/api/v1/projects/"+e.user+"/p/artifacts/a/versions", bytes.NewReader(mj)); code != http.StatusOK && code != http.StatusCreated {
		t.Fatalf("log: %d %s", code, b)
	}
	same := strings.Repeat("x", len(body))
	code, hdr, b := e.do(t, "POST", "/api/v1/blobs", strings.NewReader(same))
	wantError(t, "ingest of a known size", code, hdr, b, http.StatusConflict, "conflict")

	// No Content-Length: refused.
	code, hdr, b = e.do(t, "POST", "/api/v1/blobs", struct{ *strings.Reader }{strings.NewReader("no length")})
	wantError(t, "ingest without a length", code, hdr, b, http.StatusBadRequest, "invalid")

	// Without a key: 401, as everywhere.
	code, hdr, b = e.do(t, "POST", "/api/v1/blobs", strings.NewReader("anon"), "Authorization", "")
	wantError(t, "ingest without a key", code, hdr, b, http.StatusUnauthorized, "unauthenticated")
}

// TestIngestBlobRefusedWhenPresigning: a server whose blobs move through
// presigned URLs never carries blob bytes, so it declines streamed uploads.
func TestIngestBlobRefusedWhenPresigning(t *testing.T) {
	svc, _ := newService(t)
	e := newEnv(t, Options{Presigner: newFakeS3(t, svc)}, nil)
	code, hdr, b := e.do(t, "POST", "/api/v1/blobs", strings.NewReader("bytes"))
	wantError(t, "ingest on a presigning server", code, hdr, b, http.StatusConflict, "conflict")
}

// TestIngestSizeOracle: a server declines a streamed upload only for a size
// of a file the caller may read; the size of a file hidden from it is taken
// like a size nobody stores (item 14 of issue 12).
func TestIngestSizeOracle(t *testing.T) {
	w := newOracleWorld(t, oracleSetups[0], []string{"alice's private file\n"})
	nobody := newOracleWorld(t, oracleSetups[0], nil)
	ingest := func(w *oracleWorld, user string, n int) (int, []byte) {
		t.Helper()
		return w.send(t, user, oracleRequest{method: "POST", path: apiPrefix + "/blobs", body: bytes.Repeat([]byte("x"), n)})
	}
	private := len("alice's private file\n")
	own := len("bob's own file\n")
	// Bob: alice's size is no size to him.
	sStatus, sBody := ingest(w, "bob", private)
	nStatus, nBody := ingest(nobody, "bob", private)
	if sStatus != http.StatusCreated || sStatus != nStatus || !bytes.Equal(sBody, nBody) {
		t.Errorf("bob ingests alice's size: %d %s; where nobody stores it: %d %s; want 201 in both", sStatus, sBody, nStatus, nBody)
	}
	// A size he may read is declined, as before.
	status, body := ingest(w, "bob", own)
	if status != http.StatusConflict || !strings.Contains(string(body), "send the blob by digest") {
		t.Errorf("bob ingests the size of his own file: %d %s, want 409", status, body)
	}
	status, body = ingest(w, "alice", private+1000)
	if status != http.StatusCreated {
		t.Errorf("alice ingests a new size: %d %s", status, body)
	}
	status, body = ingest(w, "alice", private)
	if status != http.StatusConflict {
		t.Errorf("alice ingests the size of her own file: %d %s, want 409", status, body)
	}
}
