package meta

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
)

func TestTmpPlan(t *testing.T) {
	s := openFile(t)
	p := buildPipeline(t, s, 100000, 0)
	ctx := context.Background()
	var pg, ps int64
	s.rdb.QueryRow("PRAGMA page_count").Scan(&pg)
	s.rdb.QueryRow("PRAGMA page_size").Scan(&ps)
	t.Logf("db size %d MiB", pg*ps>>20)
	for _, pragma := range []string{"", os.Getenv("PRAGMA1"), os.Getenv("PRAGMA2")} {
		if pragma != "" {
			s.rdb.Close()
			s.rdb.SetMaxOpenConns(1)
		}
		_ = pragma
		for _, lq := range []LineageQuery{
			{VersionID: p.testSet, Direction: core.Downstream, Depth: 10},
			{VersionID: p.testSet, Direction: core.Downstream},
			{VersionID: p.popularRaw, Direction: core.Downstream, Depth: 10},
			{VersionID: p.popularRaw, Direction: core.Downstream},
		} {
			best := time.Hour
			var g core.Graph
			for range 5 {
				t0 := time.Now()
				g, _ = s.Lineage(ctx, lq)
				best = min(best, time.Since(t0))
			}
			t.Logf("%v depth %d: %d nodes %v", lq.VersionID, lq.Depth, len(g.Nodes), best)
		}
		break
	}
}
