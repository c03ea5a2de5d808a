package servicetest

import (
	"context"
	"reflect"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

func testTypeGraph(t *testing.T, api service.API) {
	ctx := context.Background()
	mnist(t, api)
	g, err := api.TypeGraph(ctx, entity, project)
	if err != nil {
		t.Fatal(err)
	}
	art := func(name string) core.TypeNode {
		return core.TypeNode{ID: core.ArtifactTypeNodeID(name), Kind: core.KindArtifactType, Name: name, Count: 1}
	}
	job := func(name string) core.TypeNode {
		return core.TypeNode{ID: core.JobTypeNodeID(name), Kind: core.KindJobType, Name: name, Count: 1}
	}
	want := core.TypeGraph{
		Nodes: []core.TypeNode{art("dataset"), art("model"), job("evaluate"), job("preprocess"), job("train_model")},
		Edges: []core.Edge{
			{From: "artifact_type:dataset", To: "job_type:train_model"},
			{From: "artifact_type:model", To: "job_type:evaluate"},
			{From: "job_type:preprocess", To: "artifact_type:dataset"},
			{From: "job_type:train_model", To: "artifact_type:model"},
		},
	}
	if !reflect.DeepEqual(g, want) {
		t.Fatalf("type graph of the mnist chain\n got %+v\nwant %+v", g, want)
	}

	// A project with a run and no artifact: no edge, and an empty list.
	if _, err := api.CreateRun(ctx, service.NewRun{Entity: entity, Project: "quiet", JobType: "probe"}); err != nil {
		t.Fatal(err)
	}
	g, err = api.TypeGraph(ctx, entity, "quiet")
	if err != nil {
		t.Fatal(err)
	}
	if want := (core.TypeGraph{Nodes: []core.TypeNode{job("probe")}, Edges: []core.Edge{}}); !reflect.DeepEqual(g, want) {
		t.Fatalf("type graph of a project without artifacts = %#v, want %#v", g, want)
	}

	_, err = api.TypeGraph(ctx, entity, "nothing-here")
	wantKind(t, err, core.ErrNotFound, "type graph of an unknown project")
	for _, bad := range [][2]string{{entity, "a/b"}, {"", project}, {entity, ""}, {"a b", project}} {
		_, err = api.TypeGraph(ctx, bad[0], bad[1])
		wantKind(t, err, core.ErrInvalid, "type graph of "+bad[0]+"/"+bad[1])
	}
}
