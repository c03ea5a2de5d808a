package client

import (
	"context"
	"net/http"
	"strconv"

	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/wire"
)

// Account management, mirroring authz.Accounts with the client's API key as
// the principal. Creating users, keys and teams is retried only when the
// request never reached the server; the rest is idempotent.

// WhoAmI returns the user the API key belongs to.
func (c *Client) WhoAmI(ctx context.Context) (meta.User, error) {
	var u meta.User
	err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/whoami", retry: retryIdempotent, out: &u})
	return u, err
}

// CreateUser creates a user (site administrators only) and returns it with
// its first API key, which is shown only this once.
func (c *Client) CreateUser(ctx context.Context, name string, admin bool) (meta.User, string, error) {
	var res wire.CreateUserResponse
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/users", body: wire.CreateUserRequest{Name: name, Admin: admin}, retry: retryUnsent, out: &res})
	return res.User, res.APIKey, err
}

// ListUsers lists users (site administrators only).
func (c *Client) ListUsers(ctx context.Context) ([]meta.User, error) {
	var us []meta.User
	err := c.do(ctx, call{method: http.MethodGet, path: "/api/v1/users", retry: retryIdempotent, out: &us})
	return us, err
}

// CreateKey creates an API key for user (the caller itself or, for a site
// administrator, anyone); the key is shown only this once.
func (c *Client) CreateKey(ctx context.Context, user, label string) (meta.APIKey, string, error) {
	var res wire.CreateKeyResponse
	p, err := pathf("/api/v1/users/%s/keys", seg{"user name", user})
	if err != nil {
		return meta.APIKey{}, "", err
	}
	err = c.do(ctx, call{method: http.MethodPost, path: p, body: wire.CreateKeyRequest{Label: label}, retry: retryUnsent, out: &res})
	return res.Key, res.APIKey, err
}

// ListKeys lists user's keys, revoked ones included, oldest first.
func (c *Client) ListKeys(ctx context.Context, user string) ([]meta.APIKey, error) {
	var ks []meta.APIKey
	p, err := pathf("/api/v1/users/%s/keys", seg{"user name", user})
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &ks})
	return ks, err
}

// RevokeKey revokes one of user's keys; revoking twice is not an error.
func (c *Client) RevokeKey(ctx context.Context, user string, id int64) error {
	p, err := pathf("/api/v1/users/%s/keys/%s", seg{"user name", user}, seg{"key id", strconv.FormatInt(id, 10)})
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, retry: retryIdempotent})
}

// CreateTeam creates a team with the caller as its admin.
func (c *Client) CreateTeam(ctx context.Context, name string) (meta.Entity, error) {
	var e meta.Entity
	err := c.do(ctx, call{method: http.MethodPost, path: "/api/v1/teams", body: wire.CreateTeamRequest{Name: name}, retry: retryUnsent, out: &e})
	return e, err
}

// SetMember adds user to team with role, or changes its role.
func (c *Client) SetMember(ctx context.Context, team, user string, role meta.Role) error {
	p, err := pathf("/api/v1/teams/%s/members/%s", seg{"team name", team}, seg{"user name", user})
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodPut, path: p, body: wire.SetMemberRequest{Role: role}, retry: retryIdempotent})
}

// RemoveMember removes user from team.
func (c *Client) RemoveMember(ctx context.Context, team, user string) error {
	p, err := pathf("/api/v1/teams/%s/members/%s", seg{"team name", team}, seg{"user name", user})
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodDelete, path: p, retry: retryUnsent})
}

// Members lists team's members by user name.
func (c *Client) Members(ctx context.Context, team string) ([]meta.Member, error) {
	var ms []meta.Member
	p, err := pathf("/api/v1/teams/%s/members", seg{"team name", team})
	if err != nil {
		return nil, err
	}
	err = c.do(ctx, call{method: http.MethodGet, path: p, retry: retryIdempotent, out: &ms})
	return ms, err
}

// SetProjectPublic makes a project public (readable by every user) or
// private.
func (c *Client) SetProjectPublic(ctx context.Context, entity, project string, public bool) error {
	p, err := projectPath(entity, project, "/visibility")
	if err != nil {
		return err
	}
	return c.do(ctx, call{method: http.MethodPut, path: p, body: wire.VisibilityRequest{Public: &public}, retry: retryIdempotent})
}
