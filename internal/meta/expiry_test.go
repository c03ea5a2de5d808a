package meta_test

import (
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
)

// A version that a committed registry link points at does not expire; once
// unlinked it expires at the next sweep. Outside the conformance suite
// because the link row is written directly (the registry API lives
// elsewhere); run on both databases.
func TestExpireLinkedSource(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *meta.Store
	}{{"SQLite", metatest.OpenSQLite}, {"Postgres", metatest.OpenPostgres}} {
		t.Run(db.name, func(t *testing.T) {
			s := db.open(t)
			ctx := t.Context()
			t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			m := mustManifest(t, "model.bin", "weights")
			src, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "alice", Project: "p", Name: "m", Type: "model",
				Manifest: m, Now: t0, TTL: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			link, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "registry", Project: "model", Name: "MNIST", Type: "model",
				Manifest: m, Now: t0})
			if err != nil {
				t.Fatal(err)
			}
			if err := meta.SetSourceForTest(ctx, s, link.ID, src.ID); err != nil {
				t.Fatal(err)
			}

			uses, err := s.BlobUses(ctx)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"alice/p/m:v0", "registry/model/MNIST:v0"}
			if len(uses) != 1 || uses[0].Digest != m.Entries()[0].Digest || !slices.Equal(uses[0].Versions, want) {
				t.Errorf("BlobUses = %+v, want one blob used by %v", uses, want)
			}

			later := t0.Add(2 * time.Hour)
			vs, err := s.ExpireDue(ctx, later)
			if err != nil || len(vs) != 0 {
				t.Fatalf("ExpireDue with the source linked = %v, %v; want nothing", vs, err)
			}
			if _, err := s.GetVersion(ctx, src.ID); err != nil {
				t.Fatalf("linked source is gone: %v", err)
			}
			// Unlinked, it expires at the next sweep.
			if err := s.DeleteVersion(ctx, link.ID, true); err != nil {
				t.Fatal(err)
			}
			vs, err = s.ExpireDue(ctx, later)
			if err != nil || len(vs) != 1 || vs[0].ID != src.ID {
				t.Fatalf("ExpireDue after unlinking = %v, %v; want the source", vs, err)
			}
			_, err = s.GetVersion(ctx, src.ID)
			if !errors.Is(err, core.ErrNotFound) {
				t.Errorf("expired source: GetVersion = %v, want not found", err)
			}
			if uses, err := s.BlobUses(ctx); err != nil || len(uses) != 0 {
				t.Errorf("BlobUses after expiry = %+v, %v; want none", uses, err)
			}
		})
	}
}

func mustManifest(t *testing.T, path, content string) core.Manifest {
	t.Helper()
	m, err := core.NewManifest([]core.Entry{{Path: path, Digest: core.DigestOf([]byte(content)), Size: int64(len(content))}})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// Deleting and expiring record when: deleted_at.
func TestDeletedAt(t *testing.T) {
	for _, db := range []struct {
		name string
		open func(testing.TB) *meta.Store
	}{{"SQLite", metatest.OpenSQLite}, {"Postgres", metatest.OpenPostgres}} {
		t.Run(db.name, func(t *testing.T) {
			s := db.open(t)
			ctx := t.Context()
			t0 := time.Date(2025, 3, 4, 5, 6, 7, 0, time.UTC)
			commit := func(content string, ttl time.Duration) core.Version {
				v, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "alice", Project: "p", Name: "d", Type: "dataset",
					Manifest: mustManifest(t, "f", content), Now: t0, TTL: ttl})
				if err != nil {
					t.Fatal(err)
				}
				return v
			}
			deleted, expiring, kept := commit("0", 0), commit("1", time.Hour), commit("2", 0)
			if err := s.DeleteVersionAt(ctx, deleted.ID, true, t0.Add(time.Minute)); err != nil {
				t.Fatal(err)
			}
			if _, err := s.ExpireDue(ctx, t0.Add(2*time.Hour)); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				v    core.Version
				want time.Time
			}{{deleted, t0.Add(time.Minute)}, {expiring, t0.Add(2 * time.Hour)}, {kept, time.Time{}}} {
				got, err := meta.DeletedAtForTest(ctx, s, c.v.ID)
				if err != nil || !got.Equal(c.want) {
					t.Errorf("deleted_at of %s = %v, %v; want %v", c.v.Label(), got, err, c.want)
				}
			}
		})
	}
}
