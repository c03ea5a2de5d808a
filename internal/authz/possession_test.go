package authz_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// logDigest logs a one-file version of content's digest through api,
// without uploading anything.
func logDigest(t *testing.T, api service.API, entity, project, name, content string) service.LogResult {
	t.Helper()
	m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf([]byte(content)), Size: int64(len(content))}})
	if err != nil {
		t.Fatal(err)
	}
	res, err := api.LogArtifact(context.Background(), service.LogRequest{Entity: entity, Project: project, Name: name, Type: "dataset", Manifest: m})
	if err != nil {
		t.Fatalf("LogArtifact(%s/%s/%s): %v", entity, project, name, err)
	}
	return res
}

func wantCommitted(t *testing.T, what string, res service.LogResult) {
	t.Helper()
	if len(res.Missing) != 0 || res.Version.Name == "" {
		t.Errorf("%s: %+v, want a version", what, res)
	}
}

func wantHeldBack(t *testing.T, what string, res service.LogResult, want ...core.Digest) {
	t.Helper()
	if res.Version.Name != "" || !slices.Equal(res.Missing, want) {
		t.Errorf("%s: version %q, missing %v; want nothing committed and %v missing", what, res.Version.FullName(), res.Missing, want)
	}
}

// TestLogNeedsPossession: a stored blob may go into a new version only for
// a caller who may read it, sent its bytes, or finds it unclaimed.
func TestLogNeedsPossession(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv, team := w.seeds["owner/priv"], w.seeds["team/priv"]
	privContent := "data of owner/priv"
	stranger := w.as("stranger")

	before := w.snapshot("stranger/mine")
	wantHeldBack(t, "stranger names a private blob", logDigest(t, stranger, "stranger", "mine", "stolen", privContent), priv.blob)
	if after := w.snapshot("stranger/mine"); after != before {
		t.Errorf("a held-back log changed stranger/mine: %s", after)
	}
	// The missing list holds plain absent blobs too, so that one round
	// of uploads does; reference entries need no blob at all.
	absent := core.DigestOf([]byte("absent"))
	m, err := core.NewManifest([]core.Entry{
		{Path: "a", Digest: priv.blob, Size: int64(len(privContent))},
		{Path: "b", Digest: absent, Size: 6},
		{Path: "c", Digest: w.seeds["owner/pub"].blob, Size: int64(len("data of owner/pub"))},
		{Path: "d", Digest: core.DigestOf([]byte("https://example.com/x")), Size: 1, Ref: "https://example.com/x"},
	})
	if err != nil {
		t.Fatal(err)
	}
	res, err := stranger.LogArtifact(ctx, service.LogRequest{Entity: "stranger", Project: "mine", Name: "mixed", Type: "dataset", Manifest: m})
	if err != nil {
		t.Fatal(err)
	}
	wantHeldBack(t, "stranger logs a mixed manifest", res, priv.blob, absent)
	// Bad input is still an error, not a list of blobs to upload.
	_, err = stranger.LogArtifact(ctx, service.LogRequest{Entity: "stranger", Project: "mine", Name: "bad/name", Type: "dataset", Manifest: m})
	wantKind(t, "held-back log with a bad name", err, core.ErrInvalid)

	// What one may read, one may name: a public blob, a team's blob for a
	// viewer, in its own project.
	wantCommitted(t, "stranger names a public blob", logDigest(t, stranger, "stranger", "mine", "public", "data of owner/pub"))
	wantCommitted(t, "viewer names the team's blob", logDigest(t, w.as("tviewer"), "tviewer", "mine", "copy", "data of team/priv"))
	// Content identical to a version of the collection dedups, with no
	// upload: the writer reads that version's blobs anyway.
	mm, err := w.inner.Manifest(ctx, team.data.Ref())
	if err != nil {
		t.Fatal(err)
	}
	res, err = w.as("tmember").LogArtifact(ctx, service.LogRequest{Entity: "team", Project: "priv", Name: "data", Type: "dataset", Manifest: mm})
	if err != nil || res.Created || len(res.Missing) != 0 || res.Version.Index != team.data.Index {
		t.Errorf("member logs data:v0's content again: %+v, %v; want data:v0", res, err)
	}
	// Site admins are not held back.
	wantCommitted(t, "admin names a private blob", logDigest(t, w.as("admin"), "admin", "x", "any", privContent))

	// A blob no version holds and nobody recorded is unclaimed: anyone
	// may name it. One uploaded by a user is that user's until committed.
	loose := "stored by the service itself"
	files(t, w.inner, map[string]string{"f": loose})
	owned := "uploaded by the owner"
	files(t, w.as("owner"), map[string]string{"f": owned})
	wantHeldBack(t, "stranger names the owner's uncommitted upload", logDigest(t, stranger, "stranger", "mine", "owned", owned), core.DigestOf([]byte(owned)))
	wantCommitted(t, "owner names its uncommitted upload", logDigest(t, w.as("owner"), "owner", "priv", "owned", owned))
	wantCommitted(t, "stranger names an unclaimed blob", logDigest(t, stranger, "stranger", "mine", "loose", loose))

	// Sending the bytes is proof.
	if err := stranger.PutBlob(ctx, priv.blob, int64(len(privContent)), strings.NewReader(privContent)); err != nil {
		t.Fatal(err)
	}
	wantCommitted(t, "stranger names the private blob it sent", logDigest(t, stranger, "stranger", "mine", "stolen", privContent))
	wantKind(t, "stranger reads the blob it sent", readAll(stranger, priv.blob), nil)
	wantHeldBack(t, "tviewer still only knows the digest", logDigest(t, w.as("tviewer"), "tviewer", "mine", "stolen", privContent), priv.blob)
}

// TestPutBlobProves: PutBlob hashes a stored blob's bytes for a caller who
// cannot read it, and records the proof only for the right bytes.
func TestPutBlobProves(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv := w.seeds["owner/priv"]
	content := "data of owner/priv"
	stranger := w.as("stranger")
	for _, c := range []struct {
		what string
		size int64
		body string
	}{
		{"same size, other bytes", int64(len(content)), strings.ToUpper(content)},
		{"short", int64(len(content)), content[1:]},
		{"long", int64(len(content)), content + "!"},
		{"right bytes, wrong size", int64(len(content)) + 1, content},
		{"other bytes, size unknown", -1, "nothing like it"},
	} {
		err := stranger.PutBlob(ctx, priv.blob, c.size, strings.NewReader(c.body))
		wantKind(t, "PutBlob: "+c.what, err, core.ErrCorrupt)
	}
	wantKind(t, "stranger reads after bad uploads", readAll(stranger, priv.blob), core.ErrNotFound)
	if err := stranger.PutBlob(ctx, priv.blob, -1, strings.NewReader(content)); err != nil {
		t.Fatalf("PutBlob of the right bytes, size unknown: %v", err)
	}
	wantKind(t, "stranger reads after sending the bytes", readAll(stranger, priv.blob), nil)
	wantKind(t, "PutBlob without digest", stranger.PutBlob(ctx, core.Digest{}, 0, strings.NewReader("")), core.ErrInvalid)

	// A reader of a stored blob PUTs it like anyone (a client sends only
	// what it was told is missing): the store reads and verifies the
	// bytes, so the right ones replace (repair) the stored copy and wrong
	// ones change nothing.
	owner := w.as("owner")
	wantKind(t, "owner PUTs wrong bytes of a blob it reads", owner.PutBlob(ctx, priv.blob, int64(len(content)), strings.NewReader(strings.ToUpper(content))), core.ErrCorrupt)
	wantKind(t, "owner reads after wrong bytes", readAll(owner, priv.blob), nil)
	wantKind(t, "owner PUTs a blob it reads", owner.PutBlob(ctx, priv.blob, int64(len(content)), strings.NewReader(content)), nil)
	wantKind(t, "owner reads after the right bytes", readAll(owner, priv.blob), nil)
}

// lateStore is a service whose MissingBlobs reports every blob missing: to
// the guard, the blob is stored by someone else between its check and its
// PutBlob, so the store does not read the bytes.
type lateStore struct{ service.API }

func (l lateStore) MissingBlobs(ctx context.Context, ds []core.Digest) ([]core.Digest, error) {
	return ds, nil
}

// TestPutBlobRace: a blob stored between the guard's check and the store's
// Put is proved all the same, by the guard's own hash.
func TestPutBlobRace(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv := w.seeds["owner/priv"]
	content := "data of owner/priv"
	stranger := authz.Guard(lateStore{w.inner}, w.st, w.p["stranger"])
	err := stranger.PutBlob(ctx, priv.blob, int64(len(content)), strings.NewReader(strings.ToUpper(content)))
	wantKind(t, "wrong bytes for a blob stored meanwhile", err, core.ErrCorrupt)
	wantKind(t, "stranger reads after wrong bytes", readAll(w.as("stranger"), priv.blob), core.ErrNotFound)
	if err := stranger.PutBlob(ctx, priv.blob, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	wantKind(t, "stranger reads after the right bytes", readAll(w.as("stranger"), priv.blob), nil)
}

// TestPlanUpload: where each caller is told to send a blob, and how a
// presigned upload proves possession.
func TestPlanUpload(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv := w.seeds["owner/priv"]
	plan := func(user string, d core.Digest, presign bool) authz.Upload {
		t.Helper()
		up, ok := w.as(user).(authz.Uploader)
		if !ok {
			t.Fatal("the guarded API is no Uploader")
		}
		p, err := up.PlanUpload(ctx, d, presign)
		if err != nil {
			t.Fatal(err)
		}
		if (p.Proof != "") != (p.Plan == authz.UploadDirect) {
			t.Errorf("plan %v with proof %q", p.Plan, p.Proof)
		}
		return p
	}
	fresh := core.DigestOf([]byte("fresh"))
	for _, c := range []struct {
		what    string
		user    string
		d       core.Digest
		presign bool
		want    authz.UploadPlan
	}{
		{"owner, own stored blob", "owner", priv.blob, true, authz.UploadNothing},
		{"admin, any stored blob", "admin", priv.blob, true, authz.UploadNothing},
		{"stranger, public stored blob", "stranger", w.seeds["owner/pub"].blob, true, authz.UploadNothing},
		// A blob the caller may not name gets the plan of an absent one.
		{"stranger, private stored blob", "stranger", priv.blob, true, authz.UploadDirect},
		{"stranger, private stored blob, no presigning", "stranger", priv.blob, false, authz.UploadToServer},
		{"owner, absent blob, no presigning", "owner", fresh, false, authz.UploadToServer},
		{"owner, absent blob", "owner", fresh, true, authz.UploadDirect},
	} {
		if got := plan(c.user, c.d, c.presign).Plan; got != c.want {
			t.Errorf("%s: %v, want %v", c.what, got, c.want)
		}
	}
	// A claim keeps its proof: a client retrying with its first URL
	// still proves its upload.
	own := plan("owner", fresh, true)
	if again := plan("owner", fresh, true); again.Proof != own.Proof {
		t.Errorf("the owner's second plan has proof %q, the first %q", again.Proof, own.Proof)
	}
	// The owner's presigned upload lands, with its proof. The stranger,
	// who knows the digest, asks for an upload too: another proof.
	files(t, w.inner, map[string]string{"f": "fresh"})
	w.blobs.setProof(fresh, own.Proof)
	wantHeldBack(t, "stranger names the owner's presigned upload", logDigest(t, w.as("stranger"), "stranger", "mine", "f", "fresh"), fresh)
	theirs := plan("stranger", fresh, true)
	if theirs.Plan != authz.UploadDirect || theirs.Proof == own.Proof {
		t.Fatalf("stranger, the owner's presigned upload: %+v; want a presigned upload with a proof of its own", theirs)
	}
	// The object carries the owner's proof: the owner may commit it, the
	// stranger, whose claim it does not prove, may not.
	wantHeldBack(t, "stranger names the blob it claimed", logDigest(t, w.as("stranger"), "stranger", "mine", "f", "fresh"), fresh)
	wantCommitted(t, "owner names its presigned upload", logDigest(t, w.as("owner"), "owner", "priv", "f", "fresh"))
	wantKind(t, "stranger reads the owner's upload", readAll(w.as("stranger"), fresh), core.ErrNotFound)

	// The stranger's own presigned upload of the private blob replaces the
	// object (the store checked the checksum): its proof is now there.
	w.blobs.setProof(priv.blob, plan("stranger", priv.blob, true).Proof)
	wantCommitted(t, "stranger names the private blob it uploaded", logDigest(t, w.as("stranger"), "stranger", "mine", "copied", "data of owner/priv"))
	wantKind(t, "stranger reads the blob it uploaded", readAll(w.as("stranger"), priv.blob), nil)
	// Someone else's upload in between means uploading again.
	ownerFile := "owner's other file"
	od := core.DigestOf([]byte(ownerFile))
	files(t, w.inner, map[string]string{"g": ownerFile})
	logDigest(t, w.inner, "owner", "priv", "other", ownerFile)
	w.blobs.setProof(od, plan("tviewer", od, true).Proof)
	w.blobs.setProof(od, plan("tmember", od, true).Proof)
	wantHeldBack(t, "tviewer names a blob re-uploaded since", logDigest(t, w.as("tviewer"), "tviewer", "mine", "g", ownerFile), od)
	wantCommitted(t, "tmember names the blob it uploaded last", logDigest(t, w.as("tmember"), "tmember", "mine", "g", ownerFile))
	w.blobs.setProof(od, plan("tviewer", od, true).Proof)
	wantCommitted(t, "tviewer names the blob after uploading again", logDigest(t, w.as("tviewer"), "tviewer", "mine", "g", ownerFile))
}

// bareAPI hides the optional abilities of the service it wraps.
type bareAPI struct{ service.API }

// TestGuardWithoutAbilities: over an API without service.Holder and
// service.LogChecker the guard still holds back what p may not name.
func TestGuardWithoutAbilities(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv := w.seeds["owner/priv"]
	stranger := authz.Guard(bareAPI{w.inner}, w.st, w.p["stranger"])
	wantHeldBack(t, "stranger names a private blob", logDigest(t, stranger, "stranger", "mine", "stolen", "data of owner/priv"), priv.blob)
	absent := core.DigestOf([]byte("absent"))
	missing, err := stranger.MissingBlobs(ctx, []core.Digest{absent, priv.blob, w.seeds["owner/pub"].blob})
	if err != nil || !slices.Equal(missing, []core.Digest{absent, priv.blob}) {
		t.Errorf("MissingBlobs = %v, %v; want the absent and the private blob", missing, err)
	}
	m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: priv.blob, Size: 18}})
	for name, f := range map[string]func(context.Context, service.UpsertRequest) (service.LogResult, error){
		"UpsertArtifact": stranger.UpsertArtifact, "FinishArtifact": stranger.FinishArtifact,
	} {
		run := startRun(t, w.as("stranger"), "stranger", "mine", "writer-"+name)
		res, err := f(ctx, service.UpsertRequest{LogRequest: service.LogRequest{Entity: "stranger", Project: "mine", Name: "d", Type: "dataset",
			RunID: run.ID, Manifest: m}, DistributedID: "g"})
		if err != nil || !slices.Equal(res.Missing, []core.Digest{priv.blob}) || res.Version.Name != "" {
			t.Errorf("%s naming a private blob = %+v, %v; want it missing", name, res, err)
		}
	}
	wantCommitted(t, "owner names its own blob", logDigest(t, authz.Guard(bareAPI{w.inner}, w.st, w.p["owner"]), "owner", "priv", "again", "data of owner/priv"))
}
