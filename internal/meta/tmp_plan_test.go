package meta

import (
	"context"
	"testing"
	"time"
	"strings"

	"github.com/troveml/trove/internal/core"
)

func TestTmpPlan(t *testing.T) {
	s := openFile(t)
	p := buildPipeline(t, s, 3000, 0.05)
	for _, lq := range []LineageQuery{
		{VersionID: p.popularRaw, Direction: core.Both},
		{VersionID: p.popularRaw, Direction: core.Both, Depth: 5},
		{VersionID: p.model, Direction: core.Both, Depth: 5},
	} {
		t0 := time.Now()
		g, err := s.Lineage(context.Background(), lq)
		t.Logf("%+v: %d nodes %d edges in %v (%v)", lq, len(g.Nodes), len(g.Edges), time.Since(t0), err)
	}
	// plans
	var ctes []string
	ctes = append(ctes, walkCTE("down", "src", "dst", true), walkCTE("up", "dst", "src", true))
	query := `EXPLAIN QUERY PLAN WITH RECURSIVE ` + strings.Join(ctes, `, `) + `,
		walked(node) AS (SELECT node FROM down UNION SELECT node FROM up)
		SELECT w.node, r.id, r.name, r.job_type, r.state, v.idx, c.name, c.type, en.name, p.name
		FROM walked w
		LEFT JOIN runs r ON r.node_id = w.node
		LEFT JOIN versions v ON v.id = w.node
		LEFT JOIN collections c ON c.id = v.collection_id
		JOIN projects p ON p.id = COALESCE(r.project_id, c.project_id)
		JOIN entities en ON en.id = p.entity_id`
	for _, qq := range []string{query, `EXPLAIN QUERY PLAN SELECT e.src, e.dst FROM edges e WHERE e.src IN (SELECT CAST(value AS BIGINT) FROM json_each(?)) AND e.dst IN (SELECT CAST(value AS BIGINT) FROM json_each(?))`} {
		rows, err := s.rdb.Query(qq, 1, 5, 1, 5)
		if err != nil { rows, err = s.rdb.Query(qq, "[1]", "[1]") }
		if err != nil { t.Fatal(err) }
		for rows.Next() {
			var a, b, c int
			var d string
			rows.Scan(&a, &b, &c, &d)
			t.Logf("%d %d %s", a, b, d)
		}
		rows.Close()
		t.Log("----")
	}
}
