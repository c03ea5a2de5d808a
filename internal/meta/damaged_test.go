package meta

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// The records of damaged blobs: found through the versions (and links)
// that hold them, updated in place, cleared by digest, pruned when no
// version needs them.
func TestDamagedRecords(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := time.Now()
		a, b, c := core.DigestOf([]byte("a")), core.DigestOf([]byte("b")), core.DigestOf([]byte("c"))
		commit := func(name string, es ...core.Entry) core.Version {
			t.Helper()
			m, err := core.NewManifest(es)
			if err != nil {
				t.Fatal(err)
			}
			v, _, err := s.CommitVersion(ctx, Commit{Entity: "alice", Project: "p", Name: name, Type: "model", Manifest: m, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		v1 := commit("one", core.Entry{Path: "a", Digest: a, Size: 1}, core.Entry{Path: "r", Digest: c, Size: 1, Ref: "https://h/c"})
		v2 := commit("two", core.Entry{Path: "b", Digest: b, Size: 1})
		link := commit("link", core.Entry{Path: "z", Digest: core.DigestOf([]byte("z")), Size: 1})
		if err := SetSourceForTest(ctx, s, link.ID, v1.ID); err != nil {
			t.Fatal(err)
		}
		in := func(id int64, want ...core.Digest) {
			t.Helper()
			got, err := s.DamagedIn(ctx, id)
			if err != nil || !slices.Equal(got, want) {
				t.Errorf("DamagedIn(%d) = %v, %v; want %v", id, got, err, want)
			}
		}
		in(v1.ID)
		if err := s.RecordDamaged(ctx, []DamagedBlob{
			{Digest: a, Problem: DamageCorrupt, Detail: "bad", Quarantine: "quarantine/x/1", FoundAt: now},
			{Digest: c, Problem: DamageMissing, Detail: "a reference's digest", FoundAt: now}, // held only by a reference entry
		}); err != nil {
			t.Fatal(err)
		}
		in(v1.ID, a)
		in(link.ID, a)
		in(v2.ID)
		in(12345)
		// Found missing later: the quarantine key stays.
		if err := s.RecordDamaged(ctx, []DamagedBlob{{Digest: a, Problem: DamageMissing, Detail: "gone", FoundAt: now}}); err != nil {
			t.Fatal(err)
		}
		recs, err := s.DamagedBlobs(ctx)
		if err != nil || len(recs) != 2 {
			t.Fatalf("DamagedBlobs = %+v, %v", recs, err)
		}
		for _, r := range recs {
			if r.Digest == a && (r.Problem != DamageMissing || r.Quarantine != "quarantine/x/1" || r.Detail != "gone") {
				t.Errorf("record of a = %+v", r)
			}
		}
		if err := s.RecordDamaged(ctx, []DamagedBlob{{Digest: b, Problem: "lost", FoundAt: now}}); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("RecordDamaged with an unknown problem = %v", err)
		}
		// c is only a reference's digest: no version needs a blob of it.
		if n, err := s.PruneDamaged(ctx); err != nil || n != 1 {
			t.Errorf("PruneDamaged = %d, %v; want 1 (c)", n, err)
		}
		if n, err := s.ClearDamaged(ctx, []core.Digest{b}); err != nil || n != 0 {
			t.Errorf("ClearDamaged of an unrecorded blob = %d, %v", n, err)
		}
		if n, err := s.ClearDamaged(ctx, []core.Digest{a, b}); err != nil || n != 1 {
			t.Errorf("ClearDamaged = %d, %v; want 1", n, err)
		}
		in(v1.ID)
	})
}
