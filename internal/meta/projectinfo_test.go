package meta

import (
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestProjectInfos: every project (or one entity's) with its visibility,
// its artifacts that have a committed version, and its runs; registries
// and deleted-only artifacts are not counted.
func TestProjectInfos(t *testing.T) {
	eachDialect(t, func(t *testing.T, s *Store) {
		ctx := t.Context()
		if got, err := s.ProjectInfos(ctx, ""); err != nil || len(got) != 0 {
			t.Fatalf("empty store: %v, %v", got, err)
		}
		m, _ := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf([]byte("f")), Size: 1}})
		commit := func(entity, project, name string) core.Version {
			t.Helper()
			v, _, err := s.CommitVersion(ctx, Commit{Entity: entity, Project: project, Name: name, Type: "dataset", Manifest: m, Now: stageT0})
			if err != nil {
				t.Fatal(err)
			}
			return v
		}
		commit("e", "p", "a")
		commit("e", "p", "b")
		gone := commit("e", "q", "gone")
		if err := s.DeleteVersion(ctx, gone.ID, true); err != nil {
			t.Fatal(err)
		}
		for i, id := range []string{"r1", "r2"} {
			if _, err := s.CreateRun(ctx, NewRun{ID: id, Entity: "f", Project: []string{"x", "x"}[i], JobType: "j", Now: stageT0}); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := s.CreateRegistry(ctx, core.Registry{Name: "vision"}, stageT0); err != nil {
			t.Fatal(err)
		}
		if err := s.SetProjectPublic(ctx, "f", "x", true); err != nil {
			t.Fatal(err)
		}
		want := []ProjectInfo{
			{Entity: "e", Name: "p", Artifacts: 2},
			{Entity: "e", Name: "q"},
			{Entity: "f", Name: "x", Public: true, Runs: 2},
		}
		if got, err := s.ProjectInfos(ctx, ""); err != nil || !slices.Equal(got, want) {
			t.Errorf("ProjectInfos = %+v, %v; want %+v", got, err, want)
		}
		if got, err := s.ProjectInfos(ctx, "f"); err != nil || !slices.Equal(got, want[2:]) {
			t.Errorf("ProjectInfos(f) = %+v, %v; want %+v", got, err, want[2:])
		}
		if got, err := s.ProjectInfos(ctx, "nosuch"); err != nil || len(got) != 0 {
			t.Errorf("ProjectInfos(nosuch) = %+v, %v; want none", got, err)
		}
	})
}
