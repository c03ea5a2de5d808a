package servicetest

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Registry tests (DESIGN §1 "Registry"), run embedded and over HTTP.
var registryTests = []struct {
	name string
	fn   func(t *testing.T, api service.API)
}{
	{"RegistryLink", testRegistryLink},
	{"RegistryRelinkIdempotent", testRegistryRelink},
	{"RegistryTypes", testRegistryTypes},
	{"RegistryReservedEntity", testRegistryReserved},
	{"RegistryUseAndLineage", testRegistryUse},
	{"RegistryUnlink", testRegistryUnlink},
	{"RegistryCreate", testRegistryCreate},
}

func regRef(s string) core.Ref {
	r, err := core.ParseRef(s)
	if err != nil {
		panic(err)
	}
	return r
}

func link(t *testing.T, api service.API, source, registry, collection, runID string, aliases ...string) core.Version {
	t.Helper()
	v, err := api.LinkArtifact(context.Background(), service.LinkRequest{
		Source: ref(source), Registry: registry, Collection: collection, Aliases: aliases, RunID: runID})
	if err != nil {
		t.Fatalf("LinkArtifact(%s → %s/%s): %v", source, registry, collection, err)
	}
	return v
}

func testRegistryLink(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "train-1", "train")
	src := logArtifact(t, api, run.ID, "clf", "model", map[string]string{"model.bin": "weights", "cfg/a.json": "{}"}).Version
	l := link(t, api, "clf:v0", "model", "Bikes", run.ID, "staging")
	if l.Entity != core.RegistryEntity || l.Project != "model" || l.Name != "Bikes" || l.Index != 0 {
		t.Fatalf("link %s, want registry/model/Bikes:v0", l.FullName())
	}
	if l.Source != src.FullName() || l.Digest != src.Digest || l.Size != src.Size || l.FileCount != src.FileCount || l.Type != "model" {
		t.Errorf("link %+v does not carry its source %+v", l, src)
	}
	if l.CreatedBy != run.ID || !slices.Equal(l.Aliases, []string{"latest", "staging"}) {
		t.Errorf("link created by %q with aliases %v, want %q and [latest staging]", l.CreatedBy, l.Aliases, run.ID)
	}
	// Every read path works on the registry reference.
	got, err := api.Artifact(ctx, regRef("registry/model/Bikes:staging"))
	if err != nil || got.Index != 0 || got.Source != src.FullName() {
		t.Fatalf("Artifact(registry/model/Bikes:staging) = %+v, %v", got, err)
	}
	m, err := api.Manifest(ctx, regRef("registry/model/Bikes:v0"))
	if err != nil {
		t.Fatal(err)
	}
	sm, err := api.Manifest(ctx, src.Ref())
	if err != nil {
		t.Fatal(err)
	}
	if m.Digest() != sm.Digest() || m.Len() != 2 {
		t.Errorf("manifest of the link %v, want the source's %v", m.Entries(), sm.Entries())
	}
	e, err := api.Entry(ctx, regRef("registry/model/Bikes"), "model.bin")
	if err != nil || e.Digest != core.DigestOf([]byte("weights")) {
		t.Errorf("Entry(link, model.bin) = %+v, %v", e, err)
	}
	if d, err := api.Diff(ctx, src.Ref(), regRef("registry/model/Bikes:v0")); err != nil || len(d.Added)+len(d.Removed)+len(d.Changed) != 0 {
		t.Errorf("Diff(source, link) = %+v, %v; want no change", d, err)
	}
	vs, err := api.ArtifactVersions(ctx, regRef("registry/model/Bikes"))
	if err != nil || len(vs) != 1 || vs[0].Source != src.FullName() {
		t.Errorf("ArtifactVersions(registry/model/Bikes) = %+v, %v", vs, err)
	}
	cs, err := api.Collections(ctx, core.RegistryEntity, "model", "")
	if err != nil || len(cs) != 1 || cs[0].Name != "Bikes" || cs[0].Type != "model" || cs[0].Latest != "v0" {
		t.Errorf("Collections(registry/model) = %+v, %v", cs, err)
	}
	rs, err := api.Registries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, r := range rs {
		counts[r.Name] = r.CollectionCount
	}
	if len(rs) < 2 || counts["model"] != 1 || counts["dataset"] != 0 {
		t.Errorf("Registries() = %+v; want model (1 collection) and dataset (0)", rs)
	}
	for _, r := range []core.Ref{src.Ref(), regRef("registry/model/Bikes:v0")} {
		ls, err := api.Links(ctx, r)
		if err != nil || len(ls) != 1 || ls[0].FullName() != "registry/model/Bikes:v0" {
			t.Errorf("Links(%s) = %+v, %v; want the one link", r, ls, err)
		}
	}
	// The source itself is unchanged: no alias, no source.
	sv, err := api.Artifact(ctx, src.Ref())
	if err != nil || sv.Source != "" || !slices.Equal(sv.Aliases, []string{"latest"}) {
		t.Errorf("source after linking: %+v, %v", sv, err)
	}
	// LoggedBy of a link is its source's logging run, whoever linked it:
	// here a run that only links.
	promoter := startRun(t, api, "promote-1", "promote")
	l2 := link(t, api, "clf:v0", "model", "Bikes-prod", promoter.ID)
	if l2.CreatedBy != promoter.ID {
		t.Errorf("link created by %q, want the linking run %q", l2.CreatedBy, promoter.ID)
	}
	if r, err := api.LoggedBy(ctx, l2.Ref()); err != nil || r == nil || r.ID != run.ID {
		t.Errorf("LoggedBy(%s) = %+v, %v; want the source's logging run %s", l2.FullName(), r, err, run.ID)
	}
}

func testRegistryRelink(t *testing.T, api service.API) {
	ctx := context.Background()
	run := startRun(t, api, "train-1", "train")
	logArtifact(t, api, run.ID, "clf", "model", map[string]string{"m": "1"})
	logArtifact(t, api, run.ID, "clf", "model", map[string]string{"m": "2"})
	l0 := link(t, api, "clf:v0", "model", "Bikes", "", "best")
	l1 := link(t, api, "clf:v1", "model", "Bikes", "")
	if l0.Index != 0 || l1.Index != 1 || !slices.Equal(l1.Aliases, []string{"latest"}) {
		t.Fatalf("links %s %v, %s %v", l0.Label(), l0.Aliases, l1.Label(), l1.Aliases)
	}
	// Linking v0 again returns its link and only moves the aliases.
	again := link(t, api, "clf:v0", "model", "Bikes", "", "champion")
	if again.Index != 0 || !slices.Equal(again.Aliases, []string{"best", "champion"}) {
		t.Errorf("relink of clf:v0 = %s %v; want v0 [best champion]", again.Label(), again.Aliases)
	}
	// Linking a link links its source: the same link again.
	viaLink, err := api.LinkArtifact(ctx, service.LinkRequest{Source: regRef("registry/model/Bikes:v1"), Registry: "model", Collection: "Bikes"})
	if err != nil || viaLink.Index != 1 {
		t.Errorf("linking registry/model/Bikes:v1 into its own collection = %s, %v; want v1", viaLink.FullName(), err)
	}
	other, err := api.LinkArtifact(ctx, service.LinkRequest{Source: regRef("registry/model/Bikes:v1"), Registry: "model", Collection: "Other"})
	if err != nil || other.Source != ref("clf:v1").String() {
		t.Errorf("linking a link elsewhere = %+v, %v; want a link of alice/bikes/clf:v1", other, err)
	}
	vs, err := api.ArtifactVersions(ctx, regRef("registry/model/Bikes"))
	if err != nil || !slices.Equal(labels(vs), []string{"v0[best,champion]", "v1[latest]"}) {
		t.Errorf("versions after relinking: %v, %v", labels(vs), err)
	}
}

func testRegistryTypes(t *testing.T, api service.API) {
	ctx := context.Background()
	logArtifact(t, api, "", "data", "dataset", map[string]string{"d": "1"})
	logArtifact(t, api, "", "clf", "model", map[string]string{"m": "1"})
	// A registry accepts only its types; nothing is created.
	_, err := api.LinkArtifact(ctx, service.LinkRequest{Source: ref("data:v0"), Registry: "model", Collection: "Bikes"})
	wantKind(t, err, core.ErrInvalid, "linking a dataset into the model registry")
	if !strings.Contains(err.Error(), "dataset") || !strings.Contains(err.Error(), "model") {
		t.Errorf("error %q does not name both types", err)
	}
	if cs, err := api.Collections(ctx, core.RegistryEntity, "model", ""); err != nil || len(cs) != 0 {
		t.Errorf("a refused link left collections %+v, %v", cs, err)
	}
	// A collection has the type of its first link.
	if _, err := api.CreateRegistry(ctx, core.Registry{Name: "anything"}); err != nil {
		t.Fatal(err)
	}
	link(t, api, "data:v0", "anything", "Mixed", "")
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("clf:v0"), Registry: "anything", Collection: "Mixed", Aliases: []string{"x"}})
	wantKind(t, err, core.ErrInvalid, "linking a model into a dataset collection")
	if !strings.Contains(err.Error(), "dataset") || !strings.Contains(err.Error(), "model") {
		t.Errorf("error %q does not name both types", err)
	}
	if vs, err := api.ArtifactVersions(ctx, regRef("registry/anything/Mixed")); err != nil || len(vs) != 1 || slices.Contains(vs[0].Aliases, "x") {
		t.Errorf("a refused link changed the collection: %+v, %v", vs, err)
	}
	// Unknown registry, unknown source, bad names, bad aliases.
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("clf:v0"), Registry: "nope", Collection: "C"})
	wantKind(t, err, core.ErrNotFound, "unknown registry")
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("clf:v9"), Registry: "model", Collection: "C"})
	wantKind(t, err, core.ErrNotFound, "unknown source")
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("clf:v0"), Registry: "model", Collection: "a/b"})
	wantKind(t, err, core.ErrInvalid, "bad collection name")
	_, err = api.LinkArtifact(ctx, service.LinkRequest{Source: ref("clf:v0"), Registry: "model", Collection: "C", Aliases: []string{"v3"}})
	wantKind(t, err, core.ErrInvalid, "version-shaped alias")
	if cs, err := api.Collections(ctx, core.RegistryEntity, "model", ""); err != nil || len(cs) != 0 {
		t.Errorf("refused links left collections %+v, %v", cs, err)
	}
}

func testRegistryReserved(t *testing.T, api service.API) {
	ctx := context.Background()
	_, err := api.CreateRun(ctx, service.NewRun{Entity: core.RegistryEntity, Project: "model", JobType: "x"})
	wantKind(t, err, core.ErrInvalid, "CreateRun in entity registry")
	if !strings.Contains(err.Error(), "reserved") {
		t.Errorf("error %q does not say the entity is reserved", err)
	}
	_, err = api.LogArtifact(ctx, service.LogRequest{Entity: core.RegistryEntity, Project: "model", Name: "X", Type: "model",
		Manifest: files(t, api, map[string]string{"m": "1"})})
	wantKind(t, err, core.ErrInvalid, "LogArtifact in entity registry")
	if cs, err := api.Collections(ctx, core.RegistryEntity, "model", ""); err != nil || len(cs) != 0 {
		t.Errorf("refused writes left collections %+v, %v", cs, err)
	}
}

func testRegistryUse(t *testing.T, api service.API) {
	ctx := context.Background()
	prep, train, _ := mnist(t, api)
	link(t, api, "mnist_model:v0", "model", "MNIST-dev", train.ID)
	eval := startRun(t, api, "eval-2", "evaluate")
	v, err := api.UseArtifact(ctx, eval.ID, regRef("registry/model/MNIST-dev:latest"))
	if err != nil || v.FullName() != "registry/model/MNIST-dev:v0" {
		t.Fatalf("UseArtifact(registry ref) = %s, %v; want the link", v.FullName(), err)
	}
	// The input edge is on the source: its consumers show the run, and
	// so do the link's.
	for _, r := range []core.Ref{ref("mnist_model:v0"), regRef("registry/model/MNIST-dev:v0")} {
		runs, err := api.UsedBy(ctx, r)
		if err != nil || !slices.ContainsFunc(runs, func(x core.Run) bool { return x.ID == eval.ID }) {
			t.Errorf("UsedBy(%s) = %+v, %v; want %s among them", r, runs, err, eval.ID)
		}
	}
	ins, err := api.RunInputs(ctx, eval.ID)
	if err != nil || len(ins) != 1 || ins[0].FullName() != ref("mnist_model:v0").String() {
		t.Errorf("RunInputs(eval) = %v, %v; want the source", ins, err)
	}
	// The lineage of the link is its source's, consumer included.
	l := regRef("registry/model/MNIST-dev:v0")
	g, err := api.Lineage(ctx, service.LineageRequest{Version: &l})
	if err != nil {
		t.Fatal(err)
	}
	want := "artifact:mnist_dataset:v0 artifact:mnist_model:v0 run:eval-2 run:jumping-monkey-1 run:serene-haze-6 run:vague-morning-5 | " +
		"eval-2<mnist_model:v0 jumping-monkey-1>mnist_dataset:v0 mnist_dataset:v0>vague-morning-5 mnist_model:v0>serene-haze-6 vague-morning-5>mnist_model:v0"
	want = strings.Replace(want, "eval-2<mnist_model:v0 ", "", 1)
	want += " mnist_model:v0>eval-2"
	if got := graphString(g); !sameGraph(got, want) {
		t.Errorf("lineage of the link\n got %s\nwant %s", got, want)
	}
	_ = prep
}

// sameGraph compares graphString outputs, ignoring the order of edges.
func sameGraph(a, b string) bool {
	na, ea, _ := strings.Cut(a, " | ")
	nb, eb, _ := strings.Cut(b, " | ")
	fa, fb := strings.Fields(ea), strings.Fields(eb)
	slices.Sort(fa)
	slices.Sort(fb)
	return na == nb && slices.Equal(fa, fb)
}

func testRegistryUnlink(t *testing.T, api service.API) {
	ctx := context.Background()
	logArtifact(t, api, "", "clf", "model", map[string]string{"m": "1"})
	logArtifact(t, api, "", "clf", "model", map[string]string{"m": "2"})
	link(t, api, "clf:v0", "model", "Bikes", "", "production")
	link(t, api, "clf:v1", "model", "Bikes", "")
	// A source with live links cannot be deleted; the error names them.
	err := api.DeleteArtifact(ctx, ref("clf:v0"), true)
	wantKind(t, err, core.ErrConflict, "deleting a linked source")
	if !strings.Contains(err.Error(), "registry/model/Bikes:v0") {
		t.Errorf("error %q does not name the link", err)
	}
	if _, err := api.Artifact(ctx, ref("clf:v0")); err != nil {
		t.Errorf("refused delete changed the source: %v", err)
	}
	// Unlinking needs no --delete-aliases: the link's aliases go with it,
	// latest moves, the source stays.
	if err := api.DeleteArtifact(ctx, regRef("registry/model/Bikes:v1"), false); err != nil {
		t.Fatalf("unlink v1: %v", err)
	}
	if err := api.DeleteArtifact(ctx, regRef("registry/model/Bikes:production"), false); err != nil {
		t.Fatalf("unlink v0: %v", err)
	}
	vs, err := api.ArtifactVersions(ctx, regRef("registry/model/Bikes"))
	if err != nil || len(vs) != 0 {
		t.Errorf("versions after unlinking: %+v, %v", vs, err)
	}
	_, err = api.Artifact(ctx, regRef("registry/model/Bikes:production"))
	wantKind(t, err, core.ErrNotFound, "alias of an unlinked version")
	for _, r := range []string{"clf:v0", "clf:v1"} {
		if v, err := api.Artifact(ctx, ref(r)); err != nil || v.State != core.VersionCommitted {
			t.Errorf("source %s after unlinking: %+v, %v", r, v, err)
		}
		if ls, err := api.Links(ctx, ref(r)); err != nil || len(ls) != 0 {
			t.Errorf("Links(%s) after unlinking = %+v, %v", r, ls, err)
		}
	}
	// Linking again continues the index: no reuse of vN.
	if l := link(t, api, "clf:v0", "model", "Bikes", ""); l.Index != 2 {
		t.Errorf("link after unlinking is %s, want v2", l.Label())
	}
	if err := api.DeleteArtifact(ctx, ref("clf:v1"), true); err != nil {
		t.Errorf("deleting an unlinked source: %v", err)
	}
}

func testRegistryCreate(t *testing.T, api service.API) {
	ctx := context.Background()
	r, err := api.CreateRegistry(ctx, core.Registry{Name: "eval-results", Types: []string{"result", "result"}, ProtectedAliases: []string{"gold"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "eval-results" || !slices.Equal(r.Types, []string{"result"}) || !slices.Equal(r.ProtectedAliases, []string{"gold"}) || r.CreatedAt.IsZero() {
		t.Errorf("CreateRegistry = %+v", r)
	}
	_, err = api.CreateRegistry(ctx, core.Registry{Name: "eval-results"})
	wantKind(t, err, core.ErrConflict, "creating a registry twice")
	for _, bad := range []core.Registry{
		{Name: "a/b"}, {Name: ""}, {Name: "x", Types: []string{"a:b"}},
		{Name: "y", ProtectedAliases: []string{"latest"}}, {Name: "z", ProtectedAliases: []string{"v1"}},
	} {
		_, err := api.CreateRegistry(ctx, bad)
		wantKind(t, err, core.ErrInvalid, "CreateRegistry "+bad.Name)
	}
	rs, err := api.Registries(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, r := range rs {
		names = append(names, r.Name)
	}
	if !slices.Equal(names, []string{"dataset", "eval-results", "model"}) {
		t.Errorf("registries %v after refused creations", names)
	}
	u, err := api.UpdateRegistry(ctx, core.Registry{Name: "eval-results", Types: []string{}, ProtectedAliases: []string{"gold", "silver"}})
	if err != nil || len(u.Types) != 0 || !slices.Equal(u.ProtectedAliases, []string{"gold", "silver"}) {
		t.Errorf("UpdateRegistry = %+v, %v", u, err)
	}
	_, err = api.UpdateRegistry(ctx, core.Registry{Name: "nope"})
	wantKind(t, err, core.ErrNotFound, "updating an unknown registry")
}
