package client

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// The service.API methods. Each maps to one route of the server's API (see
// its OpenAPI document); names chosen by users travel as escaped path
// segments between fixed ones.

func projectPath(entity, project, rest string, more ...seg) (string, error) {
	segs := append([]seg{{"entity name", entity}, {"project name", project}}, more...)
	return pathf("/api/v1/projects/%s/%s"+rest, segs...)
}

func runPath(id, rest string) (string, error) {
	return pathf("/api/v1/runs/%s"+rest, seg{"run id", id})
}

// versionPath is the URL of a version; a reference without selector names
// the latest version.
func versionPath(ref core.Ref, rest string) (string, error) {
	sel := ref.Selector
	if sel == "" {
		sel = core.LatestAlias
	}
	return projectPath(ref.Entity, ref.Project, "/artifacts/%s/versions/%s"+rest, seg{"artifact name", ref.Name}, seg{"version", sel})
}

// CreateRun implements service.API. It is retried only when the request
// never reached the server, since a second try would start a second run.
func (c *Client) CreateRun(ctx context.Context, r service.NewRun) (core.Run, error) {
	var run core.Run
	p, err := projectPath(r.Entity, r.Project, "/runs")
	if err != nil {
		return run, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: r, retry: retryUnsent, out: &run})
	return run, err
}

// GetRun implements service.API.
func (c *Client) GetRun(ctx context.Context, entity, project, idOrName string) (core.Run, error) {
	var run core.Run
	p, err := projectPath(entity, project, "/runs/%s", seg{"run", idOrName})
	if err != nil {
		return run, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &run})
	return run, err
}

// ListRuns implements service.API.
func (c *Client) ListRuns(ctx context.Context, entity, project string) ([]core.Run, error) {
	var runs []core.Run
	p, err := projectPath(entity, project, "/runs")
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &runs})
	return runs, err
}

// FinishRun implements service.API. When a retry (after a lost answer)
// finds the run already in the requested state, that is the first try's
// success.
func (c *Client) FinishRun(ctx context.Context, runID string, state core.RunState) (core.Run, error) {
	var run core.Run
	p, err := runPath(runID, "/finish")
	if err != nil {
		return run, err
	}
	var retried bool
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: wire.FinishRequest{State: state}, retry: retryIdempotent, retried: &retried, out: &run})
	if retried && errors.Is(err, core.ErrConflict) {
		if got, gerr := c.runByID(ctx, runID); gerr == nil && got.State == state {
			return got, nil
		}
	}
	return run, err
}

// runByID finds a run by id, in whatever project it is.
func (c *Client) runByID(ctx context.Context, id string) (core.Run, error) {
	var run core.Run
	p, err := runPath(id, "")
	if err != nil {
		return run, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &run})
	return run, err
}

// Heartbeat implements service.API.
func (c *Client) Heartbeat(ctx context.Context, runID string) error {
	p, err := runPath(runID, "/heartbeat")
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodPost, path: p, retry: retryIdempotent})
}

// MissingBlobs implements service.API.
func (c *Client) MissingBlobs(ctx context.Context, digests []core.Digest) ([]core.Digest, error) {
	var res wire.MissingResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/blobs/missing", body: wire.MissingRequest{Digests: digests}, retry: retryIdempotent, out: &res})
	return res.Missing, err
}

// LogArtifact implements service.API. It is retried like an idempotent
// request: logging the same content again deduplicates to the version the
// first try committed (the answer then says Created false).
func (c *Client) LogArtifact(ctx context.Context, req service.LogRequest) (service.LogResult, error) {
	var res service.LogResult
	p, err := projectPath(req.Entity, req.Project, "/artifacts/%s/versions", seg{"artifact name", req.Name})
	if err != nil {
		return res, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: req, retry: retryIdempotent, out: &res})
	return res, err
}

// UseArtifact implements service.API.
func (c *Client) UseArtifact(ctx context.Context, runID string, ref core.Ref) (core.Version, error) {
	var v core.Version
	p, err := runPath(runID, "/inputs")
	if err != nil {
		return v, err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: wire.UseRequest{Ref: ref}, retry: retryIdempotent, out: &v})
	return v, err
}

// Artifact implements service.API.
func (c *Client) Artifact(ctx context.Context, ref core.Ref) (core.Version, error) {
	var v core.Version
	err := c.getVersion(ctx, ref, "", nil, &v)
	return v, err
}

// getVersion GETs a resource of a version.
func (c *Client) getVersion(ctx context.Context, ref core.Ref, rest string, q url.Values, out any) error {
	p, err := versionPath(ref, rest)
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodGet, path: p, query: q, retry: retryIdempotent, out: out})
}

// ArtifactVersions implements service.API.
func (c *Client) ArtifactVersions(ctx context.Context, ref core.Ref) ([]core.Version, error) {
	var vs []core.Version
	p, err := projectPath(ref.Entity, ref.Project, "/artifacts/%s/versions", seg{"artifact name", ref.Name})
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &vs})
	return vs, err
}

// Collections implements service.API.
func (c *Client) Collections(ctx context.Context, entity, project, typ string) ([]core.Collection, error) {
	var cs []core.Collection
	p, err := projectPath(entity, project, "/artifacts")
	if err != nil {
		return nil, err
	}
	var q url.Values
	if typ != "" {
		q = url.Values{"type": {typ}}
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, query: q, retry: retryIdempotent, out: &cs})
	return cs, err
}

// Projects implements service.API.
func (c *Client) Projects(ctx context.Context, entity string) ([]string, error) {
	var ps []string
	p, err := pathf("/api/v1/entities/%s/projects", seg{"entity name", entity})
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &ps})
	return ps, err
}

// Manifest implements service.API.
func (c *Client) Manifest(ctx context.Context, ref core.Ref) (core.Manifest, error) {
	var m core.Manifest
	err := c.getVersion(ctx, ref, "/manifest", nil, &m)
	return m, err
}

// Entry implements service.API.
func (c *Client) Entry(ctx context.Context, ref core.Ref, path string) (core.Entry, error) {
	var e core.Entry
	err := c.getVersion(ctx, ref, "/entry", url.Values{"path": {path}}, &e)
	return e, err
}

// UpdateArtifact implements service.API. It is retried like an idempotent
// request: setting the same description, metadata and aliases twice leaves
// the same version.
func (c *Client) UpdateArtifact(ctx context.Context, ref core.Ref, u service.Update) (core.Version, error) {
	var v core.Version
	p, err := versionPath(ref, "")
	if err != nil {
		return v, err
	}
	err = c.do(ctx, call{method: http.MethodPatch, path: p, body: u, retry: retryIdempotent, out: &v})
	return v, err
}

// DeleteArtifact implements service.API. It is retried only when the
// request never reached the server: a second delete would report the
// version as not found.
func (c *Client) DeleteArtifact(ctx context.Context, ref core.Ref, deleteAliases bool) error {
	p, err := versionPath(ref, "")
	if err != nil {
		return err
	}
	var q url.Values
	if deleteAliases {
		q = url.Values{"delete_aliases": {"true"}}
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, query: q, retry: retryUnsent})
}

// LoggedBy implements service.API.
func (c *Client) LoggedBy(ctx context.Context, ref core.Ref) (*core.Run, error) {
	var run *core.Run
	err := c.getVersion(ctx, ref, "/logged-by", nil, &run)
	return run, err
}

// UsedBy implements service.API.
func (c *Client) UsedBy(ctx context.Context, ref core.Ref) ([]core.Run, error) {
	var runs []core.Run
	err := c.getVersion(ctx, ref, "/used-by", nil, &runs)
	return runs, err
}

// RunOutputs implements service.API.
func (c *Client) RunOutputs(ctx context.Context, runID string) ([]core.Version, error) {
	return c.runVersions(ctx, runID, "/outputs")
}

// RunInputs implements service.API.
func (c *Client) RunInputs(ctx context.Context, runID string) ([]core.Version, error) {
	return c.runVersions(ctx, runID, "/inputs")
}

func (c *Client) runVersions(ctx context.Context, runID, rest string) ([]core.Version, error) {
	var vs []core.Version
	p, err := runPath(runID, rest)
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &vs})
	return vs, err
}

// Lineage implements service.API.
func (c *Client) Lineage(ctx context.Context, q service.LineageRequest) (core.Graph, error) {
	var g core.Graph
	if (q.Version == nil) == (q.RunID == "") {
		return g, core.Errorf(core.ErrInvalid, "lineage: give exactly one of a version and a run")
	}
	query := url.Values{}
	if q.Direction != "" {
		query.Set("direction", string(q.Direction))
	}
	if q.Depth != 0 {
		query.Set("depth", strconv.Itoa(q.Depth))
	}
	if q.Version != nil {
		err := c.getVersion(ctx, *q.Version, "/lineage", query, &g)
		return g, err
	}
	p, err := runPath(q.RunID, "/lineage")
	if err != nil {
		return g, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, query: query, retry: retryIdempotent, out: &g})
	return g, err
}

// Diff implements service.API.
func (c *Client) Diff(ctx context.Context, from, to core.Ref) (core.Diff, error) {
	var d core.Diff
	err := c.getVersion(ctx, from, "/diff", url.Values{"to": {to.String()}}, &d)
	return d, err
}

// TypeGraph implements service.API.
func (c *Client) TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error) {
	var g core.TypeGraph
	p, err := projectPath(entity, project, "/types")
	if err != nil {
		return g, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &g})
	return g, err
}
