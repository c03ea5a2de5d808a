package server

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// Path prefixes. Every name a user chooses (entity, project, artifact, run)
// sits between fixed segments, so no user name can collide with a route: a
// project called "runs" is /api/v1/projects/alice/runs/runs.
const (
	apiPrefix = "/api/v1"
	projectP  = apiPrefix + "/projects/{entity}/{project}"
	versionsP = projectP + "/artifacts/{name}/versions"
	versionP  = versionsP + "/{version}"
	runP      = apiPrefix + "/runs/{id}"
	blobP     = apiPrefix + "/blobs/{digest}"
	userP     = apiPrefix + "/users/{user}"
	teamP     = apiPrefix + "/teams/{team}"
)

// routes lists every API endpoint. The OpenAPI document describes exactly
// these (a test checks it).
func (s *Server) routes() []route {
	return []route{
		{method: "GET", path: apiPrefix + "/openapi.json", public: true, fn: s.openAPI},

		{method: "POST", path: projectP + "/runs", fn: s.createRun},
		{method: "GET", path: projectP + "/runs", fn: s.listRuns},
		{method: "GET", path: projectP + "/runs/{run}", fn: s.getRun},
		{method: "GET", path: runP, fn: s.getRunByID},
		{method: "POST", path: runP + "/finish", fn: s.finishRun},
		{method: "POST", path: runP + "/heartbeat", fn: s.heartbeat},
		{method: "POST", path: runP + "/inputs", fn: s.useArtifact},
		{method: "GET", path: runP + "/inputs", fn: s.runInputs},
		{method: "GET", path: runP + "/outputs", fn: s.runOutputs},
		{method: "GET", path: runP + "/lineage", fn: s.runLineage},

		{method: "GET", path: apiPrefix + "/entities/{entity}/projects", fn: s.projects},
		{method: "GET", path: apiPrefix + "/projects", fn: s.listProjects},
		{method: "GET", path: apiPrefix + "/search", fn: s.search},
		{method: "GET", path: projectP + "/types", fn: s.typeGraph},
		{method: "GET", path: projectP + "/artifacts", fn: s.collections},
		{method: "GET", path: versionsP, fn: s.versions},
		{method: "POST", path: versionsP, fn: s.logArtifact},
		{method: "GET", path: versionP, fn: s.artifact},
		{method: "PATCH", path: versionP, fn: s.updateArtifact},
		{method: "DELETE", path: versionP, fn: s.deleteArtifact},
		{method: "GET", path: versionP + "/manifest", fn: s.manifest},
		{method: "GET", path: versionP + "/entry", fn: s.entry},
		{method: "GET", path: versionP + "/logged-by", fn: s.loggedBy},
		{method: "GET", path: versionP + "/used-by", fn: s.usedBy},
		{method: "GET", path: versionP + "/lineage", fn: s.versionLineage},
		{method: "GET", path: versionP + "/diff", fn: s.diff},

		{method: "POST", path: apiPrefix + "/blobs/missing", fn: s.missingBlobs},
		{method: "POST", path: apiPrefix + "/blobs", blob: true, fn: s.ingestBlob},
		{method: "PUT", path: blobP, blob: true, fn: s.putBlob},
		{method: "GET", path: blobP, blob: true, fn: s.getBlob},
		{method: "POST", path: blobP + "/upload", fn: s.uploadTarget},

		{method: "GET", path: apiPrefix + "/whoami", fn: s.whoAmI},
		{method: "POST", path: apiPrefix + "/session", public: true, fn: s.startSession},
		{method: "GET", path: apiPrefix + "/session", fn: s.getSession},
		{method: "DELETE", path: apiPrefix + "/session", public: true, fn: s.endSession},
		{method: "POST", path: apiPrefix + "/users", fn: s.createUser},
		{method: "GET", path: apiPrefix + "/users", fn: s.listUsers},
		{method: "POST", path: userP + "/keys", fn: s.createKey},
		{method: "GET", path: userP + "/keys", fn: s.listKeys},
		{method: "DELETE", path: userP + "/keys/{id}", fn: s.revokeKey},
		{method: "POST", path: apiPrefix + "/teams", fn: s.createTeam},
		{method: "GET", path: teamP + "/members", fn: s.members},
		{method: "PUT", path: teamP + "/members/{user}", fn: s.setMember},
		{method: "DELETE", path: teamP + "/members/{user}", fn: s.removeMember},
		{method: "PUT", path: projectP + "/visibility", fn: s.setVisibility},

		{method: "GET", path: apiPrefix + "/registries", fn: s.registries},
		{method: "POST", path: apiPrefix + "/registries", fn: s.createRegistry},
		{method: "PATCH", path: registryP, fn: s.updateRegistry},
		{method: "GET", path: registryP + "/admins", fn: s.registryAdmins},
		{method: "PUT", path: registryP + "/admins/{user}", fn: s.addRegistryAdmin},
		{method: "DELETE", path: registryP + "/admins/{user}", fn: s.removeRegistryAdmin},
		{method: "POST", path: projectP + "/artifacts/{name}/links", fn: s.linkArtifact},
		{method: "GET", path: versionP + "/links", fn: s.links},
		{method: "POST", path: apiPrefix + "/admin/verify", fn: s.verify},
		{method: "PUT", path: pendingP, fn: s.upsertArtifact},
		{method: "POST", path: pendingP + "/finish", fn: s.finishArtifact},
		{method: "GET", path: projectP + "/pending", fn: s.pendingArtifacts},
		{method: "GET", path: pendingP, fn: s.pendingArtifact},
		{method: "DELETE", path: pendingP, fn: s.abandonArtifact},
		{method: "POST", path: apiPrefix + "/admin/gc", fn: s.collectGarbage},
		{method: "GET", path: versionP + "/file", blob: true, fn: s.downloadFile},
		{method: "GET", path: versionP + "/archive", blob: true, fn: s.downloadArchive},
	}
}

// logBody is a LogRequest whose manifest entries are decoded strictly too
// (core.Manifest's own decoder tolerates unknown fields). The client sends
// a service.LogRequest, so this type is the server's alone.
type logBody struct {
	service.LogRequest
	Manifest []core.Entry `json:"manifest"`
}

func (s *Server) decode(r *http.Request, v any) error {
	return decodeJSON(r.Body, s.maxJSON, v)
}

// versionRef is the version a route under versionP names.
func versionRef(r *http.Request) core.Ref {
	return core.Ref{Entity: r.PathValue("entity"), Project: r.PathValue("project"), Name: r.PathValue("name"), Selector: r.PathValue("version")}
}

// sameOrFill checks that a body field repeating a path parameter agrees with
// it, and fills it when the body left it out.
func sameOrFill(what string, body *string, path string) error {
	switch *body {
	case "":
		*body = path
	case path:
	default:
		return core.Errorf(core.ErrInvalid, "%s %q in the body differs from %q in the URL", what, *body, path)
	}
	return nil
}

func (s *Server) createRun(r *http.Request, c *caller) (any, error) {
	var nr service.NewRun
	if err := s.decode(r, &nr); err != nil {
		return nil, err
	}
	if err := sameOrFill("entity", &nr.Entity, r.PathValue("entity")); err != nil {
		return nil, err
	}
	if err := sameOrFill("project", &nr.Project, r.PathValue("project")); err != nil {
		return nil, err
	}
	run, err := c.api.CreateRun(r.Context(), nr)
	if err != nil {
		return nil, err
	}
	return created{run}, nil
}

// listRuns lists a project's runs, selected and ordered by the query
// parameters of ParseRunQuery: here, after the access check of ListRuns, so
// that only the runs asked for travel.
func (s *Server) listRuns(r *http.Request, c *caller) (any, error) {
	q, err := ParseRunQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	runs, err := c.api.ListRuns(r.Context(), r.PathValue("entity"), r.PathValue("project"))
	if err != nil {
		return nil, err
	}
	return nonNil(q.Apply(runs)), nil
}

func (s *Server) getRun(r *http.Request, c *caller) (any, error) {
	return c.api.GetRun(r.Context(), r.PathValue("entity"), r.PathValue("project"), r.PathValue("run"))
}

// getRunByID finds a run by id alone, in whatever project it is.
func (s *Server) getRunByID(r *http.Request, c *caller) (any, error) {
	return c.api.GetRun(r.Context(), "", "", r.PathValue("id"))
}

func (s *Server) finishRun(r *http.Request, c *caller) (any, error) {
	var req wire.FinishRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	return c.api.FinishRun(r.Context(), r.PathValue("id"), req.State)
}

func (s *Server) heartbeat(r *http.Request, c *caller) (any, error) {
	if err := c.api.Heartbeat(r.Context(), r.PathValue("id")); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) useArtifact(r *http.Request, c *caller) (any, error) {
	var req wire.UseRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	return c.api.UseArtifact(r.Context(), r.PathValue("id"), req.Ref)
}

func (s *Server) runInputs(r *http.Request, c *caller) (any, error) {
	vs, err := c.api.RunInputs(r.Context(), r.PathValue("id"))
	return nonNil(vs), err
}

func (s *Server) runOutputs(r *http.Request, c *caller) (any, error) {
	vs, err := c.api.RunOutputs(r.Context(), r.PathValue("id"))
	return nonNil(vs), err
}

func (s *Server) runLineage(r *http.Request, c *caller) (any, error) {
	q, err := lineageQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	q.RunID = r.PathValue("id")
	return c.api.Lineage(r.Context(), q)
}

func (s *Server) projects(r *http.Request, c *caller) (any, error) {
	ps, err := c.api.Projects(r.Context(), r.PathValue("entity"))
	return nonNil(ps), err
}

func (s *Server) typeGraph(r *http.Request, c *caller) (any, error) {
	g, err := c.api.TypeGraph(r.Context(), r.PathValue("entity"), r.PathValue("project"))
	if err != nil {
		return nil, err
	}
	g.Nodes, g.Edges = nonNil(g.Nodes), nonNil(g.Edges)
	return g, nil
}

func (s *Server) collections(r *http.Request, c *caller) (any, error) {
	cs, err := c.api.Collections(r.Context(), r.PathValue("entity"), r.PathValue("project"), r.URL.Query().Get("type"))
	return nonNil(cs), err
}

func (s *Server) versions(r *http.Request, c *caller) (any, error) {
	ref := core.Ref{Entity: r.PathValue("entity"), Project: r.PathValue("project"), Name: r.PathValue("name")}
	vs, err := c.api.ArtifactVersions(r.Context(), ref)
	return nonNil(vs), err
}

func (s *Server) logArtifact(r *http.Request, c *caller) (any, error) {
	var body logBody
	if err := s.decode(r, &body); err != nil {
		return nil, err
	}
	req := body.LogRequest
	for _, f := range []struct {
		what string
		body *string
		path string
	}{
		{"entity", &req.Entity, r.PathValue("entity")},
		{"project", &req.Project, r.PathValue("project")},
		{"name", &req.Name, r.PathValue("name")},
	} {
		if err := sameOrFill(f.what, f.body, f.path); err != nil {
			return nil, err
		}
	}
	m, err := core.NewManifest(body.Manifest)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "manifest: %w", err)
	}
	req.Manifest = m
	return c.api.LogArtifact(r.Context(), req)
}

func (s *Server) artifact(r *http.Request, c *caller) (any, error) {
	return c.api.Artifact(r.Context(), versionRef(r))
}

func (s *Server) updateArtifact(r *http.Request, c *caller) (any, error) {
	var u service.Update
	if err := s.decode(r, &u); err != nil {
		return nil, err
	}
	return c.api.UpdateArtifact(r.Context(), versionRef(r), u)
}

func (s *Server) deleteArtifact(r *http.Request, c *caller) (any, error) {
	deleteAliases, err := boolParam(r.URL.Query(), "delete_aliases")
	if err != nil {
		return nil, err
	}
	if err := c.api.DeleteArtifact(r.Context(), versionRef(r), deleteAliases); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

func (s *Server) manifest(r *http.Request, c *caller) (any, error) {
	return c.api.Manifest(r.Context(), versionRef(r))
}

func (s *Server) entry(r *http.Request, c *caller) (any, error) {
	q := r.URL.Query()
	if !q.Has("path") {
		return nil, core.Errorf(core.ErrInvalid, "query parameter path is required")
	}
	return c.api.Entry(r.Context(), versionRef(r), q.Get("path"))
}

// loggedByAnswer is the run that first logged a version (its fields, as
// before) plus every run that logged the same version, first logger
// first: a version re-logged by other runs (same content) has several.
type loggedByAnswer struct {
	*core.Run
	Producers []core.Run `json:"producers"`
}

func (s *Server) loggedBy(r *http.Request, c *caller) (any, error) {
	ref := versionRef(r)
	run, err := c.api.LoggedBy(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	if run == nil {
		return run, nil // null when no run logged it
	}
	// The producers are the runs one edge upstream of the version in its
	// lineage, which the API already filters to what the caller may read.
	g, err := c.api.Lineage(r.Context(), service.LineageRequest{Version: &ref, Direction: core.Upstream, Depth: 1})
	if err != nil {
		return nil, err
	}
	producers := []core.Run{*run}
	for _, n := range g.Nodes {
		if n.Kind != core.KindRun || n.Depth != 1 || n.RunID == run.ID {
			continue
		}
		p, err := c.api.GetRun(r.Context(), "", "", n.RunID)
		if err != nil {
			return nil, err
		}
		producers = append(producers, p)
	}
	return loggedByAnswer{Run: run, Producers: producers}, nil
}

func (s *Server) usedBy(r *http.Request, c *caller) (any, error) {
	runs, err := c.api.UsedBy(r.Context(), versionRef(r))
	return nonNil(runs), err
}

func (s *Server) versionLineage(r *http.Request, c *caller) (any, error) {
	q, err := lineageQuery(r.URL.Query())
	if err != nil {
		return nil, err
	}
	ref := versionRef(r)
	q.Version = &ref
	return c.api.Lineage(r.Context(), q)
}

func (s *Server) diff(r *http.Request, c *caller) (any, error) {
	to, err := refParam(r.URL.Query(), "to")
	if err != nil {
		return nil, err
	}
	return c.api.Diff(r.Context(), versionRef(r), to)
}

// lineageQuery parses ?direction=…&depth=….
func lineageQuery(q url.Values) (service.LineageRequest, error) {
	var lr service.LineageRequest
	lr.Direction = core.Direction(q.Get("direction"))
	if d := q.Get("depth"); d != "" {
		n, err := strconv.Atoi(d)
		if err != nil {
			return lr, core.Errorf(core.ErrInvalid, "query parameter depth %.40q: want an integer", d)
		}
		lr.Depth = n
	}
	return lr, nil
}

// boolParam parses an optional boolean query parameter.
func boolParam(q url.Values, name string) (bool, error) {
	v := q.Get(name)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, core.Errorf(core.ErrInvalid, "query parameter %s %.40q: want true or false", name, v)
	}
	return b, nil
}

// refParam parses a required query parameter holding a fully qualified
// artifact reference, entity/project/name[:version].
func refParam(q url.Values, name string) (core.Ref, error) {
	v := q.Get(name)
	if v == "" {
		return core.Ref{}, core.Errorf(core.ErrInvalid, "query parameter %s is required: entity/project/name[:version]", name)
	}
	ref, err := core.ParseRef(v)
	if err != nil {
		return core.Ref{}, err
	}
	if ref.Entity == "" {
		return core.Ref{}, core.Errorf(core.ErrInvalid, "query parameter %s %q: want entity/project/name[:version]", name, v)
	}
	return ref, nil
}

// nonNil makes empty lists encode as [] rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}
