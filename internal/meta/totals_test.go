package meta

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Upserts whose reference sizes would add up past an int64 are refused one
// by one, so the pending artifact never becomes one that no finish can
// build; the refused upsert records nothing.
func TestPendingTotalOverflow(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		now := time.Now()
		if _, err := s.CreateRun(ctx, NewRun{ID: "r1", Entity: "alice", Project: "p", Name: "r1", Now: now}); err != nil {
			t.Fatal(err)
		}
		ref := func(path string, size int64) core.Manifest {
			t.Helper()
			m, err := core.NewManifest([]core.Entry{{Path: path, Digest: core.DigestOf([]byte(path)), Size: size, Ref: "s3://b/" + path}})
			if err != nil {
				t.Fatal(err)
			}
			return m
		}
		up := func(m core.Manifest) error {
			return s.UpsertPending(ctx, Upsert{Entity: "alice", Project: "p", Name: "d", Type: "dataset",
				DistributedID: "g", Manifest: m, RunID: "r1", Now: now})
		}
		half := int64(math.MaxInt64/2 + 1)
		if err := up(ref("a", half)); err != nil {
			t.Fatal(err)
		}
		if err := up(ref("b", half)); !errors.Is(err, core.ErrInvalid) {
			t.Fatalf("upsert past the int64 total = %v; want core.ErrInvalid", err)
		}
		if err := up(ref("c", half-2)); err != nil {
			t.Fatalf("upsert to a total of MaxInt64-1: %v", err)
		}
		p, err := s.GetPending(ctx, "alice", "p", "d", "g")
		if err != nil || p.Manifest.Len() != 2 || p.Manifest.Size() != math.MaxInt64-1 {
			t.Fatalf("pending = %d entries of %d bytes, %v; want a and c", p.Manifest.Len(), p.Manifest.Size(), err)
		}
		v, _, err := s.FinishPending(ctx, Finish{Upsert: Upsert{Entity: "alice", Project: "p", Name: "d", Type: "dataset",
			DistributedID: "g", RunID: "r1", Now: now}})
		if err != nil || v.Size != math.MaxInt64-1 {
			t.Fatalf("finish = %+v, %v", v, err)
		}
	})
}
