package meta

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkSearch measures Search on 100,000 versions (TROVE_BENCH_VERSIONS)
// in 1,000 collections of 20 projects, with 10,000 runs and 10,000 custom
// aliases, seeded in one transaction. Half the projects are a team's that
// the searching user ("bob") belongs to, half another user's private
// projects, so the read filter has work to do. Each sub-benchmark is one
// kind of search, as bob and as a site admin.
//
//	go test -run '^$' -bench Search -benchtime 200x ./internal/meta
func BenchmarkSearch(b *testing.B) {
	n := 100000
	if v := os.Getenv("TROVE_BENCH_VERSIONS"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1000 {
			b.Fatalf("TROVE_BENCH_VERSIONS=%q: want an integer of at least 1000", v)
		}
	}
	for _, db := range []struct {
		name string
		open func(testing.TB) *Store
	}{{"sqlite", openFile}, {"postgres", openPostgres}} {
		b.Run(db.name, func(b *testing.B) {
			if db.name == "postgres" && os.Getenv("TROVE_TEST_POSTGRES") == "" {
				b.Skip("TROVE_TEST_POSTGRES is not set")
			}
			s := db.open(b)
			start := time.Now()
			digest := seedSearch(b, s, n)
			b.Logf("%s: seeded %d versions in %v", db.name, n, time.Since(start).Round(time.Millisecond))
			for _, c := range []struct{ name, text string }{
				{"name-prefix", "coll-0042"},
				{"alias", "cand-4242"},
				{"digest-prefix", digest[:8]},
				{"run-name", "train-00778"},
				{"name-substring", "oll-09"},
				{"broad-prefix", "c"},
				{"broad-cand", "cand-"},
				{"broad-coll", "coll-"},
				{"broad-alias", "lat"},
				{"broad-run", "tr"},
			} {
				for _, who := range []struct {
					name  string
					scope SearchScope
				}{{"bob", SearchScope{User: "bob"}}, {"admin", SearchScope{All: true}}} {
					b.Run(c.name+"/"+who.name, func(b *testing.B) {
						hits, err := s.Search(context.Background(), c.text, who.scope, 20)
						if err != nil || len(hits) == 0 {
							b.Fatalf("Search(%q) = %d hits, %v", c.text, len(hits), err)
						}
						b.ResetTimer()
						for b.Loop() {
							if _, err := s.Search(context.Background(), c.text, who.scope, 20); err != nil {
								b.Fatal(err)
							}
						}
						b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(b.N)/1000, "ms/search")
					})
				}
			}
		})
	}
}

// seedSearch writes n versions, n/10 runs and n/10 custom aliases, and
// returns the hex digest of a version in one of bob's team's projects.
func seedSearch(tb testing.TB, s *Store, n int) string {
	tb.Helper()
	ctx := context.Background()
	now := time.Now()
	if _, err := s.CreateUser(ctx, "bob", false, now); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "alice", false, now); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.CreateTeam(ctx, "acme", "bob", now); err != nil {
		tb.Fatal(err)
	}
	const projects = 20
	var projectIDs []int64
	for i := range projects {
		entity := "acme"
		if i%2 == 1 {
			entity = "alice"
		}
		r, err := s.CreateRun(ctx, NewRun{ID: fmt.Sprintf("first%02d", i), Entity: entity, Project: fmt.Sprintf("proj-%02d", i), Now: now})
		if err != nil {
			tb.Fatal(err)
		}
		var id int64
		if err := s.rdb.QueryRowContext(ctx, s.d.rebind(`SELECT project_id FROM runs WHERE id = ?`), r.ID).Scan(&id); err != nil {
			tb.Fatal(err)
		}
		projectIDs = append(projectIDs, id)
	}
	perCollection := 100
	collections := n / perCollection
	runs := n / 10
	var digest string
	err := s.write(ctx, func(q q) error {
		var node, col int64
		if err := q.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM nodes`).Scan(&node); err != nil {
			return err
		}
		if err := q.queryRow(ctx, `SELECT COALESCE(MAX(id), 0) FROM collections`).Scan(&col); err != nil {
			return err
		}
		us := micros(now)
		batch := func(table, cols string, rows int, row func(i int) []any) error {
			const per = 200
			ncol := strings.Count(cols, ",") + 1
			ph := "(" + strings.TrimSuffix(strings.Repeat("?, ", ncol), ", ") + ")"
			for lo := 0; lo < rows; lo += per {
				hi := min(rows, lo+per)
				var args []any
				var vals []string
				for i := lo; i < hi; i++ {
					args = append(args, row(i)...)
					vals = append(vals, ph)
				}
				if _, err := q.exec(ctx, `INSERT INTO `+table+` (`+cols+`) VALUES `+strings.Join(vals, ", "), args...); err != nil {
					return fmt.Errorf("%s: %w", table, err)
				}
			}
			return nil
		}
		colBase, verBase, runBase := col+1, node+1, node+1+int64(n)
		if err := batch("collections", "id, project_id, name, type, created_at, next_index", collections, func(i int) []any {
			return []any{colBase + int64(i), projectIDs[i%projects], fmt.Sprintf("coll-%04d", i), "dataset", us, perCollection}
		}); err != nil {
			return err
		}
		if err := batch("nodes", "id, kind", n+runs, func(i int) []any {
			if i < n {
				return []any{verBase + int64(i), "version"}
			}
			return []any{verBase + int64(i), "run"}
		}); err != nil {
			return err
		}
		digestOf := func(i int) string {
			h := sha256.Sum256([]byte(strconv.Itoa(i)))
			return hex.EncodeToString(h[:])
		}
		digest = digestOf(n / 2) // in collection n/2/100, of an even (team) project
		if err := batch("versions", "id, collection_id, idx, digest, description, metadata, size, file_count, state, created_at", n, func(i int) []any {
			return []any{verBase + int64(i), colBase + int64(i/perCollection), i % perCollection, "sha256:" + digestOf(i), "", "{}", 1, 1, "committed", us}
		}); err != nil {
			return err
		}
		if err := batch("aliases", "collection_id, alias, version_id", collections+n/10, func(i int) []any {
			if i < collections {
				return []any{colBase + int64(i), "latest", verBase + int64(i*perCollection+perCollection-1)}
			}
			v := (i - collections) * 10
			return []any{colBase + int64(v/perCollection), fmt.Sprintf("cand-%04d", i-collections), verBase + int64(v)}
		}); err != nil {
			return err
		}
		return batch("runs", "id, node_id, project_id, seq, name, job_type, run_group, config, tags, state, started_at, heartbeat_at", runs, func(i int) []any {
			return []any{fmt.Sprintf("r%07d", i), runBase + int64(i), projectIDs[i%projects], 1000 + i, fmt.Sprintf("train-%05d", i),
				"train", "", "{}", "[]", "finished", us, us}
		})
	})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.wdb.ExecContext(ctx, `ANALYZE`); err != nil {
		tb.Fatal(err)
	}
	return digest
}
