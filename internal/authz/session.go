package authz

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Browser sessions let the web UI sign in with an API key once and then
// carry a random session token (in an HttpOnly cookie, which the page's
// script never sees) instead of the key. A session stands for the key that
// opened it: same principal, and it ends when the key is revoked. Only the
// token's hash is stored (meta.Sessions), so every server replica accepts
// the token and a copy of the database opens no session.

// DefaultSessionTTL is how long a session lasts unless told otherwise: a
// daily user signs in about once a week.
const DefaultSessionTTL = 7 * 24 * time.Hour

// sessionTokenBytes random bytes make a token: 256 bits, far beyond
// guessing, so a fast hash stores it safely (see HashKey).
const sessionTokenBytes = 32

// sessionEncoding writes tokens in characters that cookies, URLs and logs
// carry unquoted.
var sessionEncoding = base64.RawURLEncoding

// StartSession authenticates apiKey as Authenticate does and opens a
// session for its principal, valid from now for ttl. It returns the session
// token, which is stored nowhere (only its hash is), and the principal. A
// missing, malformed, unknown or revoked key is core.ErrUnauthenticated;
// ttl must be positive (core.ErrInvalid).
func StartSession(ctx context.Context, st Store, apiKey string, now time.Time, ttl time.Duration) (string, Principal, error) {
	if ttl <= 0 {
		return "", Principal{}, core.Errorf(core.ErrInvalid, "session lifetime %v is not positive", ttl)
	}
	p, err := Authenticate(ctx, st, apiKey)
	if err != nil {
		return "", Principal{}, err
	}
	var b [sessionTokenBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", Principal{}, core.Errorf(core.ErrUnavailable, "generating a session token: %w", err)
	}
	token := sessionEncoding.EncodeToString(b[:])
	err = st.CreateSession(ctx, hashSessionToken(token), p.KeyID, now, now.Add(ttl))
	if errors.Is(err, core.ErrNotFound) {
		// Revoked between the two statements.
		return "", Principal{}, core.Errorf(core.ErrUnauthenticated, "the API key is unknown or revoked")
	}
	if err != nil {
		return "", Principal{}, err
	}
	return token, p, nil
}

// AuthenticateSession returns the principal of the session with token at
// time now: the user and key that opened it. A malformed token, or one of no
// session, an expired one, one signed out or one whose key is revoked, is
// core.ErrUnauthenticated.
//
// As for keys, nothing is cached: a sign-out or a revocation takes effect
// on the next request on every replica.
func AuthenticateSession(ctx context.Context, st Store, token string, now time.Time) (Principal, error) {
	if !wellFormedSession(token) {
		return Principal{}, core.Errorf(core.ErrUnauthenticated, "the session cookie is malformed: sign in again")
	}
	u, k, err := st.SessionKey(ctx, hashSessionToken(token), now)
	if errors.Is(err, core.ErrNotFound) {
		return Principal{}, core.Errorf(core.ErrUnauthenticated, "the session has expired or ended: sign in again")
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{User: u, KeyID: k.ID}, nil
}

// EndSession ends the session with token (signs out). Ending a session that
// does not exist, has ended already or is malformed is not an error: there
// is nothing left to end.
func EndSession(ctx context.Context, st Store, token string) error {
	if !wellFormedSession(token) {
		return nil
	}
	return st.DeleteSession(ctx, hashSessionToken(token))
}

// hashSessionToken returns the hash under which a session is stored.
func hashSessionToken(token string) [32]byte { return sha256.Sum256([]byte(token)) }

// wellFormedSession reports whether token looks like a token StartSession
// makes, so that junk costs no database lookup.
func wellFormedSession(token string) bool {
	if len(token) != sessionEncoding.EncodedLen(sessionTokenBytes) {
		return false
	}
	_, err := sessionEncoding.DecodeString(token)
	return err == nil
}
