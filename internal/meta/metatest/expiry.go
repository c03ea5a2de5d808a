package metatest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// expiryTests are the subtests of time-to-live and expiry.
var expiryTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"ExpireDue", testExpireDue},
	{"ExpireDedupTTL", testExpireDedupTTL},
	{"ExpireUpdateTTL", testExpireUpdateTTL},
	{"ExpireConcurrent", testExpireConcurrent},
}

// commitTTL logs a version of dataset name in ent/proj at now with a
// time-to-live.
func commitTTL(t *testing.T, s *meta.Store, name, runID string, m core.Manifest, now time.Time, ttl time.Duration, aliases ...string) (core.Version, bool) {
	t.Helper()
	v, created, err := s.CommitVersion(t.Context(), meta.Commit{
		Entity: ent, Project: proj, Name: name, Type: "dataset", Manifest: m,
		Aliases: aliases, RunID: runID, Now: now, TTL: ttl,
	})
	if err != nil {
		t.Fatalf("CommitVersion(%s, ttl %v): %v", name, ttl, err)
	}
	return v, created
}

func wantExpiry(t *testing.T, what string, v core.Version, want time.Time) {
	t.Helper()
	switch {
	case want.IsZero() && v.ExpiresAt != nil:
		t.Errorf("%s: expires_at = %v, want none", what, *v.ExpiresAt)
	case !want.IsZero() && (v.ExpiresAt == nil || !v.ExpiresAt.Equal(want)):
		t.Errorf("%s: expires_at = %v, want %v", what, v.ExpiresAt, want)
	}
}

func expireDue(t *testing.T, s *meta.Store, now time.Time) []string {
	t.Helper()
	vs, err := s.ExpireDue(t.Context(), now)
	if err != nil {
		t.Fatalf("ExpireDue(%v): %v", now, err)
	}
	for _, v := range vs {
		if v.State != core.VersionDeleted {
			t.Errorf("expired %s has state %s", v.FullName(), v.State)
		}
	}
	return labels(vs)
}

func testExpireDue(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "one")
	newRun(t, s, "user", "user")
	v0 := commit(t, s, "d", "r1", manifest(t, "f", "0"))
	wantExpiry(t, "v0 without ttl", v0, time.Time{})
	v1, _ := commitTTL(t, s, "d", "r1", manifest(t, "f", "1"), at(10), time.Hour, "best")
	wantExpiry(t, "v1", v1, at(10).Add(time.Hour))
	wantExpiry(t, "resolved v1", mustResolve(t, s, "d", "v1"), at(10).Add(time.Hour))
	other, _ := commitTTL(t, s, "e", "", manifest(t, "f", "x"), at(0), 3*time.Hour)
	if err := s.AddInput(ctx, "user", v1.ID, at(20)); err != nil {
		t.Fatal(err)
	}

	// Not yet due: nothing changes.
	wantEqual(t, "expired before the time", expireDue(t, s, at(10).Add(time.Hour-time.Microsecond)), []string{})
	if v := mustResolve(t, s, "d", "latest"); v.ID != v1.ID {
		t.Fatalf("latest before expiry = %s", v.Label())
	}

	// Due at exactly created_at + ttl: v1 goes with its aliases, latest
	// moves back to v0, the other collection's version stays.
	wantEqual(t, "expired", expireDue(t, s, at(10).Add(time.Hour)), []string{"d:v1"})
	if v := mustResolve(t, s, "d", "latest"); v.ID != v0.ID || !slices.Equal(v.Aliases, []string{"latest"}) {
		t.Errorf("latest after expiry = %s %v; want v0 [latest]", v.Label(), v.Aliases)
	}
	for _, sel := range []string{"v1", "best"} {
		_, err := resolve(t, s, "d", sel)
		wantKind(t, err, core.ErrNotFound)
	}
	vs, err := s.ListVersions(ctx, ent, proj, "d")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "versions after expiry", labels(vs), []string{"d:v0"})
	c, err := s.GetCollection(ctx, ent, proj, "d")
	if err != nil || c.VersionCount != 1 || c.Latest != "v0" {
		t.Errorf("collection after expiry = %+v, %v", c, err)
	}
	// Lineage hides the expired version, as it hides deleted ones.
	outs, err := s.RunOutputs(ctx, "r1")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "outputs after expiry", labels(outs), []string{"d:v0"})
	ins, err := s.RunInputs(ctx, "user")
	if err != nil || len(ins) != 0 {
		t.Errorf("inputs after expiry = %v, %v; want none", labels(ins), err)
	}
	g := lineage(t, s, meta.LineageQuery{RunID: "r1", Direction: core.Both})
	nodes, _ := shape(g)
	for _, n := range nodes {
		if n == "d:v1" {
			t.Errorf("lineage of r1 shows the expired version: %v", nodes)
		}
	}
	if _, err := s.GetVersion(ctx, other.ID); err != nil {
		t.Errorf("version of another collection, not due, is gone: %v", err)
	}

	// Nothing more is due; the index is not reused.
	wantEqual(t, "expired again", expireDue(t, s, at(10).Add(time.Hour)), []string{})
	v2 := commit(t, s, "d", "", manifest(t, "f", "2"))
	wantEqual(t, "index after expiry", v2.Index, 2)
	wantEqual(t, "expired later", expireDue(t, s, at(0).Add(3*time.Hour)), []string{"e:v0"})
	c, err = s.GetCollection(ctx, ent, proj, "e")
	if err != nil || c.VersionCount != 0 || c.Latest != "" {
		t.Errorf("collection e after its only version expired = %+v, %v", c, err)
	}
}

// Logging content identical to a version with a time-to-live: a new ttl
// replaces the old one, counted from the version's creation; none keeps it.
func testExpireDedupTTL(t *testing.T, s *meta.Store) {
	m := manifest(t, "f", "0")
	v, _ := commitTTL(t, s, "d", "", m, at(0), time.Hour)
	again, created := commitTTL(t, s, "d", "", m, at(100), 5*time.Hour)
	if created || again.ID != v.ID {
		t.Fatalf("identical content made %s (created %v)", again.Label(), created)
	}
	wantExpiry(t, "after dedup with ttl", again, at(0).Add(5*time.Hour))
	again, _ = commitTTL(t, s, "d", "", m, at(200), 0)
	wantExpiry(t, "after dedup without ttl", again, at(0).Add(5*time.Hour))
	wantEqual(t, "expired at the old time", expireDue(t, s, at(0).Add(time.Hour)), []string{})
	wantEqual(t, "expired at the new time", expireDue(t, s, at(0).Add(5*time.Hour)), []string{"d:v0"})
}

func testExpireUpdateTTL(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	v := commit(t, s, "d", "", manifest(t, "f", "0"))
	ttl := 2 * time.Hour
	u, err := s.UpdateVersion(ctx, v.ID, meta.VersionUpdate{TTL: &ttl})
	if err != nil {
		t.Fatal(err)
	}
	wantExpiry(t, "after setting", u, t0.Add(2*time.Hour))
	none := time.Duration(0)
	if u, err = s.UpdateVersion(ctx, v.ID, meta.VersionUpdate{TTL: &none}); err != nil {
		t.Fatal(err)
	}
	wantExpiry(t, "after clearing", u, time.Time{})
	wantEqual(t, "expired after clearing", expireDue(t, s, t0.Add(1000*time.Hour)), []string{})

	// A bad update changes nothing, the time-to-live included.
	if _, err := s.UpdateVersion(ctx, v.ID, meta.VersionUpdate{TTL: &ttl, DelAliases: []string{"nope"}}); err == nil {
		t.Fatal("update removing a missing alias succeeded")
	}
	wantExpiry(t, "after a refused update", mustResolve(t, s, "d", "v0"), time.Time{})

	// An expiry already past takes effect at the next sweep.
	short := time.Minute
	if _, err := s.UpdateVersion(ctx, v.ID, meta.VersionUpdate{TTL: &short}); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "expired after a past ttl", expireDue(t, s, t0.Add(time.Hour)), []string{"d:v0"})
}

// Sweeps running at once expire each version once.
func testExpireConcurrent(t *testing.T, s *meta.Store) {
	const versions, sweepers = 30, 4
	for i := range versions {
		commitTTL(t, s, fmt.Sprintf("d%d", i%3), "", manifest(t, "f", fmt.Sprint(i)), at(i), time.Minute)
	}
	var (
		mu    sync.Mutex
		seen  = map[string]int{}
		wg    sync.WaitGroup
		errCh = make(chan error, sweepers)
	)
	for range sweepers {
		wg.Go(func() {
			vs, err := s.ExpireDue(t.Context(), at(versions).Add(time.Minute))
			if err != nil {
				errCh <- err
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, v := range vs {
				seen[v.FullName()]++
			}
		})
	}
	wg.Wait()
	close(errCh)
	for err := range errCh {
		t.Fatal(err)
	}
	if len(seen) != versions {
		t.Errorf("%d versions expired, want %d", len(seen), versions)
	}
	for name, n := range seen {
		if n != 1 {
			t.Errorf("%s expired %d times", name, n)
		}
	}
}
