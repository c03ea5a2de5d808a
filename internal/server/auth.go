package server

import (
	"context"
	"net/http"
	"strings"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Auth is the authorization layer as the server consumes it. NewAuth wires
// it to package authz; tests may plug in a simpler one. Every method is safe
// for concurrent use.
type Auth interface {
	// Authenticate returns the principal owning key; a missing, unknown or
	// revoked key is core.ErrUnauthenticated.
	Authenticate(ctx context.Context, key string) (authz.Principal, error)
	// Guard returns api restricted to what p may see and change.
	Guard(api service.API, p authz.Principal) service.API
	// CanReadBlob reports whether p may download blob d: nil, or
	// core.ErrNotFound. It guards presigned downloads, which bypass Guard.
	CanReadBlob(ctx context.Context, p authz.Principal, d core.Digest) error
	// Accounts returns account management, or nil when the server has none
	// (the account routes then answer 404).
	Accounts() *authz.Accounts
}

// SessionAuth is the optional ability of an Auth to keep browser sessions,
// the web UI's sign-in (see session.go); check for it with a type
// assertion. Without it the session routes answer 404 and session cookies
// authenticate nothing. Every method is safe for concurrent use.
type SessionAuth interface {
	// StartSession authenticates apiKey as Authenticate does and opens a
	// session for its principal, valid for ttl; it returns the session
	// token. A bad key is core.ErrUnauthenticated.
	StartSession(ctx context.Context, apiKey string, ttl time.Duration) (token string, p authz.Principal, err error)
	// AuthenticateSession returns the principal of the session with token;
	// a malformed, unknown, expired or ended session, or one whose key is
	// revoked, is core.ErrUnauthenticated.
	AuthenticateSession(ctx context.Context, token string) (authz.Principal, error)
	// EndSession ends the session with token; ending one that does not
	// exist is not an error.
	EndSession(ctx context.Context, token string) error
}

// storeAuth is Auth on package authz and its accounts store.
type storeAuth struct {
	st       authz.Store
	accounts *authz.Accounts
}

// NewAuth returns the Auth of package authz on an accounts store.
func NewAuth(st authz.Store) Auth {
	return &storeAuth{st: st, accounts: authz.NewAccounts(st)}
}

func (a *storeAuth) Authenticate(ctx context.Context, key string) (authz.Principal, error) {
	return authz.Authenticate(ctx, a.st, key)
}

func (a *storeAuth) Guard(api service.API, p authz.Principal) service.API {
	return authz.Guard(api, a.st, p)
}

func (a *storeAuth) CanReadBlob(ctx context.Context, p authz.Principal, d core.Digest) error {
	return authz.CanReadBlob(ctx, a.st, p, d)
}

func (a *storeAuth) Accounts() *authz.Accounts { return a.accounts }

var _ SessionAuth = (*storeAuth)(nil)

func (a *storeAuth) StartSession(ctx context.Context, apiKey string, ttl time.Duration) (string, authz.Principal, error) {
	return authz.StartSession(ctx, a.st, apiKey, time.Now(), ttl)
}

func (a *storeAuth) AuthenticateSession(ctx context.Context, token string) (authz.Principal, error) {
	return authz.AuthenticateSession(ctx, a.st, token, time.Now())
}

func (a *storeAuth) EndSession(ctx context.Context, token string) error {
	return authz.EndSession(ctx, a.st, token)
}

// bearerKey extracts the API key of an "Authorization: Bearer KEY" header.
func bearerKey(r *http.Request) (string, error) {
	h := r.Header.Get("Authorization")
	if h == "" {
		return "", core.Errorf(core.ErrUnauthenticated, "missing API key: send the header Authorization: Bearer <key>")
	}
	scheme, key, ok := strings.Cut(h, " ")
	key = strings.TrimSpace(key)
	if !ok || !strings.EqualFold(scheme, "Bearer") || key == "" {
		return "", core.Errorf(core.ErrUnauthenticated, "malformed Authorization header: want Bearer <key>")
	}
	return key, nil
}
