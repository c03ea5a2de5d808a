package meta

import (
	"errors"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// TestEndLeases: EndLeases removes the leases that end no later than the
// given time, keeps those that end later, and keeps the lease of a blob an
// entry of a running staged commit names (its last step relies on it), but
// not one of a staging being dropped.
func TestEndLeases(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		d := func(s string) core.Digest { return core.DigestOf([]byte(s)) }
		early, late, staged, dropped, none := d("early"), d("late"), d("staged"), d("dropped"), d("none")
		until := stageT0.Add(time.Hour)
		for _, l := range []struct {
			d     core.Digest
			until time.Time
		}{{early, until.Add(-time.Minute)}, {late, until.Add(time.Minute)}, {staged, until}, {dropped, until}} {
			if _, err := s.LeaseBlobs(ctx, []core.Digest{l.d}, l.until); err != nil {
				t.Fatal(err)
			}
		}
		for _, st := range []struct {
			d        core.Digest
			dropping int
		}{{staged, 0}, {dropped, 1}} {
			if err := s.write(ctx, func(q q) error {
				id, err := newNode(ctx, q, "version")
				if err != nil {
					return err
				}
				if _, err := q.exec(ctx, `INSERT INTO staged_versions (id, created_at, dropping) VALUES (?, ?, ?)`, id, micros(stageT0), st.dropping); err != nil {
					return err
				}
				return insertEntries(ctx, q, id, []core.Entry{{Path: "f", Digest: st.d, Size: 1}})
			}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.EndLeases(ctx, []core.Digest{early, late, staged, dropped, none, early}, until); err != nil {
			t.Fatal(err)
		}
		st, err := s.BlobStates(ctx, []core.Digest{early, late, staged, dropped, none}, stageT0)
		if err != nil {
			t.Fatal(err)
		}
		want := map[core.Digest]BlobState{late: BlobLeased, staged: BlobLeased}
		for _, x := range []core.Digest{early, late, staged, dropped, none} {
			if st[x] != want[x] {
				t.Errorf("%s: state %v after EndLeases, want %v", x, st[x], want[x])
			}
		}
		if err := s.EndLeases(ctx, []core.Digest{{}}, until); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("EndLeases of an empty digest: %v, want invalid", err)
		}
	})
}

// TestEndLeasesKeepsSync: EndLeases commits without waiting for the disk,
// but leaves SQLite's write connection as durable as it found it
// (synchronous FULL, 2), so that the next commit is synced; and a failing
// EndLeases does too.
func TestEndLeasesKeepsSync(t *testing.T) {
	s := openFile(t)
	ctx := t.Context()
	sync := func() int {
		t.Helper()
		var v int
		if err := s.wdb.QueryRowContext(ctx, `PRAGMA synchronous`).Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if got := sync(); got != 2 {
		t.Fatalf("a new store's synchronous is %d, want 2 (FULL)", got)
	}
	d := core.DigestOf([]byte("x"))
	if _, err := s.LeaseBlobs(ctx, []core.Digest{d}, stageT0); err != nil {
		t.Fatal(err)
	}
	if err := s.EndLeases(ctx, []core.Digest{d}, stageT0); err != nil {
		t.Fatal(err)
	}
	if got := sync(); got != 2 {
		t.Errorf("synchronous after EndLeases is %d, want 2 (FULL)", got)
	}
	failing := errors.New("boom")
	if err := s.writeUnsynced(ctx, func(q) error { return failing }); !errors.Is(err, failing) {
		t.Errorf("writeUnsynced = %v, want its function's error", err)
	}
	if got := sync(); got != 2 {
		t.Errorf("synchronous after a failed unsynced write is %d, want 2 (FULL)", got)
	}
}
