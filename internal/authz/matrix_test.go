package authz_test

import (
	"context"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// relation is how a principal stands to the project an operation targets.
type relation struct {
	name, user, entity, project string
}

var relations = []relation{
	{"owner", "owner", "owner", "priv"},
	{"team-admin", "tadmin", "team", "priv"},
	{"team-member", "tmember", "team", "priv"},
	{"team-viewer", "tviewer", "team", "priv"},
	{"stranger-private", "stranger", "owner", "priv"},
	{"stranger-public", "stranger", "owner", "pub"},
	{"site-admin", "admin", "owner", "priv"},
}

// operation is a group of service calls run as one principal on one seeded
// project; run returns the error of every call it made, all of which must
// have the expected outcome.
type operation struct {
	name string
	run  func(t *testing.T, w *world, api service.API, s seed, home core.Run) []error
	// writes says whether the operation needs Write (else Read).
	writes bool
}

var operations = []operation{
	{"read", opRead, false},
	{"write", opWrite, true},
	{"update", opAlias, true}, // every field of UpdateArtifact
	{"delete", opDelete, true},
	{"lineage", opLineage, false},
	{"download", opDownload, false},
	{"use", opUse, false}, // Write is on the principal's own run
}

func opRead(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	ctx := context.Background()
	data, model := s.data.Ref(), s.model.Ref()
	_, e1 := api.Artifact(ctx, data)
	_, e2 := api.ArtifactVersions(ctx, data)
	_, e3 := api.Collections(ctx, s.entity, s.project, "")
	_, e4 := api.ListRuns(ctx, s.entity, s.project)
	_, e5 := api.GetRun(ctx, "", "", s.producer.ID)
	_, e6 := api.GetRun(ctx, s.entity, s.project, "consumer")
	_, e7 := api.Entry(ctx, data, "file.txt")
	_, e8 := api.LoggedBy(ctx, data)
	_, e9 := api.UsedBy(ctx, data)
	_, e10 := api.Diff(ctx, data, model)
	_, e11 := api.RunOutputs(ctx, s.producer.ID)
	_, e12 := api.RunInputs(ctx, s.consumer.ID)
	return []error{e1, e2, e3, e4, e5, e6, e7, e8, e9, e10, e11, e12}
}

func opWrite(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	ctx := context.Background()
	e1 := api.Heartbeat(ctx, s.producer.ID)
	_, e2 := api.FinishRun(ctx, s.consumer.ID, core.RunFinished)
	run, e3 := api.CreateRun(ctx, service.NewRun{Entity: s.entity, Project: s.project, JobType: "intruder"})
	// Blobs may be uploaded by anyone; they belong to no project until a
	// version is committed, which is what must be refused.
	m := files(t, api, map[string]string{"new.txt": "new content"})
	_, e4 := api.LogArtifact(ctx, service.LogRequest{Entity: s.entity, Project: s.project,
		Name: "data", Type: "dataset", RunID: run.ID, Manifest: m})
	_, e5 := api.LogArtifact(ctx, service.LogRequest{Entity: s.entity, Project: s.project,
		Name: "fresh", Type: "dataset", Manifest: m})
	return []error{e1, e2, e3, e4, e5}
}

func opAlias(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	ctx := context.Background()
	desc := "changed"
	_, e1 := api.UpdateArtifact(ctx, s.data.Ref(), service.Update{AddAliases: []string{"best"}})
	_, e2 := api.UpdateArtifact(ctx, s.data.Ref(), service.Update{DelAliases: []string{"prod"}})
	_, e3 := api.UpdateArtifact(ctx, s.model.Ref(), service.Update{Description: &desc})
	_, e4 := api.UpdateArtifact(ctx, s.model.Ref(), service.Update{Metadata: []byte(`{"changed":true}`)})
	year, none := "8760h", "none"
	_, e5 := api.UpdateArtifact(ctx, s.model.Ref(), service.Update{TTL: &year})
	_, e6 := api.UpdateArtifact(ctx, s.model.Ref(), service.Update{TTL: &none})
	return []error{e1, e2, e3, e4, e5, e6}
}

func opDelete(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	return []error{api.DeleteArtifact(context.Background(), s.data.Ref(), true)}
}

func opLineage(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	ctx := context.Background()
	data := s.data.Ref()
	g1, e1 := api.Lineage(ctx, service.LineageRequest{Version: &data})
	g2, e2 := api.Lineage(ctx, service.LineageRequest{RunID: s.consumer.ID})
	if e1 == nil && e2 == nil {
		// Everything here is in one project: a reader sees it all.
		for _, g := range []core.Graph{g1, g2} {
			if len(g.Nodes) != 4 || len(g.Edges) != 3 {
				t.Errorf("lineage: %d nodes and %d edges, want 4 and 3", len(g.Nodes), len(g.Edges))
			}
		}
	}
	return []error{e1, e2}
}

func opDownload(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	m, e1 := api.Manifest(context.Background(), s.data.Ref())
	if e1 == nil && (m.Len() != 1 || m.Entries()[0].Digest != s.blob) {
		t.Errorf("manifest: %v", m.Entries())
	}
	return []error{e1, readAll(api, s.blob)}
}

func opUse(t *testing.T, w *world, api service.API, s seed, home core.Run) []error {
	_, err := api.UseArtifact(context.Background(), home.ID, s.data.Ref())
	return []error{err}
}

// expected returns the outcome of op for rel.
func expected(op operation, rel relation) error {
	switch rel.name {
	case "stranger-private":
		return core.ErrNotFound
	case "team-viewer", "stranger-public":
		if op.writes {
			return core.ErrPermission
		}
	}
	return nil
}

// TestAccessMatrix runs every operation as every relation, each in a fresh
// world: the outcome must be exact, and a refused operation must leave the
// target project and the principal's own project as they were.
func TestAccessMatrix(t *testing.T) {
	for _, op := range operations {
		for _, rel := range relations {
			t.Run(op.name+"/"+rel.name, func(t *testing.T) {
				w := newWorld(t)
				s := w.seeds[rel.entity+"/"+rel.project]
				homeProject := rel.user + "/home"
				home := startRun(t, w.inner, rel.user, "home", "home")
				before := w.snapshot(rel.entity+"/"+rel.project, homeProject)

				want := expected(op, rel)
				for i, err := range op.run(t, w, w.as(rel.user), s, home) {
					wantKind(t, op.name+" call "+string(rune('a'+i)), err, want)
				}
				after := w.snapshot(rel.entity+"/"+rel.project, homeProject)
				if want != nil && after != before {
					t.Errorf("a refused %s changed the store:\nbefore:\n%s\nafter:\n%s", op.name, before, after)
				}
				if want == nil && op.name != "read" && op.name != "lineage" && op.name != "download" && after == before {
					t.Errorf("an allowed %s changed nothing", op.name)
				}
			})
		}
	}
}
