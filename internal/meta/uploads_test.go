package meta_test

import (
	"fmt"
	"maps"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
)

// The upload records run on every database, like the conformance suite.
func TestUploads(t *testing.T) {
	dbs := map[string]func(tb testing.TB) *meta.Store{
		"SQLite":   metatest.OpenSQLite,
		"Postgres": metatest.OpenPostgres,
	}
	for _, db := range []string{"SQLite", "Postgres"} {
		t.Run(db, func(t *testing.T) {
			for _, tc := range []struct {
				name string
				fn   func(t *testing.T, s *meta.Store)
			}{
				{"Readable", testUploadsReadable},
				{"Records", testUploadsRecords},
				{"Referable", testUploadsReferable},
				{"Invalid", testUploadsInvalid},
				{"Proofs", testUploadsProofs},
				{"SizeReadable", testUploadsSizeReadable},
				{"TenThousand", testUploadsTenThousand},
			} {
				t.Run(tc.name, func(t *testing.T) { tc.fn(t, dbs[db](t)) })
			}
		})
	}
}

var uploadT0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// namedDigest returns the digest of a named piece of content.
func namedDigest(name string) core.Digest { return core.DigestOf([]byte("content " + name)) }

// commitNamed commits a version of entity/project/name holding the named
// contents.
func commitNamed(t *testing.T, s *meta.Store, entity, project, name string, contents ...string) core.Version {
	t.Helper()
	var es []core.Entry
	for i, c := range contents {
		es = append(es, core.Entry{Path: fmt.Sprintf("f%d", i), Digest: namedDigest(c), Size: int64(len("content " + c))})
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	v, _, err := s.CommitVersion(t.Context(), meta.Commit{Entity: entity, Project: project, Name: name, Type: "dataset", Manifest: m, Now: uploadT0})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// uploadWorld is the users alice, bob, carol and dave; the team lab (bob
// member, carol viewer); and versions holding content named after where
// they are: alice/priv ("alice-priv", "shared"), alice/pub, public
// ("alice-pub"), lab/work ("lab", "shared"), legacy/old of an entity no
// account owns ("legacy"), and alice/priv/gone, deleted ("gone").
func uploadWorld(t *testing.T, s *meta.Store) {
	t.Helper()
	ctx := t.Context()
	for _, u := range []string{"alice", "bob", "carol", "dave"} {
		if _, err := s.CreateUser(ctx, u, false, uploadT0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateTeam(ctx, "lab", "alice", uploadT0); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, "lab", "bob", meta.RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, "lab", "carol", meta.RoleViewer); err != nil {
		t.Fatal(err)
	}
	commitNamed(t, s, "alice", "priv", "ds", "alice-priv", "shared")
	commitNamed(t, s, "alice", "pub", "ds", "alice-pub")
	if err := s.SetProjectPublic(ctx, "alice", "pub", true); err != nil {
		t.Fatal(err)
	}
	commitNamed(t, s, "lab", "work", "ds", "lab", "shared")
	commitNamed(t, s, "legacy", "old", "ds", "legacy")
	gone := commitNamed(t, s, "alice", "priv", "gone", "gone")
	if err := s.DeleteVersion(ctx, gone.ID, true); err != nil {
		t.Fatal(err)
	}
}

// asked is every content of uploadWorld and one no version holds.
var asked = []string{"alice-priv", "alice-pub", "lab", "shared", "legacy", "gone", "nowhere"}

// askNames asks f about the asked contents and returns the names answered.
func askNames(t *testing.T, f func(user string, ds []core.Digest) (map[core.Digest]bool, error), user string, names ...string) []string {
	t.Helper()
	if names == nil {
		names = asked
	}
	var ds []core.Digest
	for _, n := range names {
		ds = append(ds, namedDigest(n))
	}
	got, err := f(user, ds)
	if err != nil {
		t.Fatalf("%s: %v", user, err)
	}
	out := []string{}
	for _, n := range names {
		if got[namedDigest(n)] {
			out = append(out, n)
		}
	}
	if len(got) != len(out) {
		t.Errorf("%s: the answer holds %d digests, %d of them asked about", user, len(got), len(out))
	}
	return out
}

func wantNames(t *testing.T, what string, got []string, want ...string) {
	t.Helper()
	if want == nil {
		want = []string{}
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func testUploadsReadable(t *testing.T, s *meta.Store) {
	uploadWorld(t, s)
	readable := func(user string, ds []core.Digest) (map[core.Digest]bool, error) {
		return s.ReadableDigests(t.Context(), user, ds)
	}
	// Own entity, public projects, teams in any role; never a deleted
	// version, never an entity nobody owns.
	wantNames(t, "alice reads", askNames(t, readable, "alice"), "alice-priv", "alice-pub", "lab", "shared")
	wantNames(t, "bob (member) reads", askNames(t, readable, "bob"), "alice-pub", "lab", "shared")
	wantNames(t, "carol (viewer) reads", askNames(t, readable, "carol"), "alice-pub", "lab", "shared")
	wantNames(t, "dave reads", askNames(t, readable, "dave"), "alice-pub")
	wantNames(t, "an unknown user reads", askNames(t, readable, "nobody"), "alice-pub")

	// The answer follows the accounts: leaving the team, or the project
	// turning private, takes the read away at once.
	if err := s.RemoveMember(t.Context(), "lab", "bob"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProjectPublic(t.Context(), "alice", "pub", false); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "bob reads after leaving lab", askNames(t, readable, "bob"))
	wantNames(t, "alice reads her private project", askNames(t, readable, "alice"), "alice-priv", "alice-pub", "lab", "shared")

	// Duplicates in the question are answered once.
	got, err := s.ReadableDigests(t.Context(), "alice", []core.Digest{namedDigest("lab"), namedDigest("lab"), namedDigest("nowhere")})
	if err != nil || !maps.Equal(got, map[core.Digest]bool{namedDigest("lab"): true}) {
		t.Errorf("ReadableDigests(lab, lab, nowhere) = %v, %v", got, err)
	}
	got, err = s.ReadableDigests(t.Context(), "alice", nil)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("ReadableDigests(nothing) = %#v, %v; want an empty map", got, err)
	}
}

func testUploadsRecords(t *testing.T, s *meta.Store) {
	uploadWorld(t, s)
	ctx := t.Context()
	readable := func(user string, ds []core.Digest) (map[core.Digest]bool, error) {
		return s.ReadableDigests(ctx, user, ds)
	}
	// A proof makes the blob readable for its uploader only.
	if err := s.RecordUpload(ctx, "dave", namedDigest("alice-priv"), uploadT0); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordUpload(ctx, "dave", namedDigest("alice-priv"), uploadT0.Add(time.Hour)); err != nil {
		t.Errorf("RecordUpload twice: %v", err)
	}
	wantNames(t, "dave reads after uploading alice-priv", askNames(t, readable, "dave"), "alice-priv", "alice-pub")
	wantNames(t, "bob reads", askNames(t, readable, "bob"), "alice-pub", "lab", "shared")

	// A claim proves nothing, and does not weaken a proof.
	if _, err := s.ClaimUpload(ctx, "bob", namedDigest("gone"), "", uploadT0); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ClaimUpload(ctx, "dave", namedDigest("alice-priv"), "", uploadT0); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "bob reads after claiming gone", askNames(t, readable, "bob"), "alice-pub", "lab", "shared")
	wantNames(t, "dave reads after claiming what he uploaded", askNames(t, readable, "dave"), "alice-priv", "alice-pub")
	// A claim becomes a proof.
	if err := s.RecordUpload(ctx, "bob", namedDigest("gone"), uploadT0); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "bob reads after uploading gone", askNames(t, readable, "bob"), "alice-pub", "lab", "shared", "gone")

	err := s.RecordUpload(ctx, "nobody", namedDigest("x"), uploadT0)
	wantKindOf(t, "RecordUpload(unknown user)", err, core.ErrNotFound)
	_, err = s.ClaimUpload(ctx, "nobody", namedDigest("x"), "p", uploadT0)
	wantKindOf(t, "ClaimUpload(unknown user)", err, core.ErrNotFound)
	// A team is not a user.
	err = s.RecordUpload(ctx, "lab", namedDigest("x"), uploadT0)
	wantKindOf(t, "RecordUpload(team)", err, core.ErrNotFound)
}

func testUploadsReferable(t *testing.T, s *meta.Store) {
	uploadWorld(t, s)
	ctx := t.Context()
	referable := func(user string, ds []core.Digest) (map[core.Digest]bool, error) {
		return s.ReferableDigests(ctx, user, ds)
	}
	// What one reads, and what nobody holds: "nowhere" is in no version
	// and no record. "gone" is in a deleted version: not unclaimed.
	wantNames(t, "dave may reference", askNames(t, referable, "dave"), "alice-pub", "nowhere")
	wantNames(t, "alice may reference", askNames(t, referable, "alice"), "alice-priv", "alice-pub", "lab", "shared", "nowhere")

	// A claim keeps the blob from the others, not from the claimer.
	if _, err := s.ClaimUpload(ctx, "bob", namedDigest("nowhere"), "", uploadT0); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "bob may reference after claiming", askNames(t, referable, "bob"), "alice-pub", "lab", "shared", "nowhere")
	wantNames(t, "dave may reference after bob's claim", askNames(t, referable, "dave"), "alice-pub")
	// Two claims: neither claimer can tell who sent the bytes, so neither
	// may reference the blob without proof.
	if _, err := s.ClaimUpload(ctx, "dave", namedDigest("nowhere"), "", uploadT0); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "bob may reference after dave's claim too", askNames(t, referable, "bob"), "alice-pub", "lab", "shared")
	wantNames(t, "dave may reference after both claims", askNames(t, referable, "dave"), "alice-pub")
	if err := s.RecordUpload(ctx, "dave", namedDigest("nowhere"), uploadT0); err != nil {
		t.Fatal(err)
	}
	wantNames(t, "dave may reference after proving", askNames(t, referable, "dave"), "alice-pub", "nowhere")
	wantNames(t, "bob may reference after dave proved", askNames(t, referable, "bob"), "alice-pub", "lab", "shared")

	// Once a version holds it, the blob is nobody's to take.
	commitNamed(t, s, "dave", "mine", "ds", "nowhere")
	wantNames(t, "carol may reference after dave committed", askNames(t, referable, "carol", "nowhere"))
	wantNames(t, "dave may reference after committing", askNames(t, referable, "dave", "nowhere"), "nowhere")
}

func testUploadsProofs(t *testing.T, s *meta.Store) {
	uploadWorld(t, s)
	ctx := t.Context()
	claim := func(user, name, proof string) string {
		t.Helper()
		got, err := s.ClaimUpload(ctx, user, namedDigest(name), proof, uploadT0)
		if err != nil {
			t.Fatalf("ClaimUpload(%s, %s, %q): %v", user, name, proof, err)
		}
		return got
	}
	proofs := func(user string, names ...string) map[string]string {
		t.Helper()
		var ds []core.Digest
		for _, n := range names {
			ds = append(ds, namedDigest(n))
		}
		got, err := s.ProofClaims(ctx, user, ds)
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, n := range names {
			if p, ok := got[namedDigest(n)]; ok {
				out[n] = p
			}
		}
		if len(out) != len(got) {
			t.Errorf("ProofClaims(%s) answered %d digests, %d of them asked about", user, len(got), len(out))
		}
		return out
	}
	// A claim keeps its first proof, whoever asks again, and a claim
	// without one gets the next one given.
	if got := claim("bob", "alice-priv", "p1"); got != "p1" {
		t.Errorf("first claim with p1 records %q", got)
	}
	if got := claim("bob", "alice-priv", "p2"); got != "p1" {
		t.Errorf("second claim with p2 records %q, want p1 kept", got)
	}
	if got := claim("bob", "alice-priv", ""); got != "p1" {
		t.Errorf("claim without a proof records %q, want p1 kept", got)
	}
	if got := claim("dave", "alice-priv", ""); got != "" {
		t.Errorf("claim without a proof records %q", got)
	}
	if got := claim("dave", "alice-priv", "d1"); got != "d1" {
		t.Errorf("claim with d1 after one without records %q", got)
	}
	// Each user sees its own proofs only; a claimed blob is not readable.
	if got := proofs("bob", "alice-priv", "nowhere"); !maps.Equal(got, map[string]string{"alice-priv": "p1"}) {
		t.Errorf("bob's proof claims = %v", got)
	}
	if got := proofs("dave", asked...); !maps.Equal(got, map[string]string{"alice-priv": "d1"}) {
		t.Errorf("dave's proof claims = %v", got)
	}
	if got := proofs("nobody", asked...); len(got) != 0 {
		t.Errorf("an unknown user's proof claims = %v", got)
	}
	readable := func(user string, ds []core.Digest) (map[core.Digest]bool, error) {
		return s.ReadableDigests(ctx, user, ds)
	}
	wantNames(t, "bob reads after claiming alice-priv", askNames(t, readable, "bob", "alice-priv"))
	// A proven claim is no longer a claim to prove, and keeps its proof.
	if err := s.RecordUpload(ctx, "bob", namedDigest("alice-priv"), uploadT0); err != nil {
		t.Fatal(err)
	}
	if got := proofs("bob", "alice-priv"); len(got) != 0 {
		t.Errorf("bob's proof claims after proving = %v", got)
	}
	if got := claim("bob", "alice-priv", "p3"); got != "p1" {
		t.Errorf("claim after proving records %q, want p1 kept", got)
	}
	wantNames(t, "bob reads after proving alice-priv", askNames(t, readable, "bob", "alice-priv"), "alice-priv")
	// A proof recorded first takes a proof later without weakening.
	if err := s.RecordUpload(ctx, "carol", namedDigest("legacy"), uploadT0); err != nil {
		t.Fatal(err)
	}
	if got := claim("carol", "legacy", "c1"); got != "c1" {
		t.Errorf("claim after a proof records %q", got)
	}
	if got := proofs("carol", "legacy"); len(got) != 0 {
		t.Errorf("carol's proof claims on a proven blob = %v", got)
	}
	if got, err := s.ProofClaims(ctx, "bob", nil); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ProofClaims(nothing) = %#v, %v; want an empty map", got, err)
	}
}

// testUploadsSizeReadable: a size counts only where its entry is readable.
func testUploadsSizeReadable(t *testing.T, s *meta.Store) {
	uploadWorld(t, s)
	ctx := t.Context()
	size := func(name string) int64 { return int64(len("content " + name)) }
	commitNamed(t, s, "legacy", "old", "more", "legacy entity's file") // a size of its own
	for _, tc := range []struct {
		user string
		name string
		want bool
	}{
		{"alice", "alice-priv", true},
		{"dave", "alice-priv", false}, // private
		{"dave", "alice-pub", true},   // public
		{"nobody", "alice-pub", true}, // public, even to an unknown user
		{"bob", "lab", true},          // team member
		{"carol", "lab", true},        // team viewer
		{"dave", "lab", false},
		{"alice", "gone", false},                 // deleted
		{"alice", "legacy entity's file", false}, // an entity nobody owns
	} {
		got, err := s.SizeReadable(ctx, tc.user, size(tc.name))
		if err != nil || got != tc.want {
			t.Errorf("SizeReadable(%s, size of %s) = %v, %v; want %v", tc.user, tc.name, got, err, tc.want)
		}
	}
	// Every user reads what a registry links.
	src := commitNamed(t, s, "alice", "priv", "linked", "linked dataset, a size of its own")
	if got, _ := s.SizeReadable(ctx, "dave", size("linked dataset, a size of its own")); got {
		t.Fatal("dave reads the size of alice's unlinked dataset")
	}
	if _, _, err := s.LinkVersion(ctx, meta.Link{SourceID: src.ID, Registry: "dataset", Collection: "D", Now: uploadT0}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SizeReadable(ctx, "dave", size("linked dataset, a size of its own")); err != nil || !got {
		t.Errorf("SizeReadable(dave, a linked dataset's size) = %v, %v; want true", got, err)
	}
	if got, err := s.SizeReadable(ctx, "nobody", size("linked dataset, a size of its own")); err != nil || got {
		t.Errorf("SizeReadable(unknown user, a linked dataset's size) = %v, %v; want false", got, err)
	}
}

func testUploadsInvalid(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, "alice", false, uploadT0); err != nil {
		t.Fatal(err)
	}
	_, err := s.ReadableDigests(ctx, "alice", []core.Digest{namedDigest("a"), {}})
	wantKindOf(t, "ReadableDigests(empty digest)", err, core.ErrInvalid)
	_, err = s.ReferableDigests(ctx, "alice", []core.Digest{{}})
	wantKindOf(t, "ReferableDigests(empty digest)", err, core.ErrInvalid)
	wantKindOf(t, "RecordUpload(empty digest)", s.RecordUpload(ctx, "alice", core.Digest{}, uploadT0), core.ErrInvalid)
	_, err = s.ClaimUpload(ctx, "alice", core.Digest{}, "p", uploadT0)
	wantKindOf(t, "ClaimUpload(empty digest)", err, core.ErrInvalid)
	_, err = s.ProofClaims(ctx, "alice", []core.Digest{namedDigest("a"), {}})
	wantKindOf(t, "ProofClaims(empty digest)", err, core.ErrInvalid)
}

// testUploadsTenThousand asks about 10,000 digests at once, the size of a
// large dataset's manifest, in a store holding 20,000 entries, and reports
// how long the one query takes (it asserts the answers, not the time).
func testUploadsTenThousand(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for _, u := range []string{"alice", "bob"} {
		if _, err := s.CreateUser(ctx, u, false, uploadT0); err != nil {
			t.Fatal(err)
		}
	}
	const n = 10_000
	big := func(prefix string) []string {
		names := make([]string, n)
		for i := range names {
			names[i] = fmt.Sprintf("%s-%05d", prefix, i)
		}
		return names
	}
	// Half of what alice asks about is in her project, the other half in
	// bob's; bob's other half is new.
	mine, theirs := big("alice"), big("bob")
	commitNamed(t, s, "alice", "data", "big", mine...)
	commitNamed(t, s, "bob", "data", "big", theirs...)
	var ds []core.Digest
	for i := range n / 2 {
		ds = append(ds, namedDigest(mine[i]), namedDigest(theirs[i]))
	}
	for _, tc := range []struct {
		name string
		f    func() (map[core.Digest]bool, error)
	}{
		{"ReadableDigests", func() (map[core.Digest]bool, error) { return s.ReadableDigests(ctx, "alice", ds) }},
		{"ReferableDigests", func() (map[core.Digest]bool, error) { return s.ReferableDigests(ctx, "alice", ds) }},
	} {
		start := time.Now()
		got, err := tc.f()
		took := time.Since(start)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(got) != n/2 {
			t.Errorf("%s of %d digests: %d answered, want %d", tc.name, len(ds), len(got), n/2)
		}
		for i := range n / 2 {
			if !got[namedDigest(mine[i])] || got[namedDigest(theirs[i])] {
				t.Fatalf("%s: wrong answer for pair %d", tc.name, i)
			}
		}
		t.Logf("%s: %d digests answered in %v", tc.name, len(ds), took.Round(time.Millisecond))
	}
}

func wantKindOf(t *testing.T, what string, err, kind error) {
	t.Helper()
	if core.KindOf(err) != kind {
		t.Errorf("%s: %v, want %v", what, err, kind)
	}
}
