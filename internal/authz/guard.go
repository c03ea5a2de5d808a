package authz

import (
	"context"
	"io"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Guard returns api restricted to what p may do: every call checks p's
// access to the projects it names (runs are checked through their project)
// and fails with core.ErrNotFound where p may not read, core.ErrPermission
// where p may read but not write. Listings and lineage graphs leave out
// what p may not read.
//
// The guard holds no state between calls: make one per request or keep one,
// either way every call asks the store afresh.
//
// api is meant to be a *service.Service: the guard uses its optional
// abilities (service.LogChecker, service.Holder, service.UploadProver,
// service.NewBlobIngester) so that no answer depends on content p may not
// read (possession.go). Over an API without them the guard still never
// lets p name a blob it has not proved to have, but answers such requests
// itself, after less work and without checking the rest of the request.
func Guard(api service.API, st Store, p Principal) service.API {
	return &guard{api: api, st: st, p: p}
}

// guard is the service.API Guard returns.
type guard struct {
	api service.API
	st  Store
	p   Principal
}

var _ service.API = (*guard)(nil)

func (g *guard) checker() *checker { return newChecker(g.st, g.p) }

// The not-found errors below repeat, word for word, what the service says
// when the thing is missing, so that "exists but hidden" and "does not
// exist" cannot be told apart.

func versionNotFound(r core.Ref) func() error {
	return func() error {
		if r.Selector == "" {
			r.Selector = core.LatestAlias
		}
		return core.Errorf(core.ErrNotFound, "artifact version %s not found", r)
	}
}

func collectionNotFound(r core.Ref) func() error {
	return func() error {
		return core.Errorf(core.ErrNotFound, "artifact %s/%s/%s not found", r.Entity, r.Project, r.Name)
	}
}

func runNotFound(id string) func() error {
	return func() error { return core.Errorf(core.ErrNotFound, "run %q not found", id) }
}

// projectNotFound is for calls on a whole project, which the service
// answers for a missing project with an empty list or by creating it: a
// caller that may not read the project learns only that it is not there
// for them, as it is for every project name of an entity they cannot see.
func projectNotFound(entity, project string) func() error {
	return func() error { return core.Errorf(core.ErrNotFound, "project %s/%s not found", entity, project) }
}

// checkProject validates the names the access check looks up, so that bad
// input is reported as such rather than as an invisible project.
func checkProject(entity, project string) error {
	if err := core.ValidateEntity(entity); err != nil {
		return err
	}
	return core.ValidateProject(project)
}

// needRef checks want on the project of a fully qualified reference.
func (g *guard) needRef(ctx context.Context, c *checker, r core.Ref, want Access, notFound func() error) error {
	if err := checkProject(r.Entity, r.Project); err != nil {
		return err
	}
	return c.need(ctx, r.Entity, r.Project, want, notFound)
}

// needRun finds a run by id and checks want on its project.
func (g *guard) needRun(ctx context.Context, c *checker, runID string, want Access) (core.Run, error) {
	// No entity or project: GetRun looks up ids only, never display names.
	run, err := g.api.GetRun(ctx, "", "", runID)
	if err != nil {
		return core.Run{}, err
	}
	if err := c.need(ctx, run.Entity, run.Project, want, runNotFound(runID)); err != nil {
		return core.Run{}, err
	}
	return run, nil
}

// readable reports whether p may read entity/project.
func (c *checker) readable(ctx context.Context, entity, project string) (bool, error) {
	a, err := c.project(ctx, entity, project)
	return a >= Read, err
}

// filterRuns keeps the runs of projects p may read.
func filterRuns(ctx context.Context, c *checker, runs []core.Run) ([]core.Run, error) {
	out := runs[:0:0]
	for _, r := range runs {
		ok, err := c.readable(ctx, r.Entity, r.Project)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, r)
		}
	}
	return out, nil
}

// filterVersions keeps the versions of projects p may read.
func filterVersions(ctx context.Context, c *checker, vs []core.Version) ([]core.Version, error) {
	out := vs[:0:0]
	for _, v := range vs {
		ok, err := c.readable(ctx, v.Entity, v.Project)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, v)
		}
	}
	return out, nil
}

// CreateRun implements service.API: Write on the run's project.
func (g *guard) CreateRun(ctx context.Context, r service.NewRun) (core.Run, error) {
	if err := checkProject(r.Entity, r.Project); err != nil {
		return core.Run{}, err
	}
	if r.Entity == core.RegistryEntity {
		return g.api.CreateRun(ctx, r) // refused by the service, with the reason
	}
	if err := g.checker().need(ctx, r.Entity, r.Project, Write, projectNotFound(r.Entity, r.Project)); err != nil {
		return core.Run{}, err
	}
	return g.api.CreateRun(ctx, r)
}

// GetRun implements service.API: Read on the run's project.
func (g *guard) GetRun(ctx context.Context, entity, project, idOrName string) (core.Run, error) {
	run, err := g.api.GetRun(ctx, entity, project, idOrName)
	if err != nil {
		return core.Run{}, err
	}
	notFound := runNotFound(idOrName)
	if entity != "" && project != "" {
		notFound = func() error {
			return core.Errorf(core.ErrNotFound, "run %q not found in %s/%s", idOrName, entity, project)
		}
	}
	if err := g.checker().need(ctx, run.Entity, run.Project, Read, notFound); err != nil {
		return core.Run{}, err
	}
	return run, nil
}

// ListRuns implements service.API: Read on the project.
func (g *guard) ListRuns(ctx context.Context, entity, project string) ([]core.Run, error) {
	if err := checkProject(entity, project); err != nil {
		return nil, err
	}
	if err := g.checker().need(ctx, entity, project, Read, projectNotFound(entity, project)); err != nil {
		return nil, err
	}
	return g.api.ListRuns(ctx, entity, project)
}

// FinishRun implements service.API: Write on the run's project.
func (g *guard) FinishRun(ctx context.Context, runID string, state core.RunState) (core.Run, error) {
	if _, err := g.needRun(ctx, g.checker(), runID, Write); err != nil {
		return core.Run{}, err
	}
	return g.api.FinishRun(ctx, runID, state)
}

// Heartbeat implements service.API: Write on the run's project.
func (g *guard) Heartbeat(ctx context.Context, runID string) error {
	if _, err := g.needRun(ctx, g.checker(), runID, Write); err != nil {
		return err
	}
	return g.api.Heartbeat(ctx, runID)
}

// MissingBlobs and PutBlob are in possession.go.

// GetBlob implements service.API: the blob must belong to a version p may
// read (CanReadBlob).
func (g *guard) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	if err := CanReadBlob(ctx, g.st, g.p, d); err != nil {
		return nil, err
	}
	return g.api.GetBlob(ctx, d)
}

// LogArtifact implements service.API: Write on the artifact's project, and
// on the logging run's project too, since the version becomes part of that
// run's lineage. The whole request is checked next (service.LogChecker),
// then stored blobs of the manifest that p has not shown to have are
// reported missing, as blobs nobody stores are (see Proof of possession in
// possession.go). Content that dedups to a version of the collection is
// never held back: p may write there, so it may read that version's blobs
// already.
func (g *guard) LogArtifact(ctx context.Context, req service.LogRequest) (service.LogResult, error) {
	if err := checkProject(req.Entity, req.Project); err != nil {
		return service.LogResult{}, err
	}
	if req.Entity == core.RegistryEntity {
		return g.api.LogArtifact(ctx, req) // refused by the service, with the reason
	}
	c := g.checker()
	if err := c.need(ctx, req.Entity, req.Project, Write, projectNotFound(req.Entity, req.Project)); err != nil {
		return service.LogResult{}, err
	}
	if req.RunID != "" {
		if _, err := g.needRun(ctx, c, req.RunID, Write); err != nil {
			return service.LogResult{}, err
		}
	}
	if lc, ok := g.api.(service.LogChecker); ok {
		if err := lc.CheckLog(ctx, req); err != nil {
			return service.LogResult{}, err
		}
	}
	held, err := g.held(ctx, req.Manifest.Blobs())
	if err != nil {
		return service.LogResult{}, err
	}
	if h, ok := g.api.(service.Holder); ok {
		return h.LogArtifactHolding(ctx, req, held)
	}
	if len(held) > 0 {
		return g.heldBack(ctx, req.Manifest, held)
	}
	return g.api.LogArtifact(ctx, req)
}

// UseArtifact implements service.API: Write on the run's project and Read
// on the artifact's.
func (g *guard) UseArtifact(ctx context.Context, runID string, ref core.Ref) (core.Version, error) {
	c := g.checker()
	if _, err := g.needRun(ctx, c, runID, Write); err != nil {
		return core.Version{}, err
	}
	if err := g.needRef(ctx, c, ref, Read, versionNotFound(ref)); err != nil {
		return core.Version{}, err
	}
	return g.api.UseArtifact(ctx, runID, ref)
}

// Artifact implements service.API: Read.
func (g *guard) Artifact(ctx context.Context, ref core.Ref) (core.Version, error) {
	if err := g.needRef(ctx, g.checker(), ref, Read, versionNotFound(ref)); err != nil {
		return core.Version{}, err
	}
	return g.api.Artifact(ctx, ref)
}

// ArtifactVersions implements service.API: Read.
func (g *guard) ArtifactVersions(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	if err := g.needRef(ctx, g.checker(), ref, Read, collectionNotFound(ref)); err != nil {
		return nil, err
	}
	return g.api.ArtifactVersions(ctx, ref)
}

// Collections implements service.API: Read on the project.
func (g *guard) Collections(ctx context.Context, entity, project, typ string) ([]core.Collection, error) {
	if err := checkProject(entity, project); err != nil {
		return nil, err
	}
	if err := g.checker().need(ctx, entity, project, Read, projectNotFound(entity, project)); err != nil {
		return nil, err
	}
	return g.api.Collections(ctx, entity, project, typ)
}

// Projects implements service.API, listing only the projects p may read.
func (g *guard) Projects(ctx context.Context, entity string) ([]string, error) {
	names, err := g.api.Projects(ctx, entity)
	if err != nil {
		return nil, err
	}
	c := g.checker()
	out := []string{}
	for _, n := range names {
		ok, err := c.readable(ctx, entity, n)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, n)
		}
	}
	return out, nil
}

// Manifest implements service.API: Read.
func (g *guard) Manifest(ctx context.Context, ref core.Ref) (core.Manifest, error) {
	if err := g.needRef(ctx, g.checker(), ref, Read, versionNotFound(ref)); err != nil {
		return core.Manifest{}, err
	}
	return g.api.Manifest(ctx, ref)
}

// Entry implements service.API: Read.
func (g *guard) Entry(ctx context.Context, ref core.Ref, path string) (core.Entry, error) {
	if err := g.needRef(ctx, g.checker(), ref, Read, versionNotFound(ref)); err != nil {
		return core.Entry{}, err
	}
	return g.api.Entry(ctx, ref, path)
}

// UpdateArtifact implements service.API: Write, for aliases as for the
// description and metadata.
func (g *guard) UpdateArtifact(ctx context.Context, ref core.Ref, u service.Update) (core.Version, error) {
	if ref.Entity == core.RegistryEntity {
		return g.updateRegistryVersion(ctx, ref, u)
	}
	if err := g.needRef(ctx, g.checker(), ref, Write, versionNotFound(ref)); err != nil {
		return core.Version{}, err
	}
	return g.api.UpdateArtifact(ctx, ref, u)
}

// DeleteArtifact implements service.API: Write.
func (g *guard) DeleteArtifact(ctx context.Context, ref core.Ref, deleteAliases bool) error {
	if ref.Entity == core.RegistryEntity {
		return g.deleteRegistryVersion(ctx, ref, deleteAliases)
	}
	if err := g.needRef(ctx, g.checker(), ref, Write, versionNotFound(ref)); err != nil {
		return err
	}
	return g.api.DeleteArtifact(ctx, ref, deleteAliases)
}

// LoggedBy implements service.API: Read on the version; a logging run in a
// project p may not read is reported as no run.
func (g *guard) LoggedBy(ctx context.Context, ref core.Ref) (*core.Run, error) {
	c := g.checker()
	if err := g.needRef(ctx, c, ref, Read, versionNotFound(ref)); err != nil {
		return nil, err
	}
	run, err := g.api.LoggedBy(ctx, ref)
	if err != nil || run == nil {
		return run, err
	}
	if ok, err := c.readable(ctx, run.Entity, run.Project); err != nil || !ok {
		return nil, err
	}
	return run, nil
}

// UsedBy implements service.API: Read on the version; runs in projects p
// may not read are left out.
func (g *guard) UsedBy(ctx context.Context, ref core.Ref) ([]core.Run, error) {
	c := g.checker()
	if err := g.needRef(ctx, c, ref, Read, versionNotFound(ref)); err != nil {
		return nil, err
	}
	runs, err := g.api.UsedBy(ctx, ref)
	if err != nil {
		return nil, err
	}
	return filterRuns(ctx, c, runs)
}

// RunOutputs implements service.API: Read on the run's project; versions in
// projects p may not read are left out.
func (g *guard) RunOutputs(ctx context.Context, runID string) ([]core.Version, error) {
	c := g.checker()
	if _, err := g.needRun(ctx, c, runID, Read); err != nil {
		return nil, err
	}
	vs, err := g.api.RunOutputs(ctx, runID)
	if err != nil {
		return nil, err
	}
	return filterVersions(ctx, c, vs)
}

// RunInputs implements service.API: Read on the run's project; versions in
// projects p may not read are left out.
func (g *guard) RunInputs(ctx context.Context, runID string) ([]core.Version, error) {
	c := g.checker()
	if _, err := g.needRun(ctx, c, runID, Read); err != nil {
		return nil, err
	}
	vs, err := g.api.RunInputs(ctx, runID)
	if err != nil {
		return nil, err
	}
	return filterVersions(ctx, c, vs)
}

// Lineage implements service.API: Read on the start; nodes in projects p
// may not read are left out with their edges. Readable nodes reached only
// through hidden ones stay, unconnected: p may see them, and the graph does
// not say what lies between.
func (g *guard) Lineage(ctx context.Context, q service.LineageRequest) (core.Graph, error) {
	c := g.checker()
	if q.Version != nil {
		if err := g.needRef(ctx, c, *q.Version, Read, versionNotFound(*q.Version)); err != nil {
			return core.Graph{}, err
		}
	}
	if q.RunID != "" {
		if _, err := g.needRun(ctx, c, q.RunID, Read); err != nil {
			return core.Graph{}, err
		}
	}
	graph, err := g.api.Lineage(ctx, q)
	if err != nil {
		return core.Graph{}, err
	}
	return filterGraph(ctx, c, graph)
}

// filterGraph drops the nodes p may not read and every edge touching one.
func filterGraph(ctx context.Context, c *checker, graph core.Graph) (core.Graph, error) {
	kept := make(map[string]bool, len(graph.Nodes))
	nodes := graph.Nodes[:0:0]
	for _, n := range graph.Nodes {
		ok, err := c.readable(ctx, n.Entity, n.Project)
		if err != nil {
			return core.Graph{}, err
		}
		if ok {
			kept[n.ID] = true
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == len(graph.Nodes) {
		return graph, nil
	}
	edges := make([]core.Edge, 0, len(graph.Edges))
	for _, e := range graph.Edges {
		if kept[e.From] && kept[e.To] {
			edges = append(edges, e)
		}
	}
	out := core.Graph{Nodes: nodes, Edges: edges}
	// The order of a subgraph is its own: re-sort so ties break as Sort
	// documents.
	out.Sort()
	return out, nil
}

// Diff implements service.API: Read on both versions.
func (g *guard) Diff(ctx context.Context, from, to core.Ref) (core.Diff, error) {
	c := g.checker()
	for _, r := range []core.Ref{from, to} {
		if err := g.needRef(ctx, c, r, Read, versionNotFound(r)); err != nil {
			return core.Diff{}, err
		}
	}
	return g.api.Diff(ctx, from, to)
}

// TypeGraph implements service.API: Read on the project. Unlike Lineage it
// filters nothing: an edge of the project's run to a version of a project p
// may not read still shows that version's type, a type name only (never the
// artifact's name, version or content), as part of what the project's own
// runs did.
func (g *guard) TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error) {
	if err := checkProject(entity, project); err != nil {
		return core.TypeGraph{}, err
	}
	if err := g.checker().need(ctx, entity, project, Read, projectNotFound(entity, project)); err != nil {
		return core.TypeGraph{}, err
	}
	return g.api.TypeGraph(ctx, entity, project)
}
