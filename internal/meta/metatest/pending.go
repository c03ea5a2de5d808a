package metatest

import (
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
