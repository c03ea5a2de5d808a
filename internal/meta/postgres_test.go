package meta_test

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
)

func TestPostgres(t *testing.T) {
	metatest.Run(t, func(t *testing.T) *meta.Store { return metatest.OpenPostgres(t) })
}

// Shape of TestPostgresReplicas.
const (
	replicas        = 3
	writers         = 24
	sharedContents  = 4 // each committed by writers/sharedContents writers
	uniquePerWriter = 2
)

// TestPostgresReplicas stands for server replicas: three stores, each with
// its own small pool, opened at once on one fresh schema (so they race on
// the migrations), and 24 writers spread over them that each create a run
// and commit two new contents and one content that five other writers commit
// too, all to one collection. The versions must be v0…vN with no gap and no
// duplicate content, latest on vN, each shared content a single version
// logged by all six runs, and the runs numbered 1…24.
func TestPostgresReplicas(t *testing.T) {
	dbURL := pgschema.URL(t) + "&pool_max_conns=6"
	stores := make([]*meta.Store, replicas)
	errs := make([]error, replicas)
	var wg sync.WaitGroup
	for i := range stores {
		wg.Go(func() { stores[i], errs[i] = meta.Open(t.Context(), dbURL) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("replica %d: %v", i, err)
		}
		t.Cleanup(func() { _ = stores[i].Close() })
	}

	ctx := t.Context()
	content := func(s string) core.Manifest {
		m, err := core.NewManifest([]core.Entry{{Path: "f", Digest: core.DigestOf([]byte(s)), Size: int64(len(s))}})
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	type result struct {
		runName   string
		shared    core.Version
		created   bool
		commitErr error
	}
	results := make([]result, writers)
	for w := range writers {
		wg.Go(func() {
			s, r := stores[w%replicas], &results[w]
			run, err := s.CreateRun(ctx, meta.NewRun{ID: fmt.Sprintf("w%02d", w), Entity: "team", Project: "replicas",
				AutoName: func(seq int64) string { return fmt.Sprintf("run-%d", seq) }, Now: time.Now()})
			if err != nil {
				r.commitErr = err
				return
			}
			r.runName = run.Name
			commit := func(c string) (core.Version, bool, error) {
				return s.CommitVersion(ctx, meta.Commit{Entity: "team", Project: "replicas", Name: "shared", Type: "dataset",
					Manifest: content(c), Aliases: []string{"hot"}, RunID: run.ID, Now: time.Now()})
			}
			for j := range uniquePerWriter {
				if _, created, err := commit(fmt.Sprintf("writer %d/%d", w, j)); err != nil || !created {
					r.commitErr = fmt.Errorf("unique commit %d: created %v, %w", j, created, err)
					return
				}
			}
			r.shared, r.created, r.commitErr = commit(fmt.Sprintf("shared %d", w%sharedContents))
		})
	}
	wg.Wait()
	var names []string
	sharedIDs := map[string]map[int64]bool{}
	created := map[string]int{}
	for w, r := range results {
		if r.commitErr != nil {
			t.Fatalf("writer %d: %v", w, r.commitErr)
		}
		names = append(names, r.runName)
		key := fmt.Sprint(w % sharedContents)
		if sharedIDs[key] == nil {
			sharedIDs[key] = map[int64]bool{}
		}
		sharedIDs[key][r.shared.ID] = true
		if r.created {
			created[key]++
		}
	}
	for key, ids := range sharedIDs {
		if len(ids) != 1 || created[key] != 1 {
			t.Errorf("shared content %s: %d versions, created %d times; want 1 and 1", key, len(ids), created[key])
		}
	}

	want := writers*uniquePerWriter + sharedContents
	for i, s := range stores {
		vs, err := s.ListVersions(ctx, "team", "replicas", "shared")
		if err != nil {
			t.Fatal(err)
		}
		digests := map[core.Digest]bool{}
		hot := 0
		for j, v := range vs {
			if v.Index != j {
				t.Fatalf("replica %d: version %d has index %d", i, j, v.Index)
			}
			digests[v.Digest] = true
			if slices.Contains(v.Aliases, "hot") {
				hot++
			}
		}
		if len(vs) != want || len(digests) != want {
			t.Fatalf("replica %d: %d versions, %d distinct digests; want %d of each", i, len(vs), len(digests), want)
		}
		latest, err := s.ResolveVersion(ctx, core.Ref{Entity: "team", Project: "replicas", Name: "shared"})
		if err != nil || latest.Index != want-1 {
			t.Errorf("replica %d: latest = %s, %v; want v%d", i, latest.Label(), err, want-1)
		}
		if hot != 1 {
			t.Errorf("replica %d: alias hot on %d versions, want 1", i, hot)
		}
	}
	for key, ids := range sharedIDs {
		for id := range ids {
			runs, err := stores[0].Producers(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if len(runs) != writers/sharedContents {
				t.Errorf("shared content %s: logged by %d runs, want %d", key, len(runs), writers/sharedContents)
			}
		}
	}
	slices.SortFunc(names, func(a, b string) int {
		var x, y int
		fmt.Sscanf(a, "run-%d", &x)
		fmt.Sscanf(b, "run-%d", &y)
		return x - y
	})
	var wantNames []string
	for i := 1; i <= writers; i++ {
		wantNames = append(wantNames, fmt.Sprintf("run-%d", i))
	}
	if !slices.Equal(names, wantNames) {
		t.Errorf("run names %v, want %v", names, wantNames)
	}
}

func TestOpenURLs(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	t.Chdir(dir)
	for _, tc := range []struct{ url, file string }{
		{"sqlite://" + filepath.ToSlash(filepath.Join(dir, "abs.db")), "abs.db"},
		{"sqlite://rel.db", "rel.db"},
		{"sqlite://sub/nested.db", "sub/nested.db"},
		{"sqlite:opaque.db", "opaque.db"},
		{"plain.db", "plain.db"},
		{filepath.Join(dir, "plain-abs.db"), "plain-abs.db"},
	} {
		s, err := meta.Open(ctx, tc.url)
		if err != nil {
			t.Errorf("Open(%q): %v", tc.url, err)
			continue
		}
		if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r", Entity: "e", Project: "p", Now: time.Now()}); err != nil {
			t.Errorf("Open(%q): CreateRun: %v", tc.url, err)
		}
		_ = s.Close()
		if _, err := os.Stat(filepath.Join(dir, tc.file)); err != nil {
			t.Errorf("Open(%q) did not create %s: %v", tc.url, tc.file, err)
		}
	}
	for _, u := range []string{"", "mysql://localhost/db", "file:///tmp/x.db", "sqlite:///x.db?mode=ro", "sqlite://"} {
		if _, err := meta.Open(ctx, u); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Open(%q): error %v, want invalid", u, err)
		}
	}
	if _, err := meta.Open(ctx, "mysql://localhost/db"); err == nil || !strings.Contains(err.Error(), "postgres://") {
		t.Errorf("Open(mysql://…): error %v does not list the known schemes", err)
	}
	for _, u := range []string{
		"postgres://postgres@127.0.0.1:5432/test?pool_max_conns=0",
		"postgres://postgres@127.0.0.1:5432/test?pool_max_conns=many",
	} {
		if _, err := meta.Open(ctx, u); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("Open(%q): error %v, want invalid", u, err)
		}
	}
}

// TestOpenPostgresUnreachable needs no server: nothing listens on port 1.
func TestOpenPostgresUnreachable(t *testing.T) {
	_, err := meta.Open(t.Context(), "postgresql://postgres:secret@127.0.0.1:1/test?sslmode=disable&connect_timeout=5")
	if !errors.Is(err, core.ErrUnavailable) {
		t.Fatalf("error %v, want unavailable", err)
	}
	if strings.Contains(err.Error(), "secret") {
		t.Errorf("error %q shows the password", err)
	}
}

// TestPostgresMissingSchema: a search_path naming no schema is a clear error,
// not tables created somewhere else.
func TestPostgresMissingSchema(t *testing.T) {
	u, err := url.Parse(pgschema.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	q.Set("search_path", "no_such_schema_here")
	u.RawQuery = q.Encode()
	_, err = meta.Open(t.Context(), u.String())
	if !errors.Is(err, core.ErrInvalid) {
		t.Fatalf("error %v, want invalid", err)
	}
}

// TestPing: an open store answers; a closed one is unavailable.
func TestPing(t *testing.T) {
	for _, tc := range []struct {
		name string
		url  func(t *testing.T) string
	}{
		{"sqlite", func(t *testing.T) string { return filepath.Join(t.TempDir(), "meta.db") }},
		{"postgres", func(t *testing.T) string { return pgschema.URL(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := meta.Open(t.Context(), tc.url(t))
			if err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(t.Context()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			if err := s.Close(); err != nil {
				t.Fatal(err)
			}
			if err := s.Ping(t.Context()); !errors.Is(err, core.ErrUnavailable) {
				t.Errorf("Ping after Close: %v, want unavailable", err)
			}
		})
	}
}
