package meta

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// AddInput records that run runID used the committed version versionID: an
// input edge version → run. Recording it again changes nothing.
// core.ErrNotFound for an unknown run or version.
func (s *Store) AddInput(ctx context.Context, runID string, versionID int64, now time.Time) error {
	return s.write(ctx, func(q q) error {
		run, err := runNode(ctx, q, runID)
		if err != nil {
			return err
		}
		// A registry link has no edges of its own: using it uses its
		// source, so the source's lineage shows the consumer.
		content, err := contentID(ctx, q, versionID)
		if err != nil {
			return err
		}
		return addEdge(ctx, q, content, run, "input", now)
	})
}

// Producers returns the runs that logged the committed version versionID
// (the one that created it and those whose identical content deduplicated
// to it), earliest edge first. core.ErrNotFound for an unknown version.
func (s *Store) Producers(ctx context.Context, versionID int64) ([]core.Run, error) {
	return s.versionRuns(ctx, versionID, "dst", "src", "output")
}

// Consumers returns the runs that used the committed version versionID,
// earliest edge first. core.ErrNotFound for an unknown version.
func (s *Store) Consumers(ctx context.Context, versionID int64) ([]core.Run, error) {
	return s.versionRuns(ctx, versionID, "src", "dst", "input")
}

// versionRuns returns the runs at the run end of the version's edges of kind.
func (s *Store) versionRuns(ctx context.Context, versionID int64, versionEnd, runEnd, kind string) ([]core.Run, error) {
	var runs []core.Run
	err := s.read(ctx, func(q q) (err error) {
		content, err := contentID(ctx, q, versionID)
		if err != nil {
			return err
		}
		runs, err = queryRuns(ctx, q, runSelect+` FROM edges ed JOIN runs r ON r.node_id = ed.`+runEnd+runJoins+`
			WHERE ed.`+versionEnd+` = ? AND ed.kind = ? ORDER BY ed.created_at, ed.id`, content, kind)
		return err
	})
	return runs, err
}

// RunOutputs returns the committed versions run runID logged, earliest edge
// first. core.ErrNotFound for an unknown run.
func (s *Store) RunOutputs(ctx context.Context, runID string) ([]core.Version, error) {
	return s.runVersions(ctx, runID, "src", "dst", "output")
}

// RunInputs returns the committed versions run runID used, earliest edge
// first. core.ErrNotFound for an unknown run.
func (s *Store) RunInputs(ctx context.Context, runID string) ([]core.Version, error) {
	return s.runVersions(ctx, runID, "dst", "src", "input")
}

// runVersions returns the committed versions at the version end of the run's
// edges of kind.
func (s *Store) runVersions(ctx context.Context, runID, runEnd, versionEnd, kind string) ([]core.Version, error) {
	var vs []core.Version
	err := s.read(ctx, func(q q) error {
		node, err := runNode(ctx, q, runID)
		if err != nil {
			return err
		}
		vs, err = queryVersions(ctx, q, versionSelect+` JOIN edges ed ON ed.`+versionEnd+` = v.id
			WHERE ed.`+runEnd+` = ? AND ed.kind = ? AND v.state = 'committed' ORDER BY ed.created_at, ed.id`,
			node, kind)
		return err
	})
	return vs, err
}

// walkCTE returns the recursive CTE named name that walks edges from the start
// node (its first parameter) in one direction: from "src" to "dst" walks
// downstream, from "dst" to "src" upstream. Deleted versions are neither
// reached nor walked through.
//
// With a depth limit, rows are (node, depth) with depth below the limit (its
// second parameter): UNION on the pair keeps at most limit+1 rows per node
// however many paths lead to it. Without a limit, UNION on the node alone
// visits each node once, which also ends the walk on cycles.
func walkCTE(name, from, to string, limited bool) string {
	notDeleted := `NOT EXISTS (SELECT 1 FROM versions x WHERE x.id = e.` + to + ` AND x.state = 'deleted')`
	if limited {
		return name + `(node, depth) AS (
			SELECT CAST(? AS BIGINT), 0
			UNION
			SELECT e.` + to + `, w.depth + 1 FROM ` + name + ` w JOIN edges e ON e.` + from + ` = w.node
			WHERE w.depth < ? AND ` + notDeleted + `)`
	}
	return name + `(node) AS (
		SELECT CAST(? AS BIGINT)
		UNION
		SELECT e.` + to + ` FROM ` + name + ` w JOIN edges e ON e.` + from + ` = w.node
		WHERE ` + notDeleted + `)`
}

// Lineage returns the lineage subgraph around a version or a run: the nodes
// reached from the start by walking edges downstream (along the data flow),
// upstream (against it) or both (the union of the two walks), at most
// lq.Depth edges away when Depth > 0. Deleted versions are left out and not
// walked through. Nodes are sorted by ID, each with its shortest distance
// from the start along the walk; edges are all those between two returned
// nodes, sorted by (From, To). An empty Direction means core.Both.
// core.ErrNotFound if the start does not exist (or is a deleted version).
func (s *Store) Lineage(ctx context.Context, lq LineageQuery) (core.Graph, error) {
	dir := lq.Direction
	if dir == "" {
		dir = core.Both
	}
	switch {
	case !dir.Valid():
		return core.Graph{}, core.Errorf(core.ErrInvalid, "lineage direction %q is not upstream, downstream or both", dir)
	case lq.Depth < 0:
		return core.Graph{}, core.Errorf(core.ErrInvalid, "lineage depth %d is negative", lq.Depth)
	case (lq.VersionID != 0) == (lq.RunID != ""):
		return core.Graph{}, core.Errorf(core.ErrInvalid, "lineage needs exactly one start: a version or a run")
	}
	var g core.Graph
	err := s.read(ctx, func(q q) error {
		start := lq.VersionID
		if lq.RunID != "" {
			var err error
			if start, err = runNode(ctx, q, lq.RunID); err != nil {
				return err
			}
		} else {
			// The lineage of a registry link is its source's.
			var err error
			if start, err = contentID(ctx, q, start); err != nil {
				return err
			}
		}
		var err error
		g, err = lineage(ctx, q, start, dir, lq.Depth)
		return err
	})
	return g, err
}

// lineage answers a lineage query from node start in three statements: the
// walk with the details of the nodes it reached, their aliases, and the edges
// between them.
func lineage(ctx context.Context, q q, start int64, dir core.Direction, depth int) (core.Graph, error) {
	limited := depth > 0
	var ctes, parts []string
	var args []any
	walk := func(name, from, to string) {
		ctes = append(ctes, walkCTE(name, from, to, limited))
		parts = append(parts, `SELECT node FROM `+name)
		args = append(args, start)
		if limited {
			args = append(args, depth)
		}
	}
	if dir != core.Upstream {
		walk("down", "src", "dst")
	}
	if dir != core.Downstream {
		walk("up", "dst", "src")
	}
	query := `WITH RECURSIVE ` + strings.Join(ctes, `, `) + `,
		walked(node) AS (` + strings.Join(parts, ` UNION `) + `)
		SELECT w.node, r.id, r.name, r.job_type, r.state, v.idx, c.name, c.type, en.name, p.name
		FROM walked w
		LEFT JOIN runs r ON r.node_id = w.node
		LEFT JOIN versions v ON v.id = w.node
		LEFT JOIN collections c ON c.id = v.collection_id
		JOIN projects p ON p.id = COALESCE(r.project_id, c.project_id)
		JOIN entities en ON en.id = p.entity_id`
	rows, err := q.query(ctx, query, args...)
	if err != nil {
		return core.Graph{}, err
	}
	defer rows.Close()
	nodes := make(map[int64]*core.Node)
	var ids, versionIDs []int64
	for rows.Next() {
		var (
			id                         int64
			runID, runName, job, state sql.NullString
			idx                        sql.NullInt64
			colName, typ               sql.NullString
			n                          core.Node
		)
		if err := rows.Scan(&id, &runID, &runName, &job, &state, &idx, &colName, &typ, &n.Entity, &n.Project); err != nil {
			return core.Graph{}, err
		}
		if runID.Valid {
			n.Kind, n.ID, n.RunID, n.Name, n.JobType, n.State =
				core.KindRun, core.RunNodeID(runID.String), runID.String, runName.String, job.String, state.String
		} else {
			v := core.Version{Entity: n.Entity, Project: n.Project, Name: colName.String, Index: int(idx.Int64)}
			n.Kind, n.ID, n.Name, n.Type, n.Aliases =
				core.KindArtifact, core.ArtifactNodeID(v), colName.String+":"+v.Label(), typ.String, []string{}
			versionIDs = append(versionIDs, id)
		}
		nodes[id] = &n
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return core.Graph{}, err
	}
	rows.Close()
	if nodes[start] == nil {
		return core.Graph{}, errors.New("lineage walk lost its start node")
	}

	if len(versionIDs) > 0 {
		aliases, err := aliasesOf(ctx, q, versionIDs)
		if err != nil {
			return core.Graph{}, err
		}
		for id, a := range aliases {
			nodes[id].Aliases = a
		}
	}

	// The unary + keeps the dst test out of index lookups: a planner that
	// drives the (src, dst) index with both lists probes it once per pair of
	// nodes, quadratic in the result. With it, each node's out-edges are read
	// once and dst is checked for membership.
	set := idsJSON(ids)
	rows, err = q.query(ctx, `SELECT e.src, e.dst FROM edges e
		WHERE e.src IN (`+q.d.idList+`) AND +e.dst IN (`+q.d.idList+`)`, set, set)
	if err != nil {
		return core.Graph{}, err
	}
	defer rows.Close()
	var edges [][2]int64
	for rows.Next() {
		var e [2]int64
		if err := rows.Scan(&e[0], &e[1]); err != nil {
			return core.Graph{}, err
		}
		edges = append(edges, e)
	}
	if err := rows.Err(); err != nil {
		return core.Graph{}, err
	}

	setDepths(nodes, edges, start, dir)
	g := core.Graph{Nodes: make([]core.Node, 0, len(nodes)), Edges: make([]core.Edge, 0, len(edges))}
	for _, n := range nodes {
		g.Nodes = append(g.Nodes, *n)
	}
	for _, e := range edges {
		g.Edges = append(g.Edges, core.Edge{From: nodes[e[0]].ID, To: nodes[e[1]].ID})
	}
	slices.SortFunc(g.Nodes, func(a, b core.Node) int { return strings.Compare(a.ID, b.ID) })
	slices.SortFunc(g.Edges, func(a, b core.Edge) int {
		return cmp.Or(strings.Compare(a.From, b.From), strings.Compare(a.To, b.To))
	})
	return g, nil
}

// setDepths sets each node's Depth to its shortest distance from start along
// the walk (the smaller of the two walks' for core.Both), by breadth-first
// search over the edges between the nodes. That equals the distance in the
// whole graph: every node on a shortest path to a returned node is itself
// closer to the start, so it was returned too.
func setDepths(nodes map[int64]*core.Node, edges [][2]int64, start int64, dir core.Direction) {
	const unset = -1
	for _, n := range nodes {
		n.Depth = unset
	}
	bfs := func(next map[int64][]int64) {
		dist := map[int64]int{start: 0}
		queue := []int64{start}
		for len(queue) > 0 {
			id := queue[0]
			queue = queue[1:]
			for _, m := range next[id] {
				if _, seen := dist[m]; !seen {
					dist[m] = dist[id] + 1
					queue = append(queue, m)
				}
			}
		}
		for id, d := range dist {
			if n := nodes[id]; n.Depth == unset || d < n.Depth {
				n.Depth = d
			}
		}
	}
	if dir != core.Upstream {
		next := make(map[int64][]int64)
		for _, e := range edges {
			next[e[0]] = append(next[e[0]], e[1])
		}
		bfs(next)
	}
	if dir != core.Downstream {
		next := make(map[int64][]int64)
		for _, e := range edges {
			next[e[1]] = append(next[e[1]], e[0])
		}
		bfs(next)
	}
}
