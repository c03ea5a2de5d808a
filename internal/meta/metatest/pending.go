package metatest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// pendingTests cover distributed artifacts: UpsertPending, FinishPending,
// GetPending.
var pendingTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"PendingUpsertAndFinish", testPendingUpsertAndFinish},
	{"PendingEntryConflict", testPendingEntryConflict},
	{"PendingFinishedRefuses", testPendingFinishedRefuses},
	{"PendingInvalid", testPendingInvalid},
	{"PendingFinishDedup", testPendingFinishDedup},
	{"PendingConcurrent", testPendingConcurrent},
	{"PendingFileAndDirectory", testPendingFileAndDirectory},
	{"PendingFileAndDirectoryRace", testPendingFileAndDirectoryRace},
	{"PendingListAndAbandon", testPendingListAndAbandon},
	{"PendingAbandonStale", testPendingAbandonStale},
	{"PendingFinishEmpty", testPendingFinishEmpty},
}

const distID = "writer-group-1"

func upsert(name, typ, runID string, m core.Manifest) meta.Upsert {
	return meta.Upsert{Entity: ent, Project: proj, Name: name, Type: typ, DistributedID: distID, Manifest: m, RunID: runID, Now: t0}
}

func getPending(t *testing.T, s *meta.Store, name string) meta.Pending {
	t.Helper()
	p, err := s.GetPending(t.Context(), ent, proj, name, distID)
	if err != nil {
		t.Fatalf("GetPending(%s): %v", name, err)
	}
	return p
}

func paths(m core.Manifest) []string {
	out := []string{}
	for _, e := range m.Entries() {
		out = append(out, e.Path)
	}
	return out
}

func testPendingUpsertAndFinish(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for i := range 3 {
		newRun(t, s, fmt.Sprintf("writer%d", i), "")
	}
	newRun(t, s, "finisher", "")
	for i := range 3 {
		m := manifest(t, fmt.Sprintf("parts/table_%d.json", i), fmt.Sprintf(`{"i":%d}`, i))
		if err := s.UpsertPending(ctx, upsert("parallel", "dataset", fmt.Sprintf("writer%d", i), m)); err != nil {
			t.Fatalf("UpsertPending %d: %v", i, err)
		}
	}
	p := getPending(t, s, "parallel")
	wantEqual(t, "pending state", p.State, meta.PendingOpen)
	wantEqual(t, "pending paths", paths(p.Manifest), []string{"parts/table_0.json", "parts/table_1.json", "parts/table_2.json"})
	wantEqual(t, "pending runs", p.Runs, []string{"writer0", "writer1", "writer2"})
	// Nothing is a version yet.
	if _, err := resolve(t, s, "parallel", "latest"); !strings.Contains(fmt.Sprint(err), "not found") {
		t.Fatalf("latest before finishing: %v, want not found", err)
	}
	if cs, err := s.ListCollections(ctx, ent, proj, ""); err != nil || len(cs) != 0 {
		t.Fatalf("collections before finishing: %v %v, want none", cs, err)
	}

	f := meta.Finish{Upsert: upsert("parallel", "dataset", "finisher", manifest(t, "distributed_table.json", `{"parts":"parts"}`)),
		Aliases: []string{"ready"}}
	v, created, err := s.FinishPending(ctx, f)
	if err != nil {
		t.Fatal(err)
	}
	if !created || v.Index != 0 || v.FileCount != 4 || v.CreatedBy != "finisher" ||
		!slices.Equal(v.Aliases, []string{"latest", "ready"}) {
		t.Fatalf("finished as %+v (created %v), want new v0 of 4 files by finisher with latest, ready", v, created)
	}
	m, err := s.Manifest(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "version paths", paths(m), []string{"distributed_table.json", "parts/table_0.json", "parts/table_1.json", "parts/table_2.json"})
	prods, err := s.Producers(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := runIDs(prods)
	slices.Sort(got)
	wantEqual(t, "producers", got, []string{"finisher", "writer0", "writer1", "writer2"})
	outs, err := s.RunOutputs(ctx, "writer1")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "writer1 outputs", labels(outs), []string{"parallel:v0"})
	p = getPending(t, s, "parallel")
	if p.State != meta.PendingFinished || p.VersionID != v.ID {
		t.Fatalf("pending after finish: %+v, want finished as %d", p, v.ID)
	}

	// Finishing an artifact nobody upserted to, with entries of its own,
	// is an ordinary log.
	f = meta.Finish{Upsert: upsert("solo", "dataset", "finisher", manifest(t, "a.txt", "a"))}
	f.DistributedID = "other"
	v, created, err = s.FinishPending(ctx, f)
	if err != nil || !created || v.Index != 0 || v.FileCount != 1 {
		t.Fatalf("finish of a fresh pending artifact: %+v %v %v", v, created, err)
	}
}

func testPendingEntryConflict(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	newRun(t, s, "w2", "")
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w1", manifest(t, "p/x", "first"))); err != nil {
		t.Fatal(err)
	}
	before := getPending(t, s, "parallel")
	// Another content at the same path: refused, and the new path of the
	// same upsert is not recorded either.
	err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w2", manifest(t, "p/x", "second", "p/y", "y")))
	wantKind(t, err, core.ErrConflict)
	if !strings.Contains(err.Error(), `"p/x"`) {
		t.Errorf("conflict error %q does not name the path", err)
	}
	after := getPending(t, s, "parallel")
	wantEqual(t, "pending after a conflict", after, before)
	// The same content again is fine (an idempotent retry), and w2 counts
	// as a producer.
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w2", manifest(t, "p/x", "first"))); err != nil {
		t.Fatalf("same content again: %v", err)
	}
	after = getPending(t, s, "parallel")
	wantEqual(t, "manifest after a same-content upsert", after.Manifest.Digest(), before.Manifest.Digest())
	wantEqual(t, "runs after a same-content upsert", after.Runs, []string{"w1", "w2"})
	// The finisher's own entries obey the same rule.
	_, _, err = s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w2", manifest(t, "p/x", "third"))})
	wantKind(t, err, core.ErrConflict)
	wantEqual(t, "pending after a conflicting finish", getPending(t, s, "parallel"), after)
	if _, err := resolve(t, s, "parallel", ""); err == nil {
		t.Fatal("a conflicting finish committed a version")
	}
}

func testPendingFinishedRefuses(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w1", manifest(t, "a", "a"))); err != nil {
		t.Fatal(err)
	}
	v, _, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w1", core.Manifest{})})
	if err != nil {
		t.Fatal(err)
	}
	before := getPending(t, s, "parallel")
	err = s.UpsertPending(ctx, upsert("parallel", "dataset", "w1", manifest(t, "b", "b")))
	wantKind(t, err, core.ErrConflict)
	if !strings.Contains(err.Error(), "parallel:v0") {
		t.Errorf("late upsert error %q does not name the version", err)
	}
	_, _, err = s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w1", manifest(t, "c", "c"))})
	wantKind(t, err, core.ErrConflict)
	wantEqual(t, "pending after refused writes", getPending(t, s, "parallel"), before)
	vs, err := s.ListVersions(ctx, ent, proj, "parallel")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions", labels(vs), []string{"parallel:v0"})
	m, err := s.Manifest(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "v0 paths", paths(m), []string{"a"})
}

func testPendingInvalid(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	commit(t, s, "existing", "", manifest(t, "a", "a")) // a dataset
	m := manifest(t, "x", "x")
	for _, tc := range []struct {
		what string
		u    meta.Upsert
		kind error
	}{
		{"no distributed id", meta.Upsert{Entity: ent, Project: proj, Name: "p", Type: "dataset", Manifest: m, RunID: "w1", Now: t0}, core.ErrInvalid},
		{"no run", upsert("p", "dataset", "", m), core.ErrInvalid},
		{"unknown run", upsert("p", "dataset", "nope", m), core.ErrNotFound},
		{"bad name", upsert("a/b", "dataset", "w1", m), core.ErrInvalid},
		{"no type", upsert("p", "", "w1", m), core.ErrInvalid},
		{"collection type", upsert("existing", "model", "w1", m), core.ErrInvalid},
	} {
		wantKind(t, s.UpsertPending(ctx, tc.u), tc.kind)
		_, _, err := s.FinishPending(ctx, meta.Finish{Upsert: tc.u})
		wantKind(t, err, tc.kind)
		if _, err := s.GetPending(ctx, ent, proj, tc.u.Name, tc.u.DistributedID); !strings.Contains(fmt.Sprint(err), "not found") {
			t.Errorf("%s: a pending artifact exists after the refusal (%v)", tc.what, err)
		}
	}
	// The pending artifact's own type.
	if err := s.UpsertPending(ctx, upsert("p", "dataset", "w1", m)); err != nil {
		t.Fatal(err)
	}
	before := getPending(t, s, "p")
	wantKind(t, s.UpsertPending(ctx, upsert("p", "model", "w1", manifest(t, "y", "y"))), core.ErrInvalid)
	_, _, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("p", "model", "w1", core.Manifest{})})
	wantKind(t, err, core.ErrInvalid)
	wantEqual(t, "pending after type mismatches", getPending(t, s, "p"), before)
	// Finishing nothing at all.
	_, _, err = s.FinishPending(ctx, meta.Finish{Upsert: upsert("empty", "dataset", "w1", core.Manifest{})})
	wantKind(t, err, core.ErrInvalid)
	if _, err := s.GetPending(ctx, ent, proj, "empty", distID); !strings.Contains(fmt.Sprint(err), "not found") {
		t.Errorf("an empty finish left a pending artifact (%v)", err)
	}
	cs, err := s.ListCollections(ctx, ent, proj, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Name != "existing" {
		t.Errorf("collections after refusals: %+v, want only existing", cs)
	}
}

func testPendingFinishDedup(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	newRun(t, s, "w2", "")
	old := commit(t, s, "parallel", "w1", manifest(t, "a", "a", "b", "b"))
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w2", manifest(t, "a", "a"))); err != nil {
		t.Fatal(err)
	}
	v, created, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w1", manifest(t, "b", "b"))})
	if err != nil {
		t.Fatal(err)
	}
	if created || v.ID != old.ID {
		t.Fatalf("identical content finished as %+v (created %v), want v0 again", v, created)
	}
	prods, err := s.Producers(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := runIDs(prods)
	slices.Sort(got)
	wantEqual(t, "producers", got, []string{"w1", "w2"})
	wantEqual(t, "pending version", getPending(t, s, "parallel").VersionID, old.ID)
}

// testPendingConcurrent has many writers upsert at once — distinct paths,
// and one path all of them add with the same content — then finishes.
func testPendingConcurrent(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	const writers = 16
	for i := range writers {
		newRun(t, s, fmt.Sprintf("w%02d", i), "")
	}
	var wg sync.WaitGroup
	errs := make([]error, writers)
	ms := make([]core.Manifest, writers)
	for i := range writers {
		ms[i] = manifest(t, fmt.Sprintf("parts/table_%02d.json", i), fmt.Sprint(i), "shared.txt", "same for all")
	}
	start := make(chan struct{})
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			m := ms[i]
			errs[i] = s.UpsertPending(ctx, upsert("parallel", "dataset", fmt.Sprintf("w%02d", i), m))
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("writer %d: %v", i, err)
		}
	}
	// And one writer with a conflicting shared file, among them again.
	newRun(t, s, "bad", "")
	err := s.UpsertPending(ctx, upsert("parallel", "dataset", "bad", manifest(t, "shared.txt", "different", "parts/bad.json", "x")))
	wantKind(t, err, core.ErrConflict)
	p := getPending(t, s, "parallel")
	if p.Manifest.Len() != writers+1 || len(p.Runs) != writers {
		t.Fatalf("pending has %d entries from %d runs, want %d from %d", p.Manifest.Len(), len(p.Runs), writers+1, writers)
	}
	v, created, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w00", core.Manifest{})})
	if err != nil || !created || v.Index != 0 || v.FileCount != writers+1 {
		t.Fatalf("finish: %+v %v %v", v, created, err)
	}
	prods, err := s.Producers(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(prods) != writers {
		t.Fatalf("%d producers, want %d", len(prods), writers)
	}
}

// testPendingFileAndDirectory: an upsert that would make a pending path both
// a file and a directory is refused, naming both paths, and records none of
// its entries; the pending artifact can still be finished.
func testPendingFileAndDirectory(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	newRun(t, s, "w2", "")
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w1", manifest(t, "a/b/c", "c", "x", "x", "keep", "k"))); err != nil {
		t.Fatal(err)
	}
	before := getPending(t, s, "parallel")
	for _, tc := range []struct {
		what           string
		m              core.Manifest
		pending, added string
	}{
		{"a file where a directory is pending", manifest(t, "new", "n", "a/b", "ab"), "a/b/c", "a/b"},
		{"a file where a top directory is pending", manifest(t, "a", "a"), "a/b/c", "a"},
		{"a directory where a file is pending", manifest(t, "x/y", "xy", "new", "n"), "x", "x/y"},
		{"deep below a pending file", manifest(t, "a/b/c/d/e", "e"), "a/b/c", "a/b/c/d/e"},
		{"below a pending file, with new siblings", manifest(t, "n/1", "1", "n/2", "2", "x/z", "z"), "x", "x/z"},
	} {
		err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w2", tc.m))
		wantKind(t, err, core.ErrConflict)
		if !strings.Contains(fmt.Sprint(err), fmt.Sprintf("%q", tc.pending)) || !strings.Contains(fmt.Sprint(err), fmt.Sprintf("%q", tc.added)) {
			t.Errorf("%s: error %q does not name %q and %q", tc.what, err, tc.pending, tc.added)
		}
		wantEqual(t, tc.what+": pending after the refusal", getPending(t, s, "parallel"), before)
		// The finisher's own entries obey the same rule.
		_, _, err = s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w2", tc.m)})
		wantKind(t, err, core.ErrConflict)
		wantEqual(t, tc.what+": pending after a refused finish", getPending(t, s, "parallel"), before)
	}
	// Siblings and new branches of pending directories are fine, and so
	// is the same file again.
	if err := s.UpsertPending(ctx, upsert("parallel", "dataset", "w2", manifest(t, "a/b/d", "d", "a/e", "e", "x", "x"))); err != nil {
		t.Fatalf("siblings: %v", err)
	}
	v, _, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "dataset", "w1", core.Manifest{})})
	if err != nil {
		t.Fatalf("finish after refusals: %v", err)
	}
	m, err := s.Manifest(ctx, v.ID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "finished paths", paths(m), []string{"a/b/c", "a/b/d", "a/e", "keep", "x"})
}

// testPendingFileAndDirectoryRace: writers race to add "x" and "x/y" to
// fresh pending artifacts; exactly one of each pair wins, and every
// pending artifact can be finished.
func testPendingFileAndDirectoryRace(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "file", "")
	newRun(t, s, "dir", "")
	const rounds = 12
	for i := range rounds {
		id := fmt.Sprintf("race-%d", i)
		ups := []meta.Upsert{upsert("parallel", "dataset", "file", manifest(t, "x", "x")),
			upsert("parallel", "dataset", "dir", manifest(t, "x/y", "y", fmt.Sprintf("own-%d", i), "o"))}
		errs := make([]error, len(ups))
		var wg sync.WaitGroup
		start := make(chan struct{})
		for j := range ups {
			ups[j].DistributedID = id
			wg.Go(func() {
				<-start
				errs[j] = s.UpsertPending(ctx, ups[j])
			})
		}
		close(start)
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, core.ErrConflict):
				t.Fatalf("round %d: %v, want a conflict or success", i, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d upserts succeeded (%v), want exactly 1", i, won, errs)
		}
		f := upsert("parallel", "dataset", "file", core.Manifest{})
		f.DistributedID = id
		if _, _, err := s.FinishPending(ctx, meta.Finish{Upsert: f}); err != nil {
			t.Fatalf("round %d: finish: %v", i, err)
		}
	}
}

// testPendingListAndAbandon: open pending artifacts are listed with their
// size and runs; abandoning one deletes it, frees its blobs for garbage
// collection and lets its distributed id start afresh.
func testPendingListAndAbandon(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	newRun(t, s, "w2", "")
	if ps, err := s.ListPending(ctx, ent, proj); err != nil || len(ps) != 0 {
		t.Fatalf("ListPending of an empty project = %v, %v", ps, err)
	}
	u1 := upsert("parallel", "dataset", "w1", manifest(t, "a", "aaaa", "b/c", "cc"))
	u1.Now = at(10)
	if err := s.UpsertPending(ctx, u1); err != nil {
		t.Fatal(err)
	}
	u2 := upsert("parallel", "dataset", "w2", manifest(t, "d", "d"))
	u2.Now = at(20)
	if err := s.UpsertPending(ctx, u2); err != nil {
		t.Fatal(err)
	}
	other := upsert("other", "model", "w1", manifest(t, "m", "m"))
	other.DistributedID = "g2"
	if err := s.UpsertPending(ctx, other); err != nil {
		t.Fatal(err)
	}
	finished := upsert("done", "dataset", "w1", manifest(t, "f", "f"))
	done, _, err := s.FinishPending(ctx, meta.Finish{Upsert: finished})
	if err != nil {
		t.Fatal(err)
	}
	ps, err := s.ListPending(ctx, ent, proj)
	if err != nil {
		t.Fatal(err)
	}
	want := []meta.Pending{
		{Entity: ent, Project: proj, Name: "other", Type: "model", DistributedID: "g2", State: meta.PendingOpen,
			FileCount: 1, Size: 1, Runs: []string{"w1"}, CreatedAt: t0, UpdatedAt: t0},
		{Entity: ent, Project: proj, Name: "parallel", Type: "dataset", DistributedID: distID, State: meta.PendingOpen,
			FileCount: 3, Size: 7, Runs: []string{"w1", "w2"}, CreatedAt: at(10), UpdatedAt: at(20)},
	}
	wantEqual(t, "pending artifacts", ps, want)
	p := getPending(t, s, "parallel")
	wantEqual(t, "GetPending counts", []any{p.FileCount, p.Size, p.UpdatedAt}, []any{3, int64(7), at(20)})

	a := core.DigestOf([]byte("aaaa"))
	if st, err := s.BlobStates(ctx, []core.Digest{a}, at(30)); err != nil || st[a] != meta.BlobLive {
		t.Fatalf("blob of a pending entry: %v %v, want live", st, err)
	}
	got, err := s.AbandonPending(ctx, ent, proj, "parallel", distID)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "abandoned", got, want[1])
	if st, err := s.BlobStates(ctx, []core.Digest{a}, at(30)); err != nil || st[a] != meta.BlobDead {
		t.Fatalf("blob of an abandoned entry: %v %v, want dead", st, err)
	}
	if _, err := s.GetPending(ctx, ent, proj, "parallel", distID); !errors.Is(err, core.ErrNotFound) {
		t.Fatalf("GetPending after abandon: %v, want not found", err)
	}
	ps, err = s.ListPending(ctx, ent, proj)
	if err != nil || len(ps) != 1 || ps[0].Name != "other" {
		t.Fatalf("ListPending after abandon = %+v, %v", ps, err)
	}
	_, err = s.AbandonPending(ctx, ent, proj, "parallel", distID)
	wantKind(t, err, core.ErrNotFound)
	_, err = s.AbandonPending(ctx, ent, proj, "done", distID)
	wantKind(t, err, core.ErrConflict)
	if !strings.Contains(fmt.Sprint(err), done.FullName()) {
		t.Errorf("abandoning a finished artifact: %q does not name %s", err, done.FullName())
	}
	// The id starts afresh: another type, another shape, other writers.
	fresh := upsert("parallel", "model", "w2", manifest(t, "a/x", "new", "b", "b"))
	if err := s.UpsertPending(ctx, fresh); err != nil {
		t.Fatalf("upsert to an abandoned id: %v", err)
	}
	p = getPending(t, s, "parallel")
	wantEqual(t, "fresh pending", []any{p.Type, paths(p.Manifest), p.Runs}, []any{"model", []string{"a/x", "b"}, []string{"w2"}})
	v, _, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("parallel", "model", "w2", core.Manifest{})})
	if err != nil || v.FileCount != 2 {
		t.Fatalf("finish of the fresh pending artifact: %+v, %v", v, err)
	}
}

// testPendingAbandonStale: only pending artifacts untouched since the bound
// are abandoned; an upsert keeps one.
func testPendingAbandonStale(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	for i, name := range []string{"old", "touched", "young"} {
		u := upsert(name, "dataset", "w1", manifest(t, name, name))
		u.Now = at(10 * i)
		if err := s.UpsertPending(ctx, u); err != nil {
			t.Fatal(err)
		}
	}
	touch := upsert("touched", "dataset", "w1", manifest(t, "more", "more"))
	touch.Now = at(100)
	if err := s.UpsertPending(ctx, touch); err != nil {
		t.Fatal(err)
	}
	got, err := s.AbandonStalePending(ctx, at(15))
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Name != "old" {
		t.Fatalf("abandoned %+v, want old only", got)
	}
	if again, err := s.AbandonStalePending(ctx, at(15)); err != nil || len(again) != 0 {
		t.Fatalf("second sweep abandoned %+v, %v", again, err)
	}
	ps, err := s.ListPending(ctx, ent, proj)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range ps {
		names = append(names, p.Name)
	}
	wantEqual(t, "pending after the sweep", names, []string{"touched", "young"})
}

// testPendingFinishEmpty: finishing with no entry at all is refused unless
// allowed; with no entry of its own but upserted ones it is fine.
func testPendingFinishEmpty(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "w1", "")
	// A writer registered (an upsert of nothing), nobody added a file.
	if err := s.UpsertPending(ctx, upsert("empty", "dataset", "w1", core.Manifest{})); err != nil {
		t.Fatal(err)
	}
	_, _, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("empty", "dataset", "w1", core.Manifest{})})
	wantKind(t, err, core.ErrInvalid)
	if !strings.Contains(fmt.Sprint(err), "allow-empty") {
		t.Errorf("refusal %q does not say how to allow it", err)
	}
	if _, err := resolve(t, s, "empty", ""); err == nil {
		t.Fatal("a refused finish committed a version")
	}
	v, created, err := s.FinishPending(ctx, meta.Finish{Upsert: upsert("empty", "dataset", "w1", core.Manifest{}), AllowEmpty: true})
	if err != nil || !created || v.FileCount != 0 || v.Index != 0 {
		t.Fatalf("allowed empty finish: %+v %v %v", v, created, err)
	}
}
