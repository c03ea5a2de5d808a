package metatest

import (
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// searchTests are the subtests of the search (internal/meta/search.go).
var searchTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"SearchAccess", testSearchAccess},
	{"SearchRanking", testSearchRanking},
	{"SearchVersions", testSearchVersions},
	{"SearchInvalid", testSearchInvalid},
}

func searchHits(t *testing.T, s *meta.Store, text string, sc meta.SearchScope, limit int) []meta.SearchHit {
	t.Helper()
	hs, err := s.Search(t.Context(), text, sc, limit)
	if err != nil {
		t.Fatalf("Search(%q, %+v): %v", text, sc, err)
	}
	return hs
}

// hitLabels names hits as kind:entity/project/name[:vN|#id]/match.
func hitLabels(hs []meta.SearchHit) []string {
	out := []string{}
	for _, h := range hs {
		l := h.Kind + ":" + h.Entity + "/" + h.Project + "/" + h.Name
		switch h.Kind {
		case meta.HitVersion:
			l += ":v" + string(rune('0'+h.Index))
		case meta.HitRun:
			l += "#" + h.RunID
		}
		out = append(out, l+"/"+h.Match)
	}
	return out
}

func searchWorld(t *testing.T, s *meta.Store) (secret core.Version) {
	t.Helper()
	ctx := t.Context()
	createUser(t, s, "alice", false)
	createUser(t, s, "bob", false)
	if _, err := s.CreateTeam(ctx, "acme", "bob", t0); err != nil {
		t.Fatal(err)
	}
	put := func(entity, project, name, content string, aliases ...string) core.Version {
		t.Helper()
		v, _, err := s.CommitVersion(ctx, meta.Commit{Entity: entity, Project: project, Name: name, Type: "dataset",
			Manifest: manifest(t, "f", content), Aliases: aliases, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	run := func(entity, project, id, name string) {
		t.Helper()
		if _, err := s.CreateRun(ctx, meta.NewRun{ID: id, Entity: entity, Project: project, Name: name, Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	secret = put("alice", "secret", "mnist-private", "private bytes", "best")
	run("alice", "secret", "privrun1", "secret-run")
	put("alice", "open", "mnist-public", "public bytes", "best")
	run("alice", "open", "pubrun1", "public-run")
	if err := s.SetProjectPublic(ctx, "alice", "open", true); err != nil {
		t.Fatal(err)
	}
	put("acme", "shared", "mnist-team", "team bytes")
	run("acme", "shared", "teamrun1", "team-run")
	put("registry", "model", "mnist-reg", "public bytes")
	return secret
}

// testSearchAccess: a user finds what it may read (its own projects, its
// teams', public ones, registries) and nothing else, by any way of
// searching; the scope "everything" finds all.
func testSearchAccess(t *testing.T, s *meta.Store) {
	secret := searchWorld(t, s)
	bob := meta.SearchScope{User: "bob"}
	alice := meta.SearchScope{User: "alice"}
	all := meta.SearchScope{All: true}
	anon := meta.SearchScope{}

	wantEqual(t, "bob mnist", hitLabels(searchHits(t, s, "MNIST", bob, 20)), []string{
		"artifact:acme/shared/mnist-team/prefix",
		"artifact:alice/open/mnist-public/prefix",
		"artifact:registry/model/mnist-reg/prefix",
	})
	wantEqual(t, "alice mnist", hitLabels(searchHits(t, s, "mnist", alice, 20)), []string{
		"artifact:alice/open/mnist-public/prefix",
		"artifact:alice/secret/mnist-private/prefix",
		"artifact:registry/model/mnist-reg/prefix",
	})
	wantEqual(t, "anonymous mnist", hitLabels(searchHits(t, s, "mnist", anon, 20)), []string{
		"artifact:alice/open/mnist-public/prefix",
	})
	if n := len(searchHits(t, s, "mnist", all, 20)); n != 4 {
		t.Errorf("everything: %d artifacts, want 4", n)
	}
	// Private things stay hidden by every way in.
	dig := strings.TrimPrefix(secret.Digest.String(), core.DigestPrefix)
	for _, text := range []string{"secret", "secret-run", "privrun1", dig[:6], dig, secret.Digest.String(), "mnist-private:v0", "mnist-private:best", "mnist-priv"} {
		if hs := searchHits(t, s, text, bob, 100); len(hs) != 0 {
			t.Errorf("bob finds %q: %v", text, hitLabels(hs))
		}
		if hs := searchHits(t, s, text, alice, 100); len(hs) == 0 {
			t.Errorf("alice does not find %q", text)
		}
	}
	// The alias "best" is on a private and a public version: bob sees one.
	wantEqual(t, "bob best", hitLabels(searchHits(t, s, "best", bob, 20)), []string{"version:alice/open/mnist-public:v0/exact"})
	wantEqual(t, "bob runs", hitLabels(searchHits(t, s, "team-run", bob, 20)), []string{"run:acme/shared/team-run#teamrun1/exact"})
	wantEqual(t, "alice team run", hitLabels(searchHits(t, s, "team-run", alice, 20)), []string{})
	wantEqual(t, "bob run id", hitLabels(searchHits(t, s, "pubrun1", bob, 20)), []string{"run:alice/open/public-run#pubrun1/exact"})
	// A digest shared by a private and a registry version: bob sees the
	// registry's only.
	pub := searchHits(t, s, digestOf(t, s, "public bytes")[:8], bob, 20)
	wantEqual(t, "bob digest", hitLabels(pub), []string{
		"version:alice/open/mnist-public:v0/prefix",
		"version:registry/model/mnist-reg:v0/prefix",
	})
}

// digestOf is the hex of the manifest digest of the one-file manifest
// holding content at "f".
func digestOf(t *testing.T, s *meta.Store, content string) string {
	t.Helper()
	return strings.TrimPrefix(manifest(t, "f", content).Digest().String(), core.DigestPrefix)
}

// testSearchRanking: exact before prefix before substring, projects
// before artifacts before versions before runs; limit cuts after ranking.
func testSearchRanking(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for _, pr := range []string{"my-mnist", "mnist-x", "mnist"} {
		if _, _, err := s.CommitVersion(ctx, meta.Commit{Entity: "zoe", Project: pr, Name: "data-" + pr, Type: "dataset",
			Manifest: manifest(t, "f", pr), Now: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r1", Entity: "zoe", Project: "mnist", Name: "mnist", Now: t0}); err != nil {
		t.Fatal(err)
	}
	all := meta.SearchScope{All: true}
	wantEqual(t, "ranking", hitLabels(searchHits(t, s, "mnist", all, 20)), []string{
		"project:zoe/mnist/mnist/exact",
		"run:zoe/mnist/mnist#r1/exact",
		"project:zoe/mnist-x/mnist-x/prefix",
		"project:zoe/my-mnist/my-mnist/substring",
		"artifact:zoe/mnist/data-mnist/substring",
		"artifact:zoe/mnist-x/data-mnist-x/substring",
		"artifact:zoe/my-mnist/data-my-mnist/substring",
	})
	wantEqual(t, "limit 2", hitLabels(searchHits(t, s, "mnist", all, 2)), []string{
		"project:zoe/mnist/mnist/exact",
		"run:zoe/mnist/mnist#r1/exact",
	})
	// LIKE's wildcards are plain characters.
	for _, text := range []string{"%", "_", `\`, "m_ist"} {
		if hs := searchHits(t, s, text, all, 20); len(hs) != 0 {
			t.Errorf("%q finds %v", text, hitLabels(hs))
		}
	}
}

// testSearchVersions: name:vN, name:alias, alias prefix, digest prefix;
// deleted versions are not found; hits carry the version's aliases.
func testSearchVersions(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	v0 := commit(t, s, "Digits", "", manifest(t, "a", "0"), "prod")
	v1 := commit(t, s, "Digits", "", manifest(t, "a", "1"), "staging")
	all := meta.SearchScope{All: true}
	hs := searchHits(t, s, "digits:v1", all, 20)
	wantEqual(t, "digits:v1", hitLabels(hs), []string{"version:team/mnist/Digits:v1/exact"})
	wantEqual(t, "aliases", hs[0].Aliases, []string{"latest", "staging"})
	wantEqual(t, "type", hs[0].Type, "dataset")
	wantEqual(t, "digits:prod", hitLabels(searchHits(t, s, "mnist/Digits:PROD", all, 20)), []string{"version:team/mnist/Digits:v0/exact"})
	wantEqual(t, "alias prefix", hitLabels(searchHits(t, s, "stag", all, 20)), []string{"version:team/mnist/Digits:v1/prefix"})
	d1 := strings.TrimPrefix(v1.Digest.String(), core.DigestPrefix)
	hs = searchHits(t, s, strings.ToUpper(d1[:10]), all, 20)
	wantEqual(t, "digest prefix", hitLabels(hs), []string{"version:team/mnist/Digits:v1/prefix"})
	wantEqual(t, "digest", hs[0].Digest, v1.Digest.String())
	wantEqual(t, "full digest", hitLabels(searchHits(t, s, v1.Digest.String(), all, 20)), []string{"version:team/mnist/Digits:v1/exact"})
	// Five hex digits are no digest prefix.
	if hs := searchHits(t, s, d1[:5], all, 20); len(hs) != 0 {
		t.Errorf("5 hex digits find %v", hitLabels(hs))
	}
	if err := s.DeleteVersion(ctx, v0.ID, true); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"digits:v0", "prod", strings.TrimPrefix(v0.Digest.String(), core.DigestPrefix)[:8]} {
		if hs := searchHits(t, s, text, all, 20); len(hs) != 0 {
			t.Errorf("deleted version found by %q: %v", text, hitLabels(hs))
		}
	}
	wantEqual(t, "artifact with a version", hitLabels(searchHits(t, s, "digits", all, 20)), []string{"artifact:team/mnist/Digits/exact"})
	if err := s.DeleteVersion(ctx, v1.ID, true); err != nil {
		t.Fatal(err)
	}
	if hs := searchHits(t, s, "digits", all, 20); len(hs) != 0 {
		t.Errorf("an artifact without versions is found: %v", hitLabels(hs))
	}
}

func testSearchInvalid(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	for _, c := range []struct {
		text  string
		limit int
	}{
		{"", 20}, {"   ", 20}, {"x", 0}, {"x", meta.MaxSearchLimit + 1}, {"x", -1},
		{strings.Repeat("a", 257), 20}, {"a\x00b", 20}, {"a\nb", 20}, {"\xff", 20},
	} {
		hs, err := s.Search(ctx, c.text, meta.SearchScope{All: true}, c.limit)
		if hs != nil {
			t.Errorf("Search(%q, %d) = %v", c.text, c.limit, hs)
		}
		wantKind(t, err, core.ErrInvalid)
	}
}
