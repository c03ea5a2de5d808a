package authz_test

import (
	"context"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
)

// TestHiddenLooksMissing checks that what a stranger may not see fails
// exactly as a missing thing does: same kind, same message.
func TestHiddenLooksMissing(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	s := w.seeds["owner/priv"]
	stranger := w.as("stranger")

	// empty is a store where none of it exists.
	dir := t.TempDir()
	st := openStore(t, dir+"/trove.db")
	b, err := blob.Open(ctx, "file://"+dir+"/blobs")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { b.Close() })
	empty := service.New(st, b, service.Options{})

	data, model := s.data.Ref(), s.model.Ref()
	latest := data
	latest.Selector = ""
	calls := map[string]func(api service.API) error{
		"Artifact":         func(api service.API) error { _, err := api.Artifact(ctx, latest); return err },
		"ArtifactVersions": func(api service.API) error { _, err := api.ArtifactVersions(ctx, data); return err },
		"Manifest":         func(api service.API) error { _, err := api.Manifest(ctx, data); return err },
		"Entry":            func(api service.API) error { _, err := api.Entry(ctx, data, "file.txt"); return err },
		"LoggedBy":         func(api service.API) error { _, err := api.LoggedBy(ctx, data); return err },
		"UsedBy":           func(api service.API) error { _, err := api.UsedBy(ctx, data); return err },
		"Diff":             func(api service.API) error { _, err := api.Diff(ctx, data, model); return err },
		"UpdateArtifact":   func(api service.API) error { _, err := api.UpdateArtifact(ctx, data, service.Update{}); return err },
		"DeleteArtifact":   func(api service.API) error { return api.DeleteArtifact(ctx, data, true) },
		"Lineage": func(api service.API) error {
			_, err := api.Lineage(ctx, service.LineageRequest{Version: &data})
			return err
		},
		"GetRun":     func(api service.API) error { _, err := api.GetRun(ctx, "", "", s.producer.ID); return err },
		"GetRunName": func(api service.API) error { _, err := api.GetRun(ctx, s.entity, s.project, "producer"); return err },
		"RunInputs":  func(api service.API) error { _, err := api.RunInputs(ctx, s.consumer.ID); return err },
		"RunOutputs": func(api service.API) error { _, err := api.RunOutputs(ctx, s.consumer.ID); return err },
		"Heartbeat":  func(api service.API) error { return api.Heartbeat(ctx, s.producer.ID) },
		"FinishRun": func(api service.API) error {
			_, err := api.FinishRun(ctx, s.producer.ID, core.RunFinished)
			return err
		},
		"GetBlob": func(api service.API) error { return readAll(api, s.blob) },
	}
	for name, call := range calls {
		hidden, missing := call(stranger), call(empty)
		if !errorsIsNotFound(hidden) || !errorsIsNotFound(missing) || hidden.Error() != missing.Error() {
			t.Errorf("%s: hidden gives %v, missing gives %v", name, hidden, missing)
		}
	}
}

func errorsIsNotFound(err error) bool { return kindOf(err) == core.ErrNotFound }

// TestUseNeedsWriteOnRunAndReadOnArtifact checks both halves of UseArtifact.
func TestUseNeedsWriteOnRunAndReadOnArtifact(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	team, own, pub := w.seeds["team/priv"], w.seeds["owner/priv"], w.seeds["owner/pub"]
	before := w.snapshot("team/priv", "owner/priv", "owner/pub")

	// A viewer may read the team's artifact but not add inputs to its runs.
	_, err := w.as("tviewer").UseArtifact(ctx, team.consumer.ID, team.data.Ref())
	wantKind(t, "viewer uses into a team run", err, core.ErrPermission)
	// A stranger cannot see the owner's run at all, even with a public artifact.
	_, err = w.as("stranger").UseArtifact(ctx, own.consumer.ID, pub.data.Ref())
	wantKind(t, "stranger uses into a private run", err, core.ErrNotFound)
	// A team member may use the owner's public data in a team run, not its private data.
	_, err = w.as("tmember").UseArtifact(ctx, team.consumer.ID, own.data.Ref())
	wantKind(t, "member uses private data of another entity", err, core.ErrNotFound)
	if after := w.snapshot("team/priv", "owner/priv", "owner/pub"); after != before {
		t.Errorf("refused uses changed the store:\n%s\n%s", before, after)
	}
	_, err = w.as("tmember").UseArtifact(ctx, team.consumer.ID, pub.data.Ref())
	wantKind(t, "member uses public data of another entity", err, nil)
}

// TestLogNeedsWriteOnRun checks that a version cannot be hung on someone
// else's run.
func TestLogNeedsWriteOnRun(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	own := w.seeds["owner/priv"]
	before := w.snapshot("owner/priv", "stranger/home")
	api := w.as("stranger")
	_, err := api.LogArtifact(ctx, service.LogRequest{Entity: "stranger", Project: "home", Name: "x", Type: "dataset",
		RunID: own.producer.ID, Manifest: files(t, api, map[string]string{"a": "a"})})
	wantKind(t, "log with a hidden run", err, core.ErrNotFound)
	if after := w.snapshot("owner/priv", "stranger/home"); after != before {
		t.Errorf("refused log changed the store:\n%s\n%s", before, after)
	}
}

// TestUnclaimedEntity: an entity no user or team owns (kind "", as the
// embedded store makes them) is writable by site admins only.
func TestUnclaimedEntity(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	s := w.seedProject("lab", "open")
	if err := w.acc.SetProjectPublic(ctx, w.p["admin"], "lab", "open", true); err != nil {
		t.Fatal(err)
	}
	w.seedProject("lab", "closed")
	for _, u := range users {
		_, err := w.as(u).CreateRun(ctx, service.NewRun{Entity: "lab", Project: "open"})
		wantKind(t, u+" writes into public lab/open", err, core.ErrPermission)
		_, err = w.as(u).CreateRun(ctx, service.NewRun{Entity: "lab", Project: "closed"})
		wantKind(t, u+" writes into private lab/closed", err, core.ErrNotFound)
		_, err = w.as(u).CreateRun(ctx, service.NewRun{Entity: "nobody", Project: "new"})
		wantKind(t, u+" writes into a new entity", err, core.ErrNotFound)
		_, err = w.as(u).Artifact(ctx, s.data.Ref())
		wantKind(t, u+" reads public lab/open", err, nil)
	}
	_, err := w.as("admin").CreateRun(ctx, service.NewRun{Entity: "lab", Project: "closed"})
	wantKind(t, "admin writes into lab/closed", err, nil)
	_, err = w.as("admin").CreateRun(ctx, service.NewRun{Entity: "nobody", Project: "new"})
	wantKind(t, "admin writes into a new entity", err, nil)
}

// TestBadNamesAreInvalid: bad input is reported as such, not as hidden.
func TestBadNamesAreInvalid(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	_, err := w.as("stranger").ListRuns(ctx, "owner", "../etc")
	if kindOf(err) != core.ErrInvalid && !isInvalid(err) {
		t.Errorf("ListRuns with a bad project: %v, want invalid", err)
	}
	_, err = w.as("stranger").Artifact(ctx, core.Ref{Entity: "a b", Project: "p", Name: "n"})
	if !isInvalid(err) {
		t.Errorf("Artifact with a bad entity: %v, want invalid", err)
	}
}

func isInvalid(err error) bool { return core.KindOf(err) == core.ErrInvalid }

// TestProjectsListsReadable: Projects leaves out what the caller may not read.
func TestProjectsListsReadable(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	for _, c := range []struct {
		user, entity string
		want         []string
	}{
		{"owner", "owner", []string{"priv", "pub"}},
		{"stranger", "owner", []string{"pub"}},
		{"tviewer", "owner", []string{"pub"}},
		{"admin", "owner", []string{"priv", "pub"}},
		{"tviewer", "team", []string{"priv"}},
		{"stranger", "team", []string{}},
		{"stranger", "nobody", []string{}},
	} {
		got, err := w.as(c.user).Projects(ctx, c.entity)
		if err != nil || !slices.Equal(got, c.want) {
			t.Errorf("%s lists %s's projects: %q, %v; want %q", c.user, c.entity, got, err, c.want)
		}
	}
}

// TestLineageHidesPrivateProjects: a graph that crosses into another user's
// private project shows only what the caller may read, in the lineage and
// in the run and version listings.
func TestLineageHidesPrivateProjects(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	pub := w.seeds["owner/pub"]

	// The stranger trains on the owner's public data in a private project.
	api := w.as("stranger")
	train := startRun(t, api, "stranger", "secret", "train")
	use(t, api, train.ID, pub.data.Ref())
	secret := logFiles(t, api, train.ID, "stranger", "secret", "model", map[string]string{"w": "secret weights"})

	// The owner logs into its public project from a run in its private one.
	ownerAPI := w.as("owner")
	hiddenRun := startRun(t, ownerAPI, "owner", "priv", "publisher")
	published := logFiles(t, ownerAPI, hiddenRun.ID, "owner", "pub", "report", map[string]string{"r": "report"})

	data := pub.data.Ref()
	full, err := w.as("admin").Lineage(ctx, service.LineageRequest{Version: &data})
	if err != nil {
		t.Fatal(err)
	}
	trainNode, secretNode := core.RunNodeID(train.ID), core.ArtifactNodeID(secret)
	if !slices.Contains(nodeIDs(full), trainNode) || !slices.Contains(nodeIDs(full), secretNode) {
		t.Fatalf("admin's lineage lacks the stranger's nodes: %v", nodeIDs(full))
	}
	for _, user := range []string{"owner", "tviewer"} {
		g, err := w.as(user).Lineage(ctx, service.LineageRequest{Version: &data})
		if err != nil {
			t.Fatal(err)
		}
		want := slices.DeleteFunc(nodeIDs(full), func(id string) bool { return id == trainNode || id == secretNode })
		if got := nodeIDs(g); !slices.Equal(got, want) {
			t.Errorf("%s sees nodes %v, want %v", user, got, want)
		}
		for _, e := range g.Edges {
			if e.From == trainNode || e.To == trainNode || e.From == secretNode || e.To == secretNode {
				t.Errorf("%s sees edge %v into the private project", user, e)
			}
		}
		if len(g.Edges) != len(full.Edges)-2 {
			t.Errorf("%s sees %d edges, want %d", user, len(g.Edges), len(full.Edges)-2)
		}
		runs, err := w.as(user).UsedBy(ctx, data)
		if err != nil || slices.Contains(runIDs(runs), train.ID) || len(runs) != 1 {
			t.Errorf("%s: UsedBy = %v, %v; want only the consumer", user, runIDs(runs), err)
		}
	}
	// The stranger sees its own project and the public one.
	g, err := api.Lineage(ctx, service.LineageRequest{RunID: train.ID})
	if err != nil || !slices.Contains(nodeIDs(g), core.ArtifactNodeID(pub.data)) || !slices.Contains(nodeIDs(g), secretNode) {
		t.Errorf("stranger's own lineage: %v, %v", nodeIDs(g), err)
	}
	in, err := api.RunInputs(ctx, train.ID)
	if err != nil || len(in) != 1 {
		t.Errorf("stranger's run inputs: %v, %v", names(in), err)
	}
	// A run in a private project that logged into a public one is hidden
	// from strangers, who still see the version.
	rep := published.Ref()
	if run, err := api.LoggedBy(ctx, rep); err != nil || run != nil {
		t.Errorf("stranger: LoggedBy(report) = %v, %v; want nil", run, err)
	}
	if run, err := ownerAPI.LoggedBy(ctx, rep); err != nil || run == nil || run.ID != hiddenRun.ID {
		t.Errorf("owner: LoggedBy(report) = %v, %v; want %s", run, err, hiddenRun.ID)
	}
	g, err = api.Lineage(ctx, service.LineageRequest{Version: &rep})
	if err != nil || !slices.Equal(nodeIDs(g), []string{core.ArtifactNodeID(published)}) || len(g.Edges) != 0 {
		t.Errorf("stranger: lineage of the report = %v %v, %v", nodeIDs(g), g.Edges, err)
	}
	if _, err := api.RunOutputs(ctx, hiddenRun.ID); kindOf(err) != core.ErrNotFound {
		t.Errorf("stranger: RunOutputs of a hidden run: %v", err)
	}
}

// TestGetBlob: a blob is readable when it belongs to a committed version in
// a readable project, or to its uploader.
func TestGetBlob(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	priv, pub := w.seeds["owner/priv"], w.seeds["owner/pub"]
	stranger := w.as("stranger")

	wantKind(t, "stranger reads a private blob", readAll(stranger, priv.blob), core.ErrNotFound)
	wantKind(t, "stranger reads a public blob", readAll(stranger, pub.blob), nil)

	// Content in both a private and a public project is readable by all.
	ownerAPI := w.as("owner")
	shared := map[string]string{"shared.txt": "shared content"}
	logFiles(t, ownerAPI, "", "owner", "priv", "shared", shared)
	d := core.DigestOf([]byte("shared content"))
	wantKind(t, "stranger reads a blob only in a private project", readAll(stranger, d), core.ErrNotFound)
	logFiles(t, ownerAPI, "", "owner", "pub", "shared", shared)
	wantKind(t, "stranger reads a blob also in a public project", readAll(stranger, d), nil)

	// An uploaded blob belongs to no project until a version commits it:
	// only its uploader, who proved to have the bytes, and site admins may
	// read it.
	loose := files(t, stranger, map[string]string{"x": "loose"}).Entries()[0].Digest
	wantKind(t, "uploader reads its uncommitted blob", readAll(stranger, loose), nil)
	wantKind(t, "admin reads an uncommitted blob", readAll(w.as("admin"), loose), nil)
	if err := authz.CanReadBlob(ctx, w.st, w.p["owner"], loose); kindOf(err) != core.ErrNotFound {
		t.Errorf("CanReadBlob(uncommitted, another user): %v", err)
	}
	// Any authenticated caller may ask which blobs are missing; a stored
	// blob it may not read is missing to it, as if absent.
	absent := core.DigestOf([]byte("absent"))
	missing, err := stranger.MissingBlobs(ctx, []core.Digest{priv.blob, absent, priv.blob})
	if err != nil || !slices.Equal(missing, []core.Digest{priv.blob, absent}) {
		t.Errorf("stranger: MissingBlobs = %v, %v; want the private blob and the absent one", missing, err)
	}
	missing, err = ownerAPI.MissingBlobs(ctx, []core.Digest{priv.blob, absent})
	if err != nil || !slices.Equal(missing, []core.Digest{absent}) {
		t.Errorf("owner: MissingBlobs = %v, %v; want the absent blob only", missing, err)
	}
}

// TestProjectAccess checks the access function itself on every relation.
func TestProjectAccess(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	for _, c := range []struct {
		user, entity, project string
		want                  authz.Access
	}{
		{"owner", "owner", "priv", authz.Admin},
		{"owner", "owner", "not-yet", authz.Admin},
		{"tadmin", "team", "priv", authz.Admin},
		{"tmember", "team", "priv", authz.Write},
		{"tviewer", "team", "priv", authz.Read},
		{"tviewer", "team", "not-yet", authz.Read},
		{"stranger", "team", "priv", authz.NoAccess},
		{"stranger", "owner", "priv", authz.NoAccess},
		{"stranger", "owner", "pub", authz.Read},
		{"stranger", "owner", "not-yet", authz.NoAccess},
		{"admin", "owner", "priv", authz.Admin},
		{"admin", "nobody", "x", authz.Admin},
		{"owner", "nobody", "x", authz.NoAccess},
	} {
		got, err := authz.ProjectAccess(ctx, w.st, w.p[c.user], c.entity, c.project)
		if err != nil || got != c.want {
			t.Errorf("ProjectAccess(%s, %s/%s) = %v, %v; want %v", c.user, c.entity, c.project, got, err, c.want)
		}
	}
	// Access follows membership changes at once: nothing is cached.
	if err := w.acc.RemoveMember(ctx, w.p["tadmin"], "team", "tviewer"); err != nil {
		t.Fatal(err)
	}
	_, err := w.as("tviewer").Artifact(ctx, w.seeds["team/priv"].data.Ref())
	wantKind(t, "former viewer reads", err, core.ErrNotFound)
	if err := w.acc.SetProjectPublic(ctx, w.p["owner"], "owner", "pub", false); err != nil {
		t.Fatal(err)
	}
	_, err = w.as("stranger").Artifact(ctx, w.seeds["owner/pub"].data.Ref())
	wantKind(t, "stranger reads a project made private", err, core.ErrNotFound)
}

var _ authz.Store = (*meta.Store)(nil)
