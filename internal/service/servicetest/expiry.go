package servicetest

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Clock is a test clock that only moves when told to; give its Now to
// service.Options.Now.
type Clock struct {
	mu sync.Mutex
	t  time.Time
}

// NewClock returns a clock showing t.
func NewClock(t time.Time) *Clock { return &Clock{t: t} }

// Now returns the clock's time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// Advance moves the clock on by d.
func (c *Clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// RunExpiry runs the suite of time-to-live and expiry. newAPI returns a
// fresh, empty store whose service reads the time from clock.
func RunExpiry(t *testing.T, newAPI func(t *testing.T, clock *Clock) service.API) {
	tests := []struct {
		name string
		fn   func(t *testing.T, api service.API, clock *Clock)
	}{
		{"TTLExpires", testTTLExpires},
		{"TTLClear", testTTLClear},
		{"TTLInvalid", testTTLInvalid},
		{"TTLDedup", testTTLDedup},
		{"TTLPast", testTTLPast},
		{"DeletedHiddenFromLineage", testDeletedHiddenFromLineage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clock := NewClock(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
			tt.fn(t, newAPI(t, clock), clock)
		})
	}
}

func logTTL(t *testing.T, api service.API, runID, name, ttl string, contents map[string]string, aliases ...string) service.LogResult {
	t.Helper()
	res, err := api.LogArtifact(context.Background(), service.LogRequest{
		Entity: entity, Project: project, Name: name, Type: "dataset", RunID: runID,
		Aliases: aliases, Manifest: files(t, api, contents), TTL: ttl,
	})
	if err != nil {
		t.Fatalf("LogArtifact(%s, ttl %q): %v", name, ttl, err)
	}
	return res
}

func wantExpiresAt(t *testing.T, what string, v core.Version, want time.Time) {
	t.Helper()
	switch {
	case want.IsZero() && v.ExpiresAt != nil:
		t.Errorf("%s: expires_at = %v, want none", what, *v.ExpiresAt)
	case !want.IsZero() && (v.ExpiresAt == nil || !v.ExpiresAt.Equal(want)):
		t.Errorf("%s: expires_at = %v, want %v", what, v.ExpiresAt, want)
	}
}

func versionLabels(t *testing.T, api service.API, name string) []string {
	t.Helper()
	vs, err := api.ArtifactVersions(context.Background(), ref(name))
	if err != nil {
		t.Fatalf("ArtifactVersions(%s): %v", name, err)
	}
	return labels(vs)
}

// graphHas reports whether lineage graph g has a node named name:vN.
func graphHas(g core.Graph, name string) bool {
	return slices.ContainsFunc(g.Nodes, func(n core.Node) bool { return n.Kind == core.KindArtifact && n.Name == name })
}

// An expired version disappears at its expiry time, without a sweep: from
// lookups (vN and aliases), listings and lineage; latest moves back.
func testTTLExpires(t *testing.T, api service.API, clock *Clock) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	user := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "0"})
	created := clock.Now()
	v1 := logTTL(t, api, run.ID, "d", "1h", map[string]string{"a": "1"}, "best").Version
	wantExpiresAt(t, "logged v1", v1, created.Add(time.Hour))
	got, err := api.Artifact(ctx, ref("d:best"))
	if err != nil {
		t.Fatal(err)
	}
	wantExpiresAt(t, "looked-up v1", got, created.Add(time.Hour))
	if _, err := api.UseArtifact(ctx, user.ID, ref("d:v1")); err != nil {
		t.Fatal(err)
	}

	clock.Advance(time.Hour - time.Second)
	if got := versionLabels(t, api, "d"); !slices.Equal(got, []string{"v0[]", "v1[best,latest]"}) {
		t.Fatalf("before expiry: %v", got)
	}
	clock.Advance(time.Second)
	for _, sel := range []string{"d:v1", "d:best"} {
		_, err := api.Artifact(ctx, ref(sel))
		wantKind(t, err, core.ErrNotFound, "lookup of expired "+sel)
	}
	if got := versionLabels(t, api, "d"); !slices.Equal(got, []string{"v0[latest]"}) {
		t.Errorf("after expiry: %v, want v0[latest]", got)
	}
	cs, err := api.Collections(ctx, entity, project, "")
	if err != nil || len(cs) != 1 || cs[0].Latest != "v0" || cs[0].VersionCount != 1 {
		t.Errorf("collections after expiry = %+v, %v", cs, err)
	}
	outs, err := api.RunOutputs(ctx, run.ID)
	if err != nil || !slices.Equal(labels(outs), []string{"v0[latest]"}) {
		t.Errorf("outputs after expiry = %v, %v", labels(outs), err)
	}
	ins, err := api.RunInputs(ctx, user.ID)
	if err != nil || len(ins) != 0 {
		t.Errorf("inputs after expiry = %v, %v; want none", labels(ins), err)
	}
	g, err := api.Lineage(ctx, service.LineageRequest{RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	if graphHas(g, "d:v1") || !graphHas(g, "d:v0") {
		t.Errorf("lineage after expiry: %s", graphString(g))
	}
	// The index is not reused.
	if res := logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "2"}); res.Version.Index != 2 {
		t.Errorf("after expiry, new version is %s, want v2", res.Version.Label())
	}
	// The expired content logged again is a new version.
	if res := logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "1"}); !res.Created || res.Version.Index != 3 {
		t.Errorf("expired content logged again: %s created %v, want a new v3", res.Version.Label(), res.Created)
	}
}

func testTTLClear(t *testing.T, api service.API, clock *Clock) {
	ctx := context.Background()
	created := clock.Now()
	logTTL(t, api, "", "d", "1h", map[string]string{"a": "0"})
	for _, none := range []string{"none", ""} {
		v, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{TTL: &none})
		if err != nil {
			t.Fatalf("clearing the ttl with %q: %v", none, err)
		}
		wantExpiresAt(t, "cleared with "+none, v, time.Time{})
		day := "24h"
		if v, err = api.UpdateArtifact(ctx, ref("d:v0"), service.Update{TTL: &day}); err != nil {
			t.Fatal(err)
		}
		wantExpiresAt(t, "set to 24h", v, created.Add(24*time.Hour))
	}
	none := "none"
	if _, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{TTL: &none}); err != nil {
		t.Fatal(err)
	}
	clock.Advance(1000 * time.Hour)
	v, err := api.Artifact(ctx, ref("d:v0"))
	if err != nil {
		t.Fatalf("version whose ttl was cleared: %v", err)
	}
	wantExpiresAt(t, "after a long time", v, time.Time{})
}

func testTTLInvalid(t *testing.T, api service.API, clock *Clock) {
	ctx := context.Background()
	m := files(t, api, map[string]string{"a": "0"})
	for _, ttl := range []string{"soon", "0s", "-1h", "876001h", "12", "none"} {
		_, err := api.LogArtifact(ctx, service.LogRequest{Entity: entity, Project: project, Name: "d", Type: "dataset", Manifest: m, TTL: ttl})
		wantKind(t, err, core.ErrInvalid, "log with ttl "+ttl)
	}
	_, err := api.ArtifactVersions(ctx, ref("d"))
	wantKind(t, err, core.ErrNotFound, "versions after refused logs")

	logTTL(t, api, "", "d", "2h", map[string]string{"a": "0"})
	desc := "changed"
	for _, ttl := range []string{"soon", "0", "-5m", "1000000h"} {
		_, err := api.UpdateArtifact(ctx, ref("d:v0"), service.Update{TTL: &ttl, Description: &desc})
		wantKind(t, err, core.ErrInvalid, "update with ttl "+ttl)
	}
	v, err := api.Artifact(ctx, ref("d:v0"))
	if err != nil {
		t.Fatal(err)
	}
	wantExpiresAt(t, "after refused updates", v, clock.Now().Add(2*time.Hour))
	if v.Description != "" {
		t.Errorf("a refused update changed the description to %q", v.Description)
	}
}

// Logging content identical to a version with a ttl: the latest log's ttl
// wins, counted from the version's creation; a log without one keeps it.
func testTTLDedup(t *testing.T, api service.API, clock *Clock) {
	created := clock.Now()
	content := map[string]string{"a": "0"}
	logTTL(t, api, "", "d", "1h", content)
	clock.Advance(30 * time.Minute)
	res := logTTL(t, api, "", "d", "48h", content)
	if res.Created || res.Version.Index != 0 {
		t.Fatalf("identical content made %s (created %v)", res.Version.Label(), res.Created)
	}
	wantExpiresAt(t, "after dedup with 48h", res.Version, created.Add(48*time.Hour))
	res = logTTL(t, api, "", "d", "", content)
	wantExpiresAt(t, "after dedup without ttl", res.Version, created.Add(48*time.Hour))
	clock.Advance(2 * time.Hour)
	if got := versionLabels(t, api, "d"); !slices.Equal(got, []string{"v0[latest]"}) {
		t.Errorf("after the first ttl: %v; want v0 kept", got)
	}
	clock.Advance(46 * time.Hour)
	if got := versionLabels(t, api, "d"); len(got) != 0 {
		t.Errorf("after the new ttl: %v; want none", got)
	}
}

// A ttl whose expiry is already past takes effect at once.
func testTTLPast(t *testing.T, api service.API, clock *Clock) {
	ctx := context.Background()
	logArtifact(t, api, "", "d", "dataset", map[string]string{"a": "0"})
	logArtifact(t, api, "", "d", "dataset", map[string]string{"a": "1"}, "best")
	clock.Advance(2 * time.Hour)
	hour := "1h"
	if _, err := api.UpdateArtifact(ctx, ref("d:v1"), service.Update{TTL: &hour}); err != nil {
		t.Fatal(err)
	}
	_, err := api.Artifact(ctx, ref("d:best"))
	wantKind(t, err, core.ErrNotFound, "lookup after a past ttl")
	if got := versionLabels(t, api, "d"); !slices.Equal(got, []string{"v0[latest]"}) {
		t.Errorf("after a past ttl: %v, want v0[latest]", got)
	}
}

// Lineage of a run that logged a version later deleted does not show it.
func testDeletedHiddenFromLineage(t *testing.T, api service.API, clock *Clock) {
	ctx := context.Background()
	run := startRun(t, api, "", "")
	logArtifact(t, api, run.ID, "d", "dataset", map[string]string{"a": "0"})
	logArtifact(t, api, run.ID, "e", "dataset", map[string]string{"a": "1"})
	if err := api.DeleteArtifact(ctx, ref("e:v0"), true); err != nil {
		t.Fatal(err)
	}
	g, err := api.Lineage(ctx, service.LineageRequest{RunID: run.ID})
	if err != nil {
		t.Fatal(err)
	}
	if graphHas(g, "e:v0") || !graphHas(g, "d:v0") {
		t.Errorf("lineage after delete: %s", graphString(g))
	}
	outs, err := api.RunOutputs(ctx, run.ID)
	if err != nil || len(outs) != 1 || !strings.HasPrefix(outs[0].Name, "d") {
		t.Errorf("outputs after delete = %v, %v", labels(outs), err)
	}
}
