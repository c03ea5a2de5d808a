package metatest

import (
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// sessionTests are the subtests of the browser sessions.
var sessionTests = []struct {
	name string
	fn   func(t *testing.T, s *meta.Store)
}{
	{"Sessions", testSessions},
	{"SessionsSweep", testSessionsSweep},
}

func createKey(t *testing.T, s *meta.Store, user, key string) meta.APIKey {
	t.Helper()
	k, err := s.CreateAPIKey(t.Context(), user, keyHash(key), key[:min(len(key), 9)], "", t0)
	if err != nil {
		t.Fatalf("CreateAPIKey(%s): %v", user, err)
	}
	return k
}

func createSession(t *testing.T, s *meta.Store, token string, keyID int64, now, expires int) {
	t.Helper()
	if err := s.CreateSession(t.Context(), keyHash(token), keyID, at(now), at(expires)); err != nil {
		t.Fatalf("CreateSession(%s): %v", token, err)
	}
}

// wantSession checks that token is a live session of user's key k at time
// sec.
func wantSession(t *testing.T, s *meta.Store, token string, sec int, user meta.User, k meta.APIKey) {
	t.Helper()
	u, got, err := s.SessionKey(t.Context(), keyHash(token), at(sec))
	if err != nil {
		t.Fatalf("SessionKey(%s) at %d: %v", token, sec, err)
	}
	wantEqual(t, "user of session "+token, u, user)
	wantEqual(t, "key of session "+token, got, k)
}

func wantNoSession(t *testing.T, s *meta.Store, token string, sec int) {
	t.Helper()
	_, _, err := s.SessionKey(t.Context(), keyHash(token), at(sec))
	wantKind(t, err, core.ErrNotFound)
}

func testSessions(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	alice := createUser(t, s, "alice", false)
	bob := createUser(t, s, "bob", true)
	k1, k2 := createKey(t, s, "alice", "trove_one"), createKey(t, s, "alice", "trove_two")
	kb := createKey(t, s, "bob", "trove_bob")

	createSession(t, s, "s1", k1.ID, 0, 100)
	createSession(t, s, "s2", k2.ID, 0, 100)
	createSession(t, s, "sb", kb.ID, 0, 100)
	wantSession(t, s, "s1", 1, alice, k1)
	wantSession(t, s, "s2", 99, alice, k2)
	wantSession(t, s, "sb", 1, bob, kb)
	// A session is dead from the moment it expires.
	wantNoSession(t, s, "s1", 100)
	wantNoSession(t, s, "never", 1)

	// Refused sessions store nothing.
	err := s.CreateSession(ctx, keyHash("s1"), k2.ID, at(1), at(200))
	wantKind(t, err, core.ErrConflict)
	wantSession(t, s, "s1", 1, alice, k1)
	err = s.CreateSession(ctx, keyHash("ghost"), 987654, at(1), at(200))
	wantKind(t, err, core.ErrNotFound)
	wantNoSession(t, s, "ghost", 2)
	for _, expires := range []int{1, 0} {
		err = s.CreateSession(ctx, keyHash("backwards"), k1.ID, at(1), at(expires))
		wantKind(t, err, core.ErrInvalid)
	}
	wantNoSession(t, s, "backwards", 0)

	// Revoking a key ends its sessions, and only its.
	if err := s.RevokeAPIKey(ctx, "alice", k1.ID, at(10)); err != nil {
		t.Fatal(err)
	}
	wantNoSession(t, s, "s1", 11)
	wantSession(t, s, "s2", 11, alice, k2)
	err = s.CreateSession(ctx, keyHash("late"), k1.ID, at(11), at(200))
	wantKind(t, err, core.ErrNotFound)
	wantNoSession(t, s, "late", 12)

	// Signing out deletes the session; doing it twice is fine.
	for range 2 {
		if err := s.DeleteSession(ctx, keyHash("s2")); err != nil {
			t.Fatalf("DeleteSession: %v", err)
		}
		wantNoSession(t, s, "s2", 12)
	}
	wantSession(t, s, "sb", 12, bob, kb)
}

// testSessionsSweep checks that dead sessions (expired, or of a revoked key)
// are deleted, by DeleteExpiredSessions and on the way by CreateSession, and
// live ones kept.
func testSessionsSweep(t *testing.T, s *meta.Store) {
	ctx := t.Context()
	createUser(t, s, "alice", false)
	k1, k2 := createKey(t, s, "alice", "trove_one"), createKey(t, s, "alice", "trove_two")
	createSession(t, s, "revoked", k1.ID, 0, 1000)
	createSession(t, s, "short", k2.ID, 0, 50)
	createSession(t, s, "long", k2.ID, 0, 500)
	if err := s.RevokeAPIKey(ctx, "alice", k1.ID, at(10)); err != nil {
		t.Fatal(err)
	}
	n, err := s.DeleteExpiredSessions(ctx, at(20))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions at 20 = %d, %v; want the revoked key's session", n, err)
	}
	n, err = s.DeleteExpiredSessions(ctx, at(50))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions at 50 = %d, %v; want the session that expires at 50", n, err)
	}
	n, err = s.DeleteExpiredSessions(ctx, at(50))
	if err != nil || n != 0 {
		t.Errorf("DeleteExpiredSessions again = %d, %v; want none", n, err)
	}
	k2user, _, err := s.SessionKey(ctx, keyHash("long"), at(60))
	if err != nil || k2user.Name != "alice" {
		t.Fatalf("the live session after sweeping: %+v, %v", k2user, err)
	}

	// Opening a session sweeps the dead ones first.
	createSession(t, s, "brief", k2.ID, 60, 70)
	createSession(t, s, "next", k2.ID, 80, 800)
	n, err = s.DeleteExpiredSessions(ctx, at(80))
	if err != nil || n != 0 {
		t.Errorf("DeleteExpiredSessions after CreateSession at 80 = %d, %v; want 0: CreateSession sweeps", n, err)
	}
	n, err = s.DeleteExpiredSessions(ctx, at(600))
	if err != nil || n != 1 {
		t.Errorf("DeleteExpiredSessions at 600 = %d, %v; want the session that expired at 500", n, err)
	}
	if _, _, err := s.SessionKey(ctx, keyHash("next"), at(600)); err != nil {
		t.Errorf("the session that lives until 800, at 600: %v", err)
	}
}
