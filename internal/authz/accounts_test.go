package authz_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

func TestNewKey(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		key, hash, prefix, err := authz.NewKey()
		if err != nil {
			t.Fatal(err)
		}
		body, ok := strings.CutPrefix(key, authz.KeyPrefix)
		if !ok || len(body) < 28 { // 28 base62 characters ≈ 167 bits
			t.Fatalf("key %q: want %q and at least 28 characters", key, authz.KeyPrefix)
		}
		for _, c := range body {
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
				t.Fatalf("key %q: %q is not base62", key, c)
			}
		}
		if hash != authz.HashKey(key) || prefix != key[:12] {
			t.Fatalf("key %q: hash or prefix %q does not match", key, prefix)
		}
		if seen[key] {
			t.Fatalf("key %q drawn twice", key)
		}
		seen[key] = true
	}
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	good := w.keys["owner"]
	p, err := authz.Authenticate(ctx, w.st, good)
	if err != nil || p.User.Name != "owner" || p.User.Admin || p.KeyID == 0 {
		t.Fatalf("good key: %+v, %v", p, err)
	}
	unknown, _, _, _ := authz.NewKey()
	for name, key := range map[string]string{
		"empty":            "",
		"unknown":          unknown,
		"no prefix":        strings.TrimPrefix(good, authz.KeyPrefix),
		"other prefix":     "ghp_" + strings.TrimPrefix(good, authz.KeyPrefix),
		"prefix only":      authz.KeyPrefix,
		"bad character":    good[:len(good)-1] + "!",
		"trailing newline": good + "\n",
		"very long":        good + strings.Repeat("a", 1000),
		"bearer included":  "Bearer " + good,
	} {
		_, err := authz.Authenticate(ctx, w.st, key)
		wantKind(t, name, err, core.ErrUnauthenticated)
	}

	// A second key works alongside the first; revoking one leaves the other.
	k2, key2, err := w.acc.CreateKey(ctx, w.p["owner"], "owner", "laptop")
	if err != nil {
		t.Fatal(err)
	}
	if k2.Prefix != key2[:12] || k2.Label != "laptop" || k2.User != "owner" {
		t.Errorf("CreateKey: %+v", k2)
	}
	if err := w.acc.RevokeKey(ctx, w.p["owner"], "owner", p.KeyID); err != nil {
		t.Fatal(err)
	}
	_, err = authz.Authenticate(ctx, w.st, good)
	wantKind(t, "revoked key", err, core.ErrUnauthenticated)
	if p2, err := authz.Authenticate(ctx, w.st, key2); err != nil || p2.KeyID != k2.ID {
		t.Errorf("other key after revocation: %+v, %v", p2, err)
	}
	keys, err := w.acc.ListKeys(ctx, w.p["owner"], "owner")
	if err != nil || len(keys) != 2 || keys[0].RevokedAt == nil || keys[1].RevokedAt != nil {
		t.Errorf("ListKeys: %+v, %v", keys, err)
	}
}

func TestAccountsPermissions(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	owner, stranger, admin := w.p["owner"], w.p["stranger"], w.p["admin"]

	_, _, err := w.acc.CreateUser(ctx, owner, "eve", false)
	wantKind(t, "non-admin creates a user", err, core.ErrPermission)
	_, _, err = w.acc.CreateUser(ctx, owner, "eve", true)
	wantKind(t, "non-admin creates an admin", err, core.ErrPermission)
	_, err = w.acc.ListUsers(ctx, owner)
	wantKind(t, "non-admin lists users", err, core.ErrPermission)
	_, _, err = w.acc.CreateKey(ctx, stranger, "owner", "stolen")
	wantKind(t, "stranger creates a key for owner", err, core.ErrPermission)
	_, err = w.acc.ListKeys(ctx, stranger, "owner")
	wantKind(t, "stranger lists owner's keys", err, core.ErrPermission)
	err = w.acc.RevokeKey(ctx, stranger, "owner", owner.KeyID)
	wantKind(t, "stranger revokes owner's key", err, core.ErrPermission)
	if _, err := authz.Authenticate(ctx, w.st, w.keys["owner"]); err != nil {
		t.Errorf("owner's key after a refused revocation: %v", err)
	}
	// Key ids are per user: the stranger cannot revoke the owner's key by id
	// through its own account either.
	err = w.acc.RevokeKey(ctx, stranger, "stranger", owner.KeyID)
	wantKind(t, "stranger revokes owner's key id as its own", err, core.ErrNotFound)
	if _, err := authz.Authenticate(ctx, w.st, w.keys["owner"]); err != nil {
		t.Errorf("owner's key after a refused revocation: %v", err)
	}
	if us, _ := w.st.ListUsers(ctx); len(us) != 1+len(users) {
		t.Errorf("refused calls changed the users: %v", us)
	}

	// Site admins may do all of it.
	u, key, err := w.acc.CreateUser(ctx, admin, "eve", false)
	if err != nil || u.Name != "eve" || u.Admin {
		t.Fatalf("admin creates eve: %+v, %v", u, err)
	}
	w.login("eve", key)
	if err := w.acc.RevokeKey(ctx, admin, "eve", w.p["eve"].KeyID); err != nil {
		t.Fatal(err)
	}
	if _, err := authz.Authenticate(ctx, w.st, key); kindOf(err) != core.ErrUnauthenticated {
		t.Errorf("eve's key revoked by admin: %v", err)
	}
	if _, _, err := w.acc.CreateKey(ctx, admin, "eve", "new"); err != nil {
		t.Errorf("admin creates eve's key: %v", err)
	}
	if us, err := w.acc.ListUsers(ctx, admin); err != nil || len(us) != 2+len(users) {
		t.Errorf("ListUsers: %v, %v", us, err)
	}

	// Names.
	_, _, err = w.acc.CreateUser(ctx, admin, "eve", false)
	wantKind(t, "duplicate user", err, core.ErrConflict)
	_, _, err = w.acc.CreateUser(ctx, admin, "team", false)
	wantKind(t, "user named like a team", err, core.ErrConflict)
	_, err = w.acc.CreateTeam(ctx, owner, "eve")
	wantKind(t, "team named like a user", err, core.ErrConflict)
	for _, bad := range []string{"", "a/b", "..", "registry"} {
		if _, _, err := w.acc.CreateUser(ctx, admin, bad, false); !isInvalid(err) {
			t.Errorf("CreateUser(%q): %v, want invalid", bad, err)
		}
		if _, err := w.acc.CreateTeam(ctx, owner, bad); !isInvalid(err) {
			t.Errorf("CreateTeam(%q): %v, want invalid", bad, err)
		}
	}
}

func TestTeams(t *testing.T) {
	ctx := context.Background()
	w := newWorld(t)
	p := w.p
	members := func() string {
		t.Helper()
		ms, err := w.acc.Members(ctx, p["admin"], "team")
		if err != nil {
			t.Fatal(err)
		}
		var b strings.Builder
		for _, m := range ms {
			b.WriteString(m.User + ":" + string(m.Role) + " ")
		}
		return b.String()
	}
	start := members()
	if start != "tadmin:admin tmember:member tviewer:viewer " {
		t.Fatalf("members: %s", start)
	}
	// Members who are not its admins may not manage a team; to anyone
	// else the team is not there, exactly as a team that does not exist.
	noTeam := func(name string) string { return core.Errorf(core.ErrNotFound, "team %q not found", name).Error() }
	for _, who := range []string{"tviewer", "tmember", "stranger", "owner"} {
		want := core.ErrPermission
		if who == "stranger" || who == "owner" {
			want = core.ErrNotFound
		}
		err := w.acc.SetMember(ctx, p[who], "team", "stranger", meta.RoleViewer)
		wantKind(t, who+" adds a member", err, want)
		err = w.acc.SetMember(ctx, p[who], "team", who, meta.RoleAdmin)
		wantKind(t, who+" promotes itself", err, want)
		err = w.acc.RemoveMember(ctx, p[who], "team", "tadmin")
		wantKind(t, who+" removes the admin", err, want)
		if want == core.ErrNotFound && err.Error() != noTeam("team") {
			t.Errorf("%s removes the admin: %q, want %q", who, err, noTeam("team"))
		}
	}
	if got := members(); got != start {
		t.Errorf("refused calls changed the team: %s", got)
	}
	for _, who := range []string{"stranger", "owner"} {
		_, hidden := w.acc.Members(ctx, p[who], "team")
		_, missing := w.acc.Members(ctx, p[who], "no-such-team")
		wantKind(t, who+" lists members", hidden, core.ErrNotFound)
		wantKind(t, who+" lists the members of no team", missing, core.ErrNotFound)
		if hidden != nil && missing != nil && (hidden.Error() != noTeam("team") || missing.Error() != noTeam("no-such-team")) {
			t.Errorf("%s lists members: %q and %q, want the same answer for both teams", who, hidden, missing)
		}
	}
	var err error
	if _, err := w.acc.Members(ctx, p["tviewer"], "team"); err != nil {
		t.Errorf("viewer lists members: %v", err)
	}
	_, err = w.acc.Members(ctx, p["tviewer"], "owner")
	wantKind(t, "members of a user", err, core.ErrNotFound)
	err = w.acc.SetMember(ctx, p["admin"], "nope", "owner", meta.RoleViewer)
	wantKind(t, "SetMember on a missing team", err, core.ErrNotFound)
	if err := w.acc.SetMember(ctx, p["tadmin"], "team", "owner", "boss"); !isInvalid(err) {
		t.Errorf("bad role: %v", err)
	}

	// The last admin cannot leave or be demoted; with a second admin it can.
	err = w.acc.RemoveMember(ctx, p["tadmin"], "team", "tadmin")
	wantKind(t, "last admin leaves", err, core.ErrConflict)
	err = w.acc.SetMember(ctx, p["admin"], "team", "tadmin", meta.RoleMember)
	wantKind(t, "last admin demoted", err, core.ErrConflict)
	if err := w.acc.SetMember(ctx, p["tadmin"], "team", "tmember", meta.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := w.acc.SetMember(ctx, p["tmember"], "team", "tadmin", meta.RoleViewer); err != nil {
		t.Fatal(err)
	}
	if err := w.acc.SetMember(ctx, p["admin"], "team", "stranger", meta.RoleMember); err != nil {
		t.Fatal(err)
	}
	if got := members(); got != "stranger:member tadmin:viewer tmember:admin tviewer:viewer " {
		t.Errorf("members: %s", got)
	}
	if a, _ := authz.ProjectAccess(ctx, w.st, p["stranger"], "team", "priv"); a != authz.Write {
		t.Errorf("new member's access: %v", a)
	}

	// Visibility needs Admin access to the project.
	for who, want := range map[string]error{"tviewer": core.ErrPermission, "tadmin": core.ErrPermission, "owner": core.ErrNotFound} {
		err := w.acc.SetProjectPublic(ctx, p[who], "team", "priv", true)
		wantKind(t, who+" makes the team project public", err, want)
	}
	if pub, _ := w.st.ProjectPublic(ctx, "team", "priv"); pub {
		t.Error("refused calls made the project public")
	}
	if err := w.acc.SetProjectPublic(ctx, p["tmember"], "team", "priv", true); err != nil {
		t.Errorf("team admin makes a project public: %v", err)
	}
	err = w.acc.SetProjectPublic(ctx, p["stranger"], "owner", "pub", false)
	wantKind(t, "stranger makes a public project private", err, core.ErrPermission)
}

func TestBootstrap(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "trove.db"))
	acc := authz.NewAccounts(st)
	data := filepath.Join(dir, "data", "nested")

	created, keyFile, err := acc.Bootstrap(ctx, data)
	if err != nil || !created || keyFile != filepath.Join(data, "admin-api-key") {
		t.Fatalf("Bootstrap: %v, %s, %v", created, keyFile, err)
	}
	fi, err := os.Stat(keyFile)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v", fi.Mode(), err)
	}
	if di, err := os.Stat(data); err != nil || di.Mode().Perm() != 0o700 {
		t.Errorf("data directory: %v, %v", di.Mode(), err)
	}
	key := readKey(t, keyFile)
	p, err := authz.Authenticate(ctx, st, key)
	if err != nil || p.User.Name != "admin" || !p.User.Admin {
		t.Fatalf("admin key: %+v, %v", p, err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 {
		t.Errorf("data directory holds %d files, want only the key", len(entries))
	}

	// Again: nothing happens.
	created, _, err = acc.Bootstrap(ctx, data)
	if err != nil || created || readKey(t, keyFile) != key {
		t.Errorf("second Bootstrap: %v, %v", created, err)
	}
	// A lost key file is not silently replaced.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	created, _, err = acc.Bootstrap(ctx, data)
	if err != nil || created {
		t.Errorf("Bootstrap without key file: %v, %v", created, err)
	}
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("a new key file appeared: %v", err)
	}
	if keys, err := st.ListAPIKeys(ctx, "admin"); err != nil || len(keys) != 1 {
		t.Errorf("admin keys: %v, %v", keys, err)
	}
}

// TestBootstrapConcurrent starts several "servers", each with its own
// connection to one database, at once: one admin is created, and the key
// file holds its key.
func TestBootstrapConcurrent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, data := filepath.Join(dir, "trove.db"), filepath.Join(dir, "data")
	const servers = 4
	stores := make([]*meta.Store, servers)
	for i := range stores {
		stores[i] = openStore(t, db)
	}
	var wg sync.WaitGroup
	createdBy := make([]bool, servers)
	errs := make([]error, servers)
	for i, st := range stores {
		wg.Go(func() { createdBy[i], _, errs[i] = authz.NewAccounts(st).Bootstrap(ctx, data) })
	}
	wg.Wait()
	n := 0
	for i := range stores {
		if errs[i] != nil {
			t.Errorf("server %d: %v", i, errs[i])
		}
		if createdBy[i] {
			n++
		}
	}
	if n != 1 {
		t.Errorf("%d servers created the admin, want 1", n)
	}
	if c, err := stores[0].CountUsers(ctx); err != nil || c != 1 {
		t.Errorf("users: %d, %v", c, err)
	}
	if keys, err := stores[0].ListAPIKeys(ctx, "admin"); err != nil || len(keys) != 1 {
		t.Errorf("admin keys: %v, %v", keys, err)
	}
	if _, err := authz.Authenticate(ctx, stores[0], readKey(t, filepath.Join(data, "admin-api-key"))); err != nil {
		t.Errorf("key file: %v", err)
	}
	if entries, _ := os.ReadDir(data); len(entries) != 1 {
		t.Errorf("data directory holds %d files, want only the key", len(entries))
	}
}

// TestBootstrapRecoversKeylessAdmin: a crash between creating admin and
// storing its key leaves admin without any key; the next start gives it
// one instead of locking everybody out.
func TestBootstrapRecoversKeylessAdmin(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st := openStore(t, filepath.Join(dir, "trove.db"))
	if _, err := st.CreateUser(ctx, "admin", true, time.Now()); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	created, keyFile, err := authz.NewAccounts(st).Bootstrap(ctx, data)
	if err != nil || !created {
		t.Fatalf("Bootstrap of a keyless admin: %v, %v", created, err)
	}
	p, err := authz.Authenticate(ctx, st, readKey(t, keyFile))
	if err != nil || p.User.Name != "admin" {
		t.Fatalf("recovered key: %+v, %v", p, err)
	}
}
