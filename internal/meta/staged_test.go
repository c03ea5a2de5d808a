package meta

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/pressly/goose/v3"

	"github.com/troveml/trove/internal/core"
)

var stageT0 = time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)

// bigManifest returns a manifest of n entries in directories of 1,000,
// with distinct contents (seed varies them between manifests).
func bigManifest(tb testing.TB, n int, seed string) core.Manifest {
	tb.Helper()
	es := make([]core.Entry, n)
	for i := range es {
		es[i] = core.Entry{Path: fmt.Sprintf("d%04d/f%07d", i/1000, i), Digest: core.DigestOf(fmt.Appendf(nil, "%s/%d", seed, i)), Size: int64(i % 97)}
	}
	m, err := core.NewManifest(es)
	if err != nil {
		tb.Fatal(err)
	}
	return m
}

func digestsOf(m core.Manifest) []core.Digest {
	ds := make([]core.Digest, 0, m.Len())
	for _, e := range m.Entries() {
		ds = append(ds, e.Digest)
	}
	return ds
}

// stagedLeft counts staged_versions rows and entries that belong to no
// version.
func stagedLeft(t *testing.T, s *Store) (rows, entries int) {
	t.Helper()
	err := s.read(t.Context(), func(q q) error {
		if err := q.queryRow(t.Context(), `SELECT COUNT(*) FROM staged_versions`).Scan(&rows); err != nil {
			return err
		}
		return q.queryRow(t.Context(), `SELECT COUNT(*) FROM entries e WHERE NOT EXISTS (SELECT 1 FROM versions v WHERE v.id = e.version_id)`).Scan(&entries)
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows, entries
}

// smallStaging makes manifests of more than 50 entries staged, in chunks
// of 2,000 still, for the duration of the test.
func smallStaging(t *testing.T) {
	old := stageThreshold
	stageThreshold = 50
	t.Cleanup(func() { stageThreshold = old })
}

// TestStagedCommit: a large manifest committed in steps is the same version
// an ordinary commit makes; its blobs are leased until the commit's
// LeaseUntil; identical content dedups; nothing is left staged.
func TestStagedCommit(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		m := bigManifest(t, stageChunk*2+123, "a")
		if _, err := s.LeaseBlobs(ctx, digestsOf(m), stageT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		c := Commit{Entity: "e", Project: "p", Name: "big", Type: "dataset", Manifest: m, Now: stageT0,
			Aliases: []string{"best"}, RequireBlobs: true, LeaseUntil: stageT0.Add(time.Hour)}
		old := stageThreshold
		stageThreshold = 100
		v, created, err := s.CommitVersion(ctx, c)
		stageThreshold = old
		if err != nil || !created || v.Index != 0 || v.FileCount != m.Len() || v.Size != m.Size() || v.Digest != m.Digest() {
			t.Fatalf("staged commit: %+v %v %v", v, created, err)
		}
		if !slices.Equal(v.Aliases, []string{"best", "latest"}) {
			t.Errorf("aliases %v", v.Aliases)
		}
		got, err := s.Manifest(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Digest() != m.Digest() || got.Len() != m.Len() {
			t.Fatalf("stored manifest: %d entries, digest %s; want %d, %s", got.Len(), got.Digest(), m.Len(), m.Digest())
		}
		// The leases of the staged blobs reach LeaseUntil (which an
		// ordinary commit does not do): GC keeps them.
		d := m.Entries()[m.Len()-1].Digest
		var until int64
		if err := s.read(ctx, func(q q) error {
			return q.queryRow(ctx, `SELECT until FROM blob_leases WHERE digest = ?`, d.String()).Scan(&until)
		}); err != nil || until != micros(c.LeaseUntil) {
			t.Fatalf("lease of a staged blob until %v (%v), want %v", fromMicros(until), err, c.LeaseUntil)
		}
		if st, err := s.BlobStates(ctx, []core.Digest{d}, stageT0.Add(30*time.Minute)); err != nil || st[d] != BlobLive {
			t.Fatalf("blob state after the commit: %v %v", st, err)
		}
		if rows, entries := stagedLeft(t, s); rows != 0 || entries != 0 {
			t.Fatalf("%d staged rows, %d stray entries after the commit", rows, entries)
		}
		// Same content again: a dedup, staging nothing.
		smallStaging(t)
		v2, created, err := s.CommitVersion(ctx, c)
		if err != nil || created || v2.ID != v.ID {
			t.Fatalf("dedup: %+v %v %v", v2, created, err)
		}
		// A second version, and one an ordinary commit makes of the same
		// manifest, agree.
		m2 := bigManifest(t, 300, "b")
		if _, err := s.LeaseBlobs(ctx, digestsOf(m2), stageT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		c.Manifest, c.Aliases = m2, nil
		v3, created, err := s.CommitVersion(ctx, c)
		if err != nil || !created || v3.Index != 1 {
			t.Fatalf("second staged commit: %+v %v %v", v3, created, err)
		}
		if l := mustResolveLatest(t, s, "big"); l.ID != v3.ID {
			t.Errorf("latest is %s, want v1", l.Label())
		}
		if rows, entries := stagedLeft(t, s); rows != 0 || entries != 0 {
			t.Fatalf("%d staged rows, %d stray entries after the commits", rows, entries)
		}
	})
}

func mustResolveLatest(t *testing.T, s *Store, name string) core.Version {
	t.Helper()
	v, err := s.ResolveVersion(t.Context(), core.Ref{Entity: "e", Project: "p", Name: name})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStagedCommitRefusals: a staged commit that finds blobs missing, a
// type conflict or too many aliases commits nothing and leaves nothing
// staged.
func TestStagedCommitRefusals(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		smallStaging(t)
		m := bigManifest(t, stageChunk+500, "m")
		ds := digestsOf(m)
		// Three blobs are neither leased nor live: one in each chunk.
		lacking := []core.Digest{ds[0], ds[stageChunk-1], ds[len(ds)-1]}
		var leased []core.Digest
		for _, d := range ds {
			if !slices.Contains(lacking, d) {
				leased = append(leased, d)
			}
		}
		if _, err := s.LeaseBlobs(ctx, leased, stageT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		c := Commit{Entity: "e", Project: "p", Name: "big", Type: "dataset", Manifest: m, Now: stageT0,
			RequireBlobs: true, LeaseUntil: stageT0.Add(time.Hour)}
		_, _, err := s.CommitVersion(ctx, c)
		var mbe *MissingBlobsError
		if !errors.As(err, &mbe) {
			t.Fatalf("commit with missing blobs: %v, want MissingBlobsError", err)
		}
		want := slices.Clone(lacking)
		slices.SortFunc(want, func(a, b core.Digest) int { return compareDigests(a, b) })
		if !slices.Equal(mbe.Digests, want) {
			t.Errorf("missing %v, want %v", mbe.Digests, want)
		}
		// A tombstone makes a leased blob missing too.
		if _, err := s.LeaseBlobs(ctx, lacking, stageT0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
		if err := s.write(ctx, func(q q) error {
			_, err := q.exec(ctx, `INSERT INTO blob_tombstones (digest, created_at) VALUES (?, 0)`, ds[7].String())
			return err
		}); err != nil {
			t.Fatal(err)
		}
		_, _, err = s.CommitVersion(ctx, c)
		if !errors.As(err, &mbe) || !slices.Equal(mbe.Digests, []core.Digest{ds[7]}) {
			t.Fatalf("commit with a tombstoned blob: %v", err)
		}
		if err := s.write(ctx, func(q q) error {
			_, err := q.exec(ctx, `DELETE FROM blob_tombstones`)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		// A collection of another type.
		if _, _, err := s.CommitVersion(ctx, Commit{Entity: "e", Project: "p", Name: "model", Type: "model",
			Manifest: bigManifest(t, 1, "x"), Now: stageT0}); err != nil {
			t.Fatal(err)
		}
		c2 := c
		c2.Name = "model"
		_, _, err = s.CommitVersion(ctx, c2)
		if !errors.Is(err, core.ErrConflict) {
			t.Fatalf("type conflict: %v", err)
		}
		// More aliases than a version may have.
		c3 := c
		for i := range core.MaxAliases + 1 {
			c3.Aliases = append(c3.Aliases, fmt.Sprintf("a%d", i))
		}
		_, _, err = s.CommitVersion(ctx, c3)
		if !errors.Is(err, core.ErrTooLarge) {
			t.Fatalf("too many aliases: %v", err)
		}
		if _, err := s.ListVersions(ctx, "e", "p", "big"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("collection big after refusals: %v, want none", err)
		}
		if rows, entries := stagedLeft(t, s); rows != 0 || entries != 0 {
			t.Fatalf("%d staged rows, %d stray entries after refusals", rows, entries)
		}
	})
}

func compareDigests(a, b core.Digest) int {
	switch as, bs := a.String(), b.String(); {
	case as < bs:
		return -1
	case as > bs:
		return 1
	}
	return 0
}

// TestCleanStaged: the staged entries of a commit that crashed are removed
// once old; a young staging is kept; a commit whose staging was removed
// fails and creates nothing.
func TestCleanStaged(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		stage := func(at time.Time, m core.Manifest) int64 {
			var id int64
			if err := s.write(ctx, func(q q) (err error) {
				if id, err = newNode(ctx, q, "version"); err != nil {
					return err
				}
				if _, err := q.exec(ctx, `INSERT INTO staged_versions (id, created_at) VALUES (?, ?)`, id, micros(at)); err != nil {
					return err
				}
				return insertEntries(ctx, q, id, m.Entries())
			}); err != nil {
				t.Fatal(err)
			}
			return id
		}
		crashed := stage(stageT0, bigManifest(t, dropChunk+10, "c"))
		young := stage(stageT0.Add(time.Hour), bigManifest(t, 10, "y"))
		n, err := s.CleanStaged(ctx, stageT0.Add(time.Minute))
		if err != nil || n != 1 {
			t.Fatalf("CleanStaged = %d, %v; want 1", n, err)
		}
		if rows, entries := stagedLeft(t, s); rows != 1 || entries != 10 {
			t.Fatalf("after cleaning: %d staged rows, %d stray entries; want the young one's", rows, entries)
		}
		// The crashed one cannot become a version any more.
		c := Commit{Entity: "e", Project: "p", Name: "n", Type: "dataset", Manifest: bigManifest(t, 10, "c"), Now: stageT0}
		err = s.write(ctx, func(q q) error {
			_, _, err := commitTx(ctx, q, c, c.Manifest.Digest().String(), "{}", crashed)
			return err
		})
		if !errors.Is(err, core.ErrUnavailable) {
			t.Fatalf("commit of a removed staging: %v, want unavailable", err)
		}
		// Nor can one being dropped, even before its entries are gone.
		if err := s.write(ctx, func(q q) error {
			_, err := q.exec(ctx, `UPDATE staged_versions SET dropping = 1 WHERE id = ?`, young)
			return err
		}); err != nil {
			t.Fatal(err)
		}
		err = s.write(ctx, func(q q) error {
			_, _, err := commitTx(ctx, q, c, c.Manifest.Digest().String(), "{}", young)
			return err
		})
		if !errors.Is(err, core.ErrUnavailable) {
			t.Fatalf("commit of a staging being dropped: %v, want unavailable", err)
		}
		// An interrupted drop is finished whatever its age.
		if n, err := s.CleanStaged(ctx, stageT0); err != nil || n != 1 {
			t.Fatalf("CleanStaged of a dropping one = %d, %v", n, err)
		}
		if rows, entries := stagedLeft(t, s); rows != 0 || entries != 0 {
			t.Fatalf("%d staged rows, %d stray entries at the end", rows, entries)
		}
		if _, err := s.ListVersions(ctx, "e", "p", "n"); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("collection n: %v, want none", err)
		}
	})
}

// TestMigration13 migrates a store with a pending artifact from before
// 00013: its directories are recorded (a file/directory conflict with what
// was pending is refused), and entries of existing versions stay.
func TestMigration13(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		fsys, err := s.d.migrationFiles()
		if err != nil {
			t.Fatal(err)
		}
		p, err := goose.NewProvider(s.d.goose, s.wdb, fsys, goose.WithDisableGlobalRegistry(true))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := p.DownTo(ctx, 12); err != nil {
			t.Fatal(err)
		}
		if err := s.write(ctx, func(q q) error {
			pid, err := ensureProject(ctx, q, "e", "p", stageT0)
			if err != nil {
				return err
			}
			var id int64
			if err := q.queryRow(ctx, `INSERT INTO pending_artifacts (project_id, name, type, distributed_id, state, created_at)
				VALUES (?, 'old', 'dataset', 'g', 'open', ?) RETURNING id`, pid, micros(stageT0)).Scan(&id); err != nil {
				return err
			}
			for _, path := range []string{"a/b/c", "a/d", "top"} {
				if _, err := q.exec(ctx, `INSERT INTO pending_entries (pending_id, path, digest, size, ref) VALUES (?, ?, ?, 1, '')`,
					id, path, core.DigestOf([]byte(path)).String()); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := s.CommitVersion(ctx, Commit{Entity: "e", Project: "p", Name: "v", Type: "dataset",
			Manifest: bigManifest(t, 3, "v"), Now: stageT0}); err != nil {
			t.Fatal(err)
		}
		if err := s.migrate(ctx); err != nil {
			t.Fatal(err)
		}
		var dirs []string
		if err := s.read(ctx, func(q q) error {
			rows, err := q.query(ctx, `SELECT path || '=' || entry FROM pending_dirs ORDER BY path`)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var d string
				if err := rows.Scan(&d); err != nil {
					return err
				}
				dirs = append(dirs, d)
			}
			return rows.Err()
		}); err != nil {
			t.Fatal(err)
		}
		if want := []string{"a=a/b/c", "a/b=a/b/c"}; !slices.Equal(dirs, want) {
			t.Errorf("pending_dirs after the migration: %v, want %v", dirs, want)
		}
		if _, err := s.CreateRun(ctx, NewRun{ID: "r", Entity: "e", Project: "p", Now: stageT0}); err != nil {
			t.Fatal(err)
		}
		m, _ := core.NewManifest([]core.Entry{{Path: "a/b", Digest: core.DigestOf([]byte("x")), Size: 1}})
		err = s.UpsertPending(ctx, Upsert{Entity: "e", Project: "p", Name: "old", Type: "dataset", DistributedID: "g", Manifest: m, RunID: "r", Now: stageT0})
		if !errors.Is(err, core.ErrConflict) {
			t.Fatalf("upsert of a pending directory as a file after the migration: %v", err)
		}
		v, err := s.ResolveVersion(ctx, core.Ref{Entity: "e", Project: "p", Name: "v"})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := s.Manifest(ctx, v.ID); err != nil || got.Len() != 3 {
			t.Fatalf("manifest after the migration: %d entries, %v", got.Len(), err)
		}
	})
}

// TestStagedFinish: a large pending artifact is finished in steps into the
// same version a one-transaction finish makes; an upsert that comes in
// while its entries are written sends it back to one transaction, which
// includes the newcomer; a finisher whose own entries conflict is refused
// as ever; nothing is left staged.
func TestStagedFinish(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		smallStaging(t)
		for _, id := range []string{"w1", "w2", "fin", "late"} {
			if _, err := s.CreateRun(ctx, NewRun{ID: id, Entity: "e", Project: "p", Now: stageT0}); err != nil {
				t.Fatal(err)
			}
		}
		up := func(run, name, id string, m core.Manifest) Upsert {
			return Upsert{Entity: "e", Project: "p", Name: name, Type: "dataset", DistributedID: id, Manifest: m, RunID: run, Now: stageT0}
		}
		a, b := bigManifest(t, stageChunk+30, "w1"), bigManifest(t, 40, "w2")
		// b's paths must not meet a's: put them in a directory of their own.
		var es []core.Entry
		for _, e := range b.Entries() {
			e.Path = "w2/" + e.Path
			es = append(es, e)
		}
		b, _ = core.NewManifest(es)
		own, _ := core.NewManifest([]core.Entry{{Path: "index.json", Digest: core.DigestOf([]byte("index")), Size: 5}})
		for _, u := range []Upsert{up("w1", "big", "g", a), up("w2", "big", "g", b)} {
			if err := s.UpsertPending(ctx, u); err != nil {
				t.Fatal(err)
			}
		}
		staged := false
		beforeFinishTx = func() { staged = true }
		v, created, err := s.FinishPending(ctx, Finish{Upsert: up("fin", "big", "g", own), Aliases: []string{"ready"}})
		beforeFinishTx = nil
		if !staged {
			t.Fatal("the finish of a large pending artifact was not staged")
		}
		if err != nil || !created || v.FileCount != a.Len()+b.Len()+1 {
			t.Fatalf("staged finish: %+v %v %v", v, created, err)
		}
		m, err := s.Manifest(ctx, v.ID)
		if err != nil || m.Len() != v.FileCount {
			t.Fatalf("manifest: %d entries, %v", m.Len(), err)
		}
		prods, err := s.Producers(ctx, v.ID)
		if err != nil || len(prods) != 3 {
			t.Fatalf("producers %v, %v; want w1, w2 and the finisher", prods, err)
		}
		p, err := s.GetPending(ctx, "e", "p", "big", "g")
		if err != nil || p.State != PendingFinished || p.VersionID != v.ID || p.FileCount != v.FileCount {
			t.Fatalf("pending after the finish: %+v %v", p, err)
		}

		// An upsert while the entries are written: the finish starts over
		// in one transaction and takes it in.
		if err := s.UpsertPending(ctx, up("w1", "big", "g2", a)); err != nil {
			t.Fatal(err)
		}
		lateEntry, _ := core.NewManifest([]core.Entry{{Path: "late.txt", Digest: core.DigestOf([]byte("late")), Size: 4}})
		beforeFinishTx = func() {
			if err := s.UpsertPending(ctx, up("late", "big", "g2", lateEntry)); err != nil {
				t.Error(err)
			}
		}
		v2, _, err := s.FinishPending(ctx, Finish{Upsert: up("fin", "big", "g2", core.Manifest{})})
		beforeFinishTx = nil
		if err != nil || v2.FileCount != a.Len()+1 {
			t.Fatalf("finish with an upsert meanwhile: %+v %v; want %d files", v2, err, a.Len()+1)
		}
		if _, err := s.Entry(ctx, v2.ID, "late.txt"); err != nil {
			t.Fatalf("the late upsert is not in the version: %v", err)
		}

		// The finisher's own entry conflicts with a pending one: refused,
		// nothing changes.
		if err := s.UpsertPending(ctx, up("w1", "big", "g3", a)); err != nil {
			t.Fatal(err)
		}
		before, _ := s.GetPending(ctx, "e", "p", "big", "g3")
		clash, _ := core.NewManifest([]core.Entry{{Path: a.Entries()[0].Path, Digest: core.DigestOf([]byte("other")), Size: 5}})
		_, _, err = s.FinishPending(ctx, Finish{Upsert: up("fin", "big", "g3", clash)})
		if !errors.Is(err, core.ErrConflict) {
			t.Fatalf("finish with a clashing entry: %v", err)
		}
		if after, _ := s.GetPending(ctx, "e", "p", "big", "g3"); after.State != PendingOpen || after.Manifest.Digest() != before.Manifest.Digest() {
			t.Fatalf("a refused finish changed the pending artifact")
		}
		if rows, entries := stagedLeft(t, s); rows != 0 || entries != 0 {
			t.Fatalf("%d staged rows, %d stray entries at the end", rows, entries)
		}
	})
}
