package meta

import (
	"context"
	"database/sql"
	"errors"

	"github.com/troveml/trove/internal/core"
)

// typeCountsQuery counts a project's collections by type and its runs by job
// type, one row (kind, name, count) per node of the type graph. Both scans
// start from an index on project_id (the collections' and runs' unique keys).
const typeCountsQuery = `
	SELECT 'artifact_type', type, COUNT(*) FROM collections WHERE project_id = ? GROUP BY type
	UNION ALL
	SELECT 'job_type', job_type, COUNT(*) FROM runs WHERE project_id = ? GROUP BY job_type`

// typeEdgesQuery lists the distinct (job type, artifact type, edge kind)
// triples of the edges of a project's runs to committed versions, wherever
// those versions live: outputs from the edges' source index, inputs from
// edges_by_dst.
const typeEdgesQuery = `
	SELECT r.job_type, c.type, 'output' FROM runs r
		JOIN edges e ON e.src = r.node_id
		JOIN versions v ON v.id = e.dst
		JOIN collections c ON c.id = v.collection_id
		WHERE r.project_id = ? AND e.kind = 'output' AND v.state = 'committed'
	UNION
	SELECT r.job_type, c.type, 'input' FROM runs r
		JOIN edges e ON e.dst = r.node_id
		JOIN versions v ON v.id = e.src
		JOIN collections c ON c.id = v.collection_id
		WHERE r.project_id = ? AND e.kind = 'input' AND v.state = 'committed'`

// TypeGraph returns the type graph of entity/project (see core.TypeGraph),
// sorted, its lists empty rather than nil for a project with nothing in it.
//
// Nodes are the types of the project's collections (deleted versions or
// not) and the job types of its runs, with their counts. Edges come from the
// project's runs: a run that used or logged a committed version of another
// project still yields its edge, with that version's type, whose node then
// counts 0 if the project has no collection of the type. Runs of other
// projects that used the project's versions yield nothing here; they belong
// to their own project's graph. core.ErrNotFound for an unknown project.
//
// It is one read transaction of three statements, whatever the size of the
// project: the aggregation happens in SQL.
func (s *Store) TypeGraph(ctx context.Context, entity, project string) (core.TypeGraph, error) {
	var g core.TypeGraph
	err := s.read(ctx, func(q q) error {
		g = core.TypeGraph{}
		var pid int64
		err := q.queryRow(ctx, `SELECT p.id FROM projects p JOIN entities en ON en.id = p.entity_id
			WHERE en.name = ? AND p.name = ?`, entity, project).Scan(&pid)
		if errors.Is(err, sql.ErrNoRows) {
			return core.Errorf(core.ErrNotFound, "project %s/%s not found", entity, project)
		} else if err != nil {
			return err
		}
		seen := map[string]bool{}
		rows, err := q.query(ctx, typeCountsQuery, pid, pid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n core.TypeNode
			if err := rows.Scan(&n.Kind, &n.Name, &n.Count); err != nil {
				return err
			}
			n.ID = n.Kind + ":" + n.Name
			seen[n.ID] = true
			g.Nodes = append(g.Nodes, n)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		rows.Close()

		rows, err = q.query(ctx, typeEdgesQuery, pid, pid)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var jobType, typ, kind string
			if err := rows.Scan(&jobType, &typ, &kind); err != nil {
				return err
			}
			job, art := core.JobTypeNodeID(jobType), core.ArtifactTypeNodeID(typ)
			if !seen[art] {
				// A type the project's runs met only in other projects.
				seen[art] = true
				g.Nodes = append(g.Nodes, core.TypeNode{ID: art, Kind: core.KindArtifactType, Name: typ})
			}
			if kind == "output" {
				g.Edges = append(g.Edges, core.Edge{From: job, To: art})
			} else {
				g.Edges = append(g.Edges, core.Edge{From: art, To: job})
			}
		}
		return rows.Err()
	})
	if err != nil {
		return core.TypeGraph{}, err
	}
	g.Sort()
	return g, nil
}
