package metatest

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// accountsTests are the subtests of the accounts part of the store.
var accountsTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"AccountsUsers", testAccountsUsers},
	{"AccountsAdoptEntity", testAccountsAdoptEntity},
	{"AccountsNames", testAccountsNames},
	{"AccountsConcurrentCreateUser", testAccountsConcurrentCreateUser},
	{"AccountsFirstKey", testAccountsFirstKey},
	{"AccountsKeys", testAccountsKeys},
	{"AccountsTeams", testAccountsTeams},
	{"AccountsVisibility", testAccountsVisibility},
	{"AccountsDigestProjects", testAccountsDigestProjects},
	{"AccountsNamesUpToCase", testAccountsNamesUpToCase},
}

func createUser(t *testing.T, s *meta.Store, name string, admin bool) meta.User {
	t.Helper()
	u, err := s.CreateUser(t.Context(), name, admin, t0)
	if err != nil {
		t.Fatalf("CreateUser(%s): %v", name, err)
	}
	return u
}

func keyHash(key string) [32]byte { return sha256.Sum256([]byte(key)) }

func testAccountsUsers(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	n, err := s.CountUsers(ctx)
	if err != nil || n != 0 {
		t.Fatalf("CountUsers on a fresh store = %d, %v", n, err)
	}
	users, err := s.ListUsers(ctx)
	if err != nil || users == nil || len(users) != 0 {
		t.Fatalf("ListUsers on a fresh store = %#v, %v; want an empty slice", users, err)
	}

	bob := createUser(t, s, "bob", true)
	alice, err := s.CreateUser(ctx, "alice", false, at(1))
	if err != nil {
		t.Fatal(err)
	}
	if alice.ID == 0 || alice.ID == bob.ID {
		t.Errorf("ids: alice %d, bob %d", alice.ID, bob.ID)
	}
	wantEqual(t, "alice", alice, meta.User{ID: alice.ID, Name: "alice", Admin: false, CreatedAt: at(1)})
	wantEqual(t, "bob", bob, meta.User{ID: bob.ID, Name: "bob", Admin: true, CreatedAt: t0})
	got, err := s.GetUser(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "GetUser(alice)", got, alice)
	got, err = s.GetUser(ctx, "bob")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "GetUser(bob)", got, bob)
	_, err = s.GetUser(ctx, "carol")
	wantKind(t, err, core.ErrNotFound)

	users, err = s.ListUsers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "ListUsers", users, []meta.User{alice, bob})
	n, err = s.CountUsers(ctx)
	if err != nil || n != 2 {
		t.Errorf("CountUsers = %d, %v; want 2", n, err)
	}

	e, err := s.GetEntity(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "alice's entity", e, meta.Entity{Name: "alice", Kind: meta.EntityUser, CreatedAt: at(1)})
	_, err = s.GetEntity(ctx, "nobody")
	wantKind(t, err, core.ErrNotFound)

	for _, name := range []string{"", "a/b", "..", "sp ace", "registry"} {
		_, err := s.CreateUser(ctx, name, false, t0)
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("CreateUser(%q): error %v, want invalid", name, err)
		}
	}
	_, err = s.CreateUser(ctx, "alice", true, t0)
	wantKind(t, err, core.ErrConflict)
	got, err = s.GetUser(ctx, "alice")
	if err != nil || got.Admin {
		t.Errorf("alice after a conflicting create: %+v, %v; want unchanged", got, err)
	}
	n, err = s.CountUsers(ctx)
	if err != nil || n != 2 {
		t.Errorf("CountUsers after refused creates = %d, %v; want 2", n, err)
	}
}

// testAccountsAdoptEntity: an entity made by logging, before any account
// had its name, becomes the personal entity of the user of that name.
func testAccountsAdoptEntity(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r1", Entity: "carol", Project: "old", Now: t0}); err != nil {
		t.Fatal(err)
	}
	e, err := s.GetEntity(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "logged entity", e, meta.Entity{Name: "carol", Kind: meta.EntityNone, CreatedAt: t0})
	u, err := s.CreateUser(ctx, "carol", false, at(5))
	if err != nil {
		t.Fatalf("CreateUser on a kind-less entity: %v", err)
	}
	wantEqual(t, "user", u, meta.User{ID: u.ID, Name: "carol", CreatedAt: at(5)})
	e, err = s.GetEntity(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "adopted entity", e, meta.Entity{Name: "carol", Kind: meta.EntityUser, CreatedAt: t0})
	ps, err := s.ListProjects(ctx, "carol")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "carol's projects", ps, []string{"old"})
	_, err = s.CreateUser(ctx, "carol", false, at(6))
	wantKind(t, err, core.ErrConflict)
}

// testAccountsNames: users and teams share one namespace.
func testAccountsNames(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "alice", false)
	team, err := s.CreateTeam(ctx, "ml", "alice", at(2))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "team", team, meta.Entity{Name: "ml", Kind: meta.EntityTeam, CreatedAt: at(2)})
	e, err := s.GetEntity(ctx, "ml")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "GetEntity(ml)", e, team)

	_, err = s.CreateUser(ctx, "ml", false, t0)
	wantKind(t, err, core.ErrConflict)
	_, err = s.CreateTeam(ctx, "alice", "alice", t0)
	wantKind(t, err, core.ErrConflict)
	_, err = s.CreateTeam(ctx, "ml", "alice", t0)
	wantKind(t, err, core.ErrConflict)
	// A kind-less entity is not handed to a team's creator.
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r1", Entity: "legacy", Project: "p", Now: t0}); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateTeam(ctx, "legacy", "alice", t0)
	wantKind(t, err, core.ErrConflict)
	_, err = s.CreateTeam(ctx, "other", "nobody", t0)
	wantKind(t, err, core.ErrNotFound)
	for _, name := range []string{"", "x/y", "registry"} {
		_, err := s.CreateTeam(ctx, name, "alice", t0)
		if !errors.Is(err, core.ErrInvalid) {
			t.Errorf("CreateTeam(%q): error %v, want invalid", name, err)
		}
	}
	for _, name := range []string{"other", "legacy"} {
		if e, err := s.GetEntity(ctx, name); name == "other" && !errors.Is(err, core.ErrNotFound) {
			t.Errorf("GetEntity(other) after refused creates = %+v, %v", e, err)
		} else if name == "legacy" && (err != nil || e.Kind != meta.EntityNone) {
			t.Errorf("GetEntity(legacy) = %+v, %v; want kind-less", e, err)
		}
	}
	n, err := s.CountUsers(ctx)
	if err != nil || n != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", n, err)
	}
}

// testAccountsConcurrentCreateUser: servers bootstrapping at once create one
// admin between them; the others see a conflict.
func testAccountsConcurrentCreateUser(t *testing.T, s *meta.Store) {
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { _, errs[i] = s.CreateUser(t.Context(), "admin", true, t0) })
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, core.ErrConflict):
			t.Errorf("concurrent CreateUser: %v, want nil or a conflict", err)
		}
	}
	wantEqual(t, "successful creates", ok, 1)
	c, err := s.CountUsers(t.Context())
	if err != nil || c != 1 {
		t.Errorf("CountUsers = %d, %v; want 1", c, err)
	}
}

// testAccountsFirstKey: of servers racing to give a new user its first key,
// exactly one succeeds; a user that ever had a key gets no "first" key.
func testAccountsFirstKey(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "admin", true)
	const n = 8
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.CreateFirstAPIKey(ctx, "admin", keyHash(fmt.Sprint("first", i)), "trove_fir", "initial", t0)
		})
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, core.ErrConflict):
			t.Errorf("concurrent CreateFirstAPIKey: %v, want nil or a conflict", err)
		}
	}
	wantEqual(t, "successful first keys", ok, 1)
	keys, err := s.ListAPIKeys(ctx, "admin")
	if err != nil || len(keys) != 1 {
		t.Fatalf("ListAPIKeys = %v, %v; want one key", keys, err)
	}
	if err := s.RevokeAPIKey(ctx, "admin", keys[0].ID, at(1)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFirstAPIKey(ctx, "admin", keyHash("again"), "trove_aga", "", at(2)); !errors.Is(err, core.ErrConflict) {
		t.Errorf("CreateFirstAPIKey after a revoked key: %v, want a conflict", err)
	}
	if _, err := s.CreateFirstAPIKey(ctx, "nobody", keyHash("x"), "x", "", t0); !errors.Is(err, core.ErrNotFound) {
		t.Errorf("CreateFirstAPIKey for an unknown user: %v, want not found", err)
	}
	if keys, _ := s.ListAPIKeys(ctx, "admin"); len(keys) != 1 {
		t.Errorf("keys after refused first keys: %d, want 1", len(keys))
	}
}

func testAccountsKeys(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "alice", false)
	bob := createUser(t, s, "bob", true)
	h1, h2, h3 := keyHash("trove_one"), keyHash("trove_two"), keyHash("trove_three")

	keys, err := s.ListAPIKeys(ctx, "alice")
	if err != nil || keys == nil || len(keys) != 0 {
		t.Fatalf("ListAPIKeys before any key = %#v, %v; want an empty slice", keys, err)
	}
	k1, err := s.CreateAPIKey(ctx, "alice", h1, "trove_one", "laptop", at(1))
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "k1", k1, meta.APIKey{ID: k1.ID, User: "alice", Prefix: "trove_one", Label: "laptop", CreatedAt: at(1)})
	k2, err := s.CreateAPIKey(ctx, "alice", h2, "trove_two", "", at(2))
	if err != nil {
		t.Fatal(err)
	}
	kb, err := s.CreateAPIKey(ctx, "bob", h3, "trove_thr", "ci", at(3))
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateAPIKey(ctx, "nobody", keyHash("x"), "x", "", t0)
	wantKind(t, err, core.ErrNotFound)
	_, err = s.CreateAPIKey(ctx, "bob", h1, "trove_one", "stolen", t0)
	wantKind(t, err, core.ErrConflict)

	u, k, err := s.UserByKeyHash(ctx, h1)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "user of k1", u, alice)
	wantEqual(t, "k1 by hash", k, k1)
	u, k, err = s.UserByKeyHash(ctx, h3)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "user of kb", u, bob)
	wantEqual(t, "kb by hash", k, kb)
	_, _, err = s.UserByKeyHash(ctx, keyHash("unknown"))
	wantKind(t, err, core.ErrNotFound)

	keys, err = s.ListAPIKeys(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "alice's keys", keys, []meta.APIKey{k1, k2})

	if err := s.RevokeAPIKey(ctx, "alice", k1.ID, at(10)); err != nil {
		t.Fatal(err)
	}
	_, _, err = s.UserByKeyHash(ctx, h1)
	wantKind(t, err, core.ErrNotFound)
	if u, _, err := s.UserByKeyHash(ctx, h2); err != nil || u.Name != "alice" {
		t.Errorf("k2 after revoking k1: %+v, %v", u, err)
	}
	// Revoking twice is fine and keeps the first time.
	if err := s.RevokeAPIKey(ctx, "alice", k1.ID, at(20)); err != nil {
		t.Errorf("revoking twice: %v", err)
	}
	keys, err = s.ListAPIKeys(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	revoked := at(10)
	k1.RevokedAt = &revoked
	wantEqual(t, "alice's keys after revoking k1", keys, []meta.APIKey{k1, k2})

	// Another user's key, an unknown key, an unknown user: not found.
	err = s.RevokeAPIKey(ctx, "alice", kb.ID, at(11))
	wantKind(t, err, core.ErrNotFound)
	err = s.RevokeAPIKey(ctx, "alice", 987654, at(11))
	wantKind(t, err, core.ErrNotFound)
	err = s.RevokeAPIKey(ctx, "nobody", k2.ID, at(11))
	wantKind(t, err, core.ErrNotFound)
	if _, _, err := s.UserByKeyHash(ctx, h3); err != nil {
		t.Errorf("bob's key after a refused revoke: %v", err)
	}
	_, err = s.ListAPIKeys(ctx, "nobody")
	wantKind(t, err, core.ErrNotFound)
}

func testAccountsTeams(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "alice", false)
	createUser(t, s, "bob", false)
	createUser(t, s, "carol", false)
	if _, err := s.CreateTeam(ctx, "ml", "bob", t0); err != nil {
		t.Fatal(err)
	}
	members := func() []meta.Member {
		t.Helper()
		ms, err := s.Members(ctx, "ml")
		if err != nil {
			t.Fatal(err)
		}
		return ms
	}
	wantEqual(t, "members of a new team", members(), []meta.Member{{User: "bob", Role: meta.RoleAdmin}})
	role, err := s.MemberRole(ctx, "ml", "bob")
	if err != nil || role != meta.RoleAdmin {
		t.Errorf("creator's role = %q, %v; want admin", role, err)
	}

	if err := s.SetMember(ctx, "ml", "carol", meta.RoleMember); err != nil {
		t.Fatal(err)
	}
	if err := s.SetMember(ctx, "ml", "alice", meta.RoleViewer); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "members", members(), []meta.Member{
		{User: "alice", Role: meta.RoleViewer}, {User: "bob", Role: meta.RoleAdmin}, {User: "carol", Role: meta.RoleMember},
	})
	if err := s.SetMember(ctx, "ml", "alice", meta.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	role, err = s.MemberRole(ctx, "ml", "alice")
	if err != nil || role != meta.RoleAdmin {
		t.Errorf("alice's changed role = %q, %v; want admin", role, err)
	}

	err = s.SetMember(ctx, "ml", "alice", "owner")
	wantKind(t, err, core.ErrInvalid)
	err = s.SetMember(ctx, "nope", "alice", meta.RoleMember)
	wantKind(t, err, core.ErrNotFound)
	err = s.SetMember(ctx, "bob", "alice", meta.RoleMember) // a user, not a team
	wantKind(t, err, core.ErrNotFound)
	err = s.SetMember(ctx, "ml", "nobody", meta.RoleMember)
	wantKind(t, err, core.ErrNotFound)

	if err := s.RemoveMember(ctx, "ml", "carol"); err != nil {
		t.Fatal(err)
	}
	_, err = s.MemberRole(ctx, "ml", "carol")
	wantKind(t, err, core.ErrNotFound)
	err = s.RemoveMember(ctx, "ml", "carol")
	wantKind(t, err, core.ErrNotFound)
	err = s.RemoveMember(ctx, "nope", "bob")
	wantKind(t, err, core.ErrNotFound)
	wantEqual(t, "members after removing carol", members(), []meta.Member{
		{User: "alice", Role: meta.RoleAdmin}, {User: "bob", Role: meta.RoleAdmin},
	})

	_, err = s.MemberRole(ctx, "nope", "bob")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.MemberRole(ctx, "ml", "nobody")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.Members(ctx, "nope")
	wantKind(t, err, core.ErrNotFound)
	_, err = s.Members(ctx, "alice")
	wantKind(t, err, core.ErrNotFound)
}

func testAccountsVisibility(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	newRun(t, s, "r1", "alpha")
	public := func(entity, project string) bool {
		t.Helper()
		p, err := s.ProjectPublic(ctx, entity, project)
		if err != nil {
			t.Fatalf("ProjectPublic(%s/%s): %v", entity, project, err)
		}
		return p
	}
	wantEqual(t, "a new project is public", public(ent, proj), false)
	wantEqual(t, "an unknown project is public", public(ent, "unknown"), false)
	wantEqual(t, "a project of an unknown entity is public", public("nobody", proj), false)
	for _, c := range []struct {
		entity, project string
		want            bool
	}{{ent, proj, true}, {ent, "unknown", false}, {"nobody", proj, false}} {
		if got, err := s.ProjectExists(ctx, c.entity, c.project); err != nil || got != c.want {
			t.Errorf("ProjectExists(%s/%s) = %v, %v; want %v", c.entity, c.project, got, err, c.want)
		}
	}

	if err := s.SetProjectPublic(ctx, ent, proj, true); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "after making it public", public(ent, proj), true)
	if err := s.SetProjectPublic(ctx, ent, proj, true); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "after making it public twice", public(ent, proj), true)
	if err := s.SetProjectPublic(ctx, ent, proj, false); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "after making it private", public(ent, proj), false)

	// A missing project is created, in a kind-less entity if need be.
	if err := s.SetProjectPublic(ctx, "newco", "site", true); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "the created project is public", public("newco", "site"), true)
	ps, err := s.ListProjects(ctx, "newco")
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "newco's projects", ps, []string{"site"})
	if e, err := s.GetEntity(ctx, "newco"); err != nil || e.Kind != meta.EntityNone {
		t.Errorf("GetEntity(newco) = %+v, %v; want kind-less", e, err)
	}
	// Other projects of the entity stay private.
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r2", Entity: "newco", Project: "internal", Now: t0}); err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "newco/internal is public", public("newco", "internal"), false)

	err = s.SetProjectPublic(ctx, "bad/name", proj, true)
	wantKind(t, err, core.ErrInvalid)
	err = s.SetProjectPublic(ctx, ent, "..", true)
	wantKind(t, err, core.ErrInvalid)
}

func testAccountsDigestProjects(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	shared := manifest(t, "data.bin", "shared bytes", "readme", "hello")
	d := core.DigestOf([]byte("shared bytes"))
	put := func(entity, project, name string, m core.Manifest) core.Version {
		t.Helper()
		v, _, err := s.CommitVersion(ctx, meta.Commit{Entity: entity, Project: project, Name: name, Type: "dataset", Manifest: m, Now: t0})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	put("zed", "last", "d", shared)
	put("team", "b", "d", shared)
	put("team", "a", "d", shared)
	// Another manifest holding the same file, in a project listed already.
	put("team", "a", "other", manifest(t, "copy.bin", "shared bytes"))
	put("other", "c", "d", manifest(t, "x/data.bin", "shared bytes"))
	// A project whose only version with the file is deleted.
	gone := put("team", "gone", "d", shared)
	put("team", "gone", "d", manifest(t, "data.bin", "new bytes"))
	if err := s.DeleteVersion(ctx, gone.ID, false); err != nil {
		t.Fatal(err)
	}
	// A project with unrelated content.
	put("team", "unrelated", "d", manifest(t, "data.bin", "unrelated"))

	all := []meta.ProjectKey{{Entity: "other", Project: "c"}, {Entity: "team", Project: "a"}, {Entity: "team", Project: "b"}, {Entity: "zed", Project: "last"}}
	got, err := s.DigestProjects(ctx, d, 100)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "projects", got, all)
	got, err = s.DigestProjects(ctx, d, 2)
	if err != nil {
		t.Fatal(err)
	}
	wantEqual(t, "projects, limit 2", got, all[:2])
	got, err = s.DigestProjects(ctx, core.DigestOf([]byte("nowhere")), 10)
	if err != nil || got == nil || len(got) != 0 {
		t.Errorf("DigestProjects(unknown digest) = %#v, %v; want an empty slice", got, err)
	}
	_, err = s.DigestProjects(ctx, d, 0)
	wantKind(t, err, core.ErrInvalid)
}

// testAccountsNamesUpToCase: no user or team is named like another user or
// team up to case, also when they are created at once; logging to a
// kind-less entity named like an account up to case is no account.
func testAccountsNamesUpToCase(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	if _, err := s.CreateUser(ctx, "alice", false, t0); err != nil {
		t.Fatal(err)
	}
	_, err := s.CreateTeam(ctx, "Alice", "alice", t0)
	wantKind(t, err, core.ErrConflict)
	if !strings.Contains(fmt.Sprint(err), `"alice"`) {
		t.Errorf("refusal %q does not name the account it is like", err)
	}
	_, err = s.CreateUser(ctx, "ALICE", false, t0)
	wantKind(t, err, core.ErrConflict)
	if _, err := s.CreateTeam(ctx, "Vision", "alice", t0); err != nil {
		t.Fatal(err)
	}
	_, err = s.CreateUser(ctx, "vision", false, t0)
	wantKind(t, err, core.ErrConflict)
	_, err = s.CreateTeam(ctx, "VISION", "alice", t0)
	wantKind(t, err, core.ErrConflict)
	for _, name := range []string{"Alice", "ALICE", "vision", "VISION"} {
		if _, err := s.GetEntity(ctx, name); !errors.Is(err, core.ErrNotFound) {
			t.Errorf("refused %s exists: %v", name, err)
		}
	}
	// A kind-less entity (logged to) of a folded name is adopted by a user
	// of its exact name only; its case twin is still free for one account.
	if _, err := s.CreateRun(ctx, meta.NewRun{ID: "r1", Entity: "Bob", Project: "p", Now: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateUser(ctx, "bob", false, t0); err != nil {
		t.Fatalf("CreateUser(bob) beside the kind-less Bob: %v", err)
	}
	_, err = s.CreateUser(ctx, "Bob", false, t0)
	wantKind(t, err, core.ErrConflict)
	// Racing creators of names equal up to case: one wins.
	names := []string{"Carol", "carol", "CAROL", "cArOl"}
	errs := make([]error, len(names))
	var wg sync.WaitGroup
	for i, name := range names {
		wg.Go(func() {
			if i%2 == 0 {
				_, errs[i] = s.CreateUser(ctx, name, false, t0)
			} else {
				_, errs[i] = s.CreateTeam(ctx, name, "alice", t0)
			}
		})
	}
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, core.ErrConflict):
			t.Errorf("%s: %v, want success or conflict", names[i], err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %v were created, want 1 (%v)", won, names, errs)
	}
}
