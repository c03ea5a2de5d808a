package servicetest

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Empty versions and the limits of core/limits.go.
var limitsTests = []struct {
	name string
	fn   func(t *testing.T, api service.API)
}{
	{"EmptyVersionRefused", testEmptyRefused},
	{"Limits", testLimits},
	{"AliasTotal", testAliasTotal},
}

func testEmptyRefused(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	req := service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID, Aliases: []string{"best"}}
	_, err := api.LogArtifact(ctx, req)
	wantKind(t, err, core.ErrInvalid, "empty version")
	if want := "artifact d has no files or references: add some, or allow an empty version with --allow-empty"; !strings.HasSuffix(fmt.Sprint(err), want) {
		t.Errorf("refusal %q, want %q", err, want)
	}
	if cols, err := api.Collections(ctx, entity, project, ""); err != nil || len(cols) != 0 {
		t.Fatalf("a refused empty version created %+v (%v)", cols, err)
	}
	if outs, err := api.RunOutputs(ctx, run.ID); err != nil || len(outs) != 0 {
		t.Fatalf("a refused empty version is an output of the run: %+v (%v)", outs, err)
	}
	req.AllowEmpty = true
	res, err := api.LogArtifact(ctx, req)
	if err != nil || !res.Created || res.Version.FileCount != 0 || res.Version.Label() != "v0" || !slices.Equal(res.Version.Aliases, []string{"best", "latest"}) {
		t.Fatalf("allowed empty version = %+v, %v", res, err)
	}
}

func testLimits(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	m := files(t, api, map[string]string{"a": "1"})
	big := json.RawMessage(`{"x":"` + strings.Repeat("m", core.MaxMetadata) + `"}`)
	many := make([]string, core.MaxAliases+1)
	for i := range many {
		many[i] = fmt.Sprintf("alias-%d", i)
	}
	base := service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID, Manifest: m}
	for what, mutate := range map[string]func(r *service.LogRequest){
		"metadata":    func(r *service.LogRequest) { r.Metadata = big },
		"aliases":     func(r *service.LogRequest) { r.Aliases = many },
		"description": func(r *service.LogRequest) { r.Description = strings.Repeat("d", core.MaxDescription+1) },
	} {
		req := base
		mutate(&req)
		_, err := api.LogArtifact(ctx, req)
		wantKind(t, err, core.ErrTooLarge, "log: "+what)
		up := service.UpsertRequest{LogRequest: req, DistributedID: "g"}
		_, err = api.UpsertArtifact(ctx, up)
		wantKind(t, err, core.ErrTooLarge, "upsert: "+what)
		_, err = api.FinishArtifact(ctx, up)
		wantKind(t, err, core.ErrTooLarge, "finish: "+what)
	}
	if cols, err := api.Collections(ctx, entity, project, ""); err != nil || len(cols) != 0 {
		t.Fatalf("refused logs created %+v (%v)", cols, err)
	}
	if ps, err := pendingAPI(t, api).PendingArtifacts(ctx, entity, project); err != nil || len(ps) != 0 {
		t.Fatalf("refused upserts created %+v (%v)", ps, err)
	}
	// Exactly at the limits is fine.
	req := base
	req.Aliases, req.Metadata = many[:core.MaxAliases], json.RawMessage(`{"x":"`+strings.Repeat("m", core.MaxMetadata-8)+`"}`)
	if _, err := api.LogArtifact(ctx, req); err != nil {
		t.Fatalf("log at the limits: %v", err)
	}

	// Updates.
	_, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{Metadata: big})
	wantKind(t, err, core.ErrTooLarge, "update metadata")
	_, err = api.UpdateArtifact(ctx, ref("d:v0"), service.Update{AddAliases: append(many, "one-more")})
	wantKind(t, err, core.ErrTooLarge, "update aliases")

	// Runs.
	_, err = api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project, Config: big})
	wantKind(t, err, core.ErrTooLarge, "run config")
	tags := make([]string, core.MaxTags+1)
	for i := range tags {
		tags[i] = fmt.Sprint("tag-", i)
	}
	_, err = api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project, Tags: tags})
	wantKind(t, err, core.ErrTooLarge, "run tags")
	if r, err := api.CreateRun(ctx, service.NewRun{Entity: entity, Project: project, Tags: tags[:core.MaxTags]}); err != nil || len(r.Tags) != core.MaxTags {
		t.Fatalf("a run with %d tags: %+v %v", core.MaxTags, r.Tags, err)
	}
	if runs, err := api.ListRuns(ctx, entity, project); err != nil || len(runs) != 2 {
		t.Fatalf("refused runs were created: %d runs, %v", len(runs), err)
	}

	// Links.
	mrun := startRun(t, api, "", "")
	logArtifact(t, api, mrun.ID, "m", "model", map[string]string{"w": "weights"})
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("m:v0"), Registry: "model", Collection: "M", Aliases: many})
	wantKind(t, err, core.ErrTooLarge, "link aliases")

	// Paths a file system cannot hold.
	_, err = api.Entry(ctx, ref("d:v0"), strings.Repeat("s", core.MaxSegmentLen+1))
	wantKind(t, err, core.ErrInvalid, "a 256-byte path segment")
}

// testAliasTotal: the aliases a version has and those a request adds count
// together, whichever way they arrive.
func testAliasTotal(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	names := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = fmt.Sprintf("%s-%d", prefix, i)
		}
		return out
	}
	full := names("a", core.MaxAliases-2)
	res := logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"}, full...)
	if len(res.Version.Aliases) != core.MaxAliases-1 { // and latest
		t.Fatalf("aliases = %d", len(res.Version.Aliases))
	}
	before, err := api.Artifact(ctx, ref("d:v0"))
	if err != nil {
		t.Fatal(err)
	}
	// Update: 98 + 3 > 100.
	_, err = api.UpdateArtifact(ctx, ref("d:v0"), service.Update{AddAliases: names("b", 3)})
	wantKind(t, err, core.ErrTooLarge, "update beyond the total")
	if !strings.Contains(fmt.Sprint(err), fmt.Sprint(core.MaxAliases)) {
		t.Errorf("refusal %q does not name the limit", err)
	}
	// Log of identical content, which moves its aliases to v0: the same.
	_, err = api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", RunID: run.ID,
		Aliases: names("c", 3), Manifest: files(t, api, map[string]string{"a": "1"})})
	wantKind(t, err, core.ErrTooLarge, "dedup beyond the total")
	after, err := api.Artifact(ctx, ref("d:v0"))
	if err != nil || !slices.Equal(after.Aliases, before.Aliases) {
		t.Fatalf("refusals changed the aliases: %d → %d (%v)", len(before.Aliases), len(after.Aliases), err)
	}
	// Moving an alias that is there already adds nothing; two more reach
	// the limit.
	if v, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{AddAliases: append(names("b", 2), full[0])}); err != nil || len(v.Aliases) != core.MaxAliases+1 {
		t.Fatalf("update up to the limit: %d aliases, %v", len(v.Aliases), err)
	}
}
