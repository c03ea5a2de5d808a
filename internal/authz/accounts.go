package authz

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
)

// AdminUser is the site administrator Bootstrap creates.
const AdminUser = "admin"

// AdminKeyFile is the file in the data directory where Bootstrap leaves the
// administrator's API key.
const AdminKeyFile = "admin-api-key"

// registryEntity is reserved for organisation-wide registries (DESIGN §1):
// no user or team may take it.
const registryEntity = "registry"

// firstKeyLabel labels the key CreateUser and Bootstrap make.
const firstKeyLabel = "initial"

// Bootstrap creates the site administrator `admin` when the store has no
// user yet and writes its API key to dataDir/admin-api-key (mode 0600).
// created reports whether it did; several servers starting at once on one
// database create one admin between them.
//
// keyFile is returned in every case, so a caller finding no user created
// and no file there can tell the operator that the key went elsewhere: an
// existing admin never gets a new key silently.
func (a *Accounts) Bootstrap(ctx context.Context, dataDir string) (created bool, keyFile string, err error) {
	keyFile = filepath.Join(dataDir, AdminKeyFile)
	n, err := a.st.CountUsers(ctx)
	if err != nil {
		return false, keyFile, err
	}
	if n > 0 {
		return a.recoverAdminKey(ctx, dataDir, keyFile)
	}
	var lost bool
	created, err = a.issueAdminKey(ctx, dataDir, keyFile, func(now time.Time) error {
		_, err := a.st.CreateUser(ctx, AdminUser, true, now)
		if errors.Is(err, core.ErrConflict) {
			// Another server won the race (or an admin appeared since we
			// counted); make sure that is what happened.
			if _, gerr := a.st.GetUser(ctx, AdminUser); gerr == nil {
				lost = true
			}
		}
		return err
	})
	if lost {
		return false, keyFile, nil
	}
	return created, keyFile, err
}

// recoverAdminKey gives admin its first key when a crash between creating
// the user and storing its key (two transactions) left it with none: a user
// that never had a key cannot have handed one out, so no key is replaced. A
// missing key file alone is never a reason to make a new key.
func (a *Accounts) recoverAdminKey(ctx context.Context, dataDir, keyFile string) (bool, string, error) {
	if _, err := a.st.GetUser(ctx, AdminUser); errors.Is(err, core.ErrNotFound) {
		return false, keyFile, nil
	} else if err != nil {
		return false, keyFile, err
	}
	keys, err := a.st.ListAPIKeys(ctx, AdminUser)
	if err != nil || len(keys) > 0 {
		return false, keyFile, err
	}
	created, err := a.issueAdminKey(ctx, dataDir, keyFile, func(time.Time) error { return nil })
	return created, keyFile, err
}

// issueAdminKey runs before (which may create the admin user), stores a new
// key for admin and puts it in keyFile. The key goes to a temporary file
// first, durably, and is renamed into place only once the store holds it:
// the key file is never partial and never holds a key the store does not
// know.
func (a *Accounts) issueAdminKey(ctx context.Context, dataDir, keyFile string, before func(now time.Time) error) (bool, error) {
	key, hash, prefix, err := NewKey()
	if err != nil {
		return false, err
	}
	tmp, err := writeTemp(dataDir, key+"\n")
	if err != nil {
		return false, err
	}
	now := a.now()
	if err := before(now); err != nil {
		os.Remove(tmp)
		return false, err
	}
	if _, err := a.st.CreateFirstAPIKey(ctx, AdminUser, hash, prefix, firstKeyLabel, now); errors.Is(err, core.ErrConflict) {
		// Another server gave admin its first key between our look and
		// now (it created the user, or recovered it at the same moment):
		// that server writes the key file.
		os.Remove(tmp)
		return false, nil
	} else if err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("storing the key of %s: %w", AdminUser, err)
	}
	if err := os.Rename(tmp, keyFile); err != nil {
		os.Remove(tmp)
		return false, core.Errorf(core.ErrUnavailable, "writing the admin API key: %w", err)
	}
	syncDir(dataDir)
	return true, nil
}

// writeTemp writes content to a new file of mode 0600 in dir (created with
// mode 0700 if missing), synced to disk, and returns its name.
func writeTemp(dir, content string) (string, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", core.Errorf(core.ErrUnavailable, "creating the data directory: %w", err)
	}
	// os.CreateTemp makes the file with mode 0600, so the key is never
	// readable by others, not even for a moment.
	f, err := os.CreateTemp(dir, "."+AdminKeyFile+"-*.tmp")
	if err != nil {
		return "", core.Errorf(core.ErrUnavailable, "writing the admin API key: %w", err)
	}
	_, err = f.WriteString(content)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", core.Errorf(core.ErrUnavailable, "writing the admin API key: %w", err)
	}
	return f.Name(), nil
}

// syncDir makes a rename in dir durable. Failure is not reported: the
// rename itself succeeded, and some file systems cannot sync directories.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// requireSiteAdmin refuses anyone but a site administrator.
func requireSiteAdmin(p Principal, what string) error {
	if !p.User.Admin {
		return core.Errorf(core.ErrPermission, "%s needs a site administrator", what)
	}
	return nil
}

// requireSelfOrAdmin refuses anyone but user itself and site administrators.
func requireSelfOrAdmin(p Principal, user, what string) error {
	if p.User.Admin || (p.User.Name != "" && p.User.Name == user) {
		return nil
	}
	return core.Errorf(core.ErrPermission, "only %s or a site administrator may %s", user, what)
}

// checkNewEntity validates the name of a new user or team.
func checkNewEntity(name string) error {
	if err := core.ValidateEntity(name); err != nil {
		return err
	}
	if name == registryEntity {
		return core.Errorf(core.ErrInvalid, "entity name %q is reserved for registries", name)
	}
	return nil
}

// CreateUser creates a user (site admins only) and its first API key, which
// is returned once and never stored.
func (a *Accounts) CreateUser(ctx context.Context, p Principal, name string, admin bool) (meta.User, string, error) {
	if err := requireSiteAdmin(p, "creating users"); err != nil {
		return meta.User{}, "", err
	}
	if err := checkNewEntity(name); err != nil {
		return meta.User{}, "", err
	}
	// The key is made first: failing after the user exists would leave it
	// without one.
	key, hash, prefix, err := NewKey()
	if err != nil {
		return meta.User{}, "", err
	}
	now := a.now()
	u, err := a.st.CreateUser(ctx, name, admin, now)
	if err != nil {
		return meta.User{}, "", err
	}
	if _, err := a.st.CreateAPIKey(ctx, name, hash, prefix, firstKeyLabel, now); err != nil {
		return meta.User{}, "", fmt.Errorf("user %s was created but its first key could not be stored: %w", name, err)
	}
	return u, key, nil
}

// ListUsers lists users (site admins only).
func (a *Accounts) ListUsers(ctx context.Context, p Principal) ([]meta.User, error) {
	if err := requireSiteAdmin(p, "listing users"); err != nil {
		return nil, err
	}
	return a.st.ListUsers(ctx)
}

// CreateKey creates an API key for user (the user itself or a site admin);
// the key is returned once.
func (a *Accounts) CreateKey(ctx context.Context, p Principal, user, label string) (meta.APIKey, string, error) {
	if err := requireSelfOrAdmin(p, user, "create their API keys"); err != nil {
		return meta.APIKey{}, "", err
	}
	if err := core.ValidateLabel("key label", label); err != nil {
		return meta.APIKey{}, "", err
	}
	key, hash, prefix, err := NewKey()
	if err != nil {
		return meta.APIKey{}, "", err
	}
	k, err := a.st.CreateAPIKey(ctx, user, hash, prefix, label, a.now())
	if err != nil {
		return meta.APIKey{}, "", err
	}
	return k, key, nil
}

// ListKeys lists user's keys (the user itself or a site admin).
func (a *Accounts) ListKeys(ctx context.Context, p Principal, user string) ([]meta.APIKey, error) {
	if err := requireSelfOrAdmin(p, user, "list their API keys"); err != nil {
		return nil, err
	}
	return a.st.ListAPIKeys(ctx, user)
}

// RevokeKey revokes one of user's keys (the user itself or a site admin).
// The key stops working on the next request: nothing caches keys.
func (a *Accounts) RevokeKey(ctx context.Context, p Principal, user string, id int64) error {
	if err := requireSelfOrAdmin(p, user, "revoke their API keys"); err != nil {
		return err
	}
	return a.st.RevokeAPIKey(ctx, user, id, a.now())
}

// CreateTeam creates a team with p as its admin.
func (a *Accounts) CreateTeam(ctx context.Context, p Principal, name string) (meta.Entity, error) {
	if p.User.Name == "" {
		return meta.Entity{}, core.Errorf(core.ErrPermission, "creating a team needs a user")
	}
	if err := checkNewEntity(name); err != nil {
		return meta.Entity{}, err
	}
	return a.st.CreateTeam(ctx, name, p.User.Name, a.now())
}

// teamRole returns p's role in team, "" when p is not a member;
// core.ErrNotFound when team is not a team.
func (a *Accounts) teamRole(ctx context.Context, p Principal, team string) (meta.Role, error) {
	e, err := a.st.GetEntity(ctx, team)
	if errors.Is(err, core.ErrNotFound) || (err == nil && e.Kind != meta.EntityTeam) {
		return "", teamNotFound(team)
	}
	if err != nil {
		return "", err
	}
	role, err := a.st.MemberRole(ctx, team, p.User.Name)
	if errors.Is(err, core.ErrNotFound) {
		return "", nil
	}
	return role, err
}

// teamNotFound is the answer about a team that does not exist, and so
// also about one the caller is not a member of: a team's existence and
// members are its members' business.
func teamNotFound(team string) error {
	return core.Errorf(core.ErrNotFound, "team %q not found", team)
}

// memberRole returns p's role in team; for a caller who is not a member
// (and not a site admin) core.ErrNotFound exactly as for a team that does
// not exist.
func (a *Accounts) memberRole(ctx context.Context, p Principal, team string) (meta.Role, error) {
	role, err := a.teamRole(ctx, p, team)
	if err != nil {
		return "", err
	}
	if role == "" && !p.User.Admin {
		return "", teamNotFound(team)
	}
	return role, nil
}

// requireTeamAdmin refuses anyone but team's admins and site admins: a
// member of another role with core.ErrPermission, anyone else as if the
// team did not exist.
func (a *Accounts) requireTeamAdmin(ctx context.Context, p Principal, team string) error {
	role, err := a.memberRole(ctx, p, team)
	if err != nil {
		return err
	}
	if role != meta.RoleAdmin && !p.User.Admin {
		return core.Errorf(core.ErrPermission, "managing the members of team %s needs its admin role", team)
	}
	return nil
}

// keepAnAdmin refuses to take the admin role from user when user is
// team's last admin: nobody but a site administrator could manage the team
// afterwards. Two admins demoting each other at the same moment can still
// both succeed; a site administrator can repair that.
func (a *Accounts) keepAnAdmin(ctx context.Context, team, user string) error {
	members, err := a.st.Members(ctx, team)
	if err != nil {
		return err
	}
	admins, target := 0, false
	for _, m := range members {
		if m.Role == meta.RoleAdmin {
			admins++
			target = target || m.User == user
		}
	}
	if target && admins == 1 {
		return core.Errorf(core.ErrConflict, "%s is the last admin of team %s: make another member admin first", user, team)
	}
	return nil
}

// SetMember adds user to team with role, or changes the role (team admins
// and site admins).
func (a *Accounts) SetMember(ctx context.Context, p Principal, team, user string, role meta.Role) error {
	if _, ok := roleAccess[role]; !ok {
		return core.Errorf(core.ErrInvalid, "team role %q: want admin, member or viewer", role)
	}
	if err := a.requireTeamAdmin(ctx, p, team); err != nil {
		return err
	}
	if role != meta.RoleAdmin {
		if err := a.keepAnAdmin(ctx, team, user); err != nil {
			return err
		}
	}
	return a.st.SetMember(ctx, team, user, role)
}

// RemoveMember removes user from team (team admins and site admins).
func (a *Accounts) RemoveMember(ctx context.Context, p Principal, team, user string) error {
	if err := a.requireTeamAdmin(ctx, p, team); err != nil {
		return err
	}
	if err := a.keepAnAdmin(ctx, team, user); err != nil {
		return err
	}
	return a.st.RemoveMember(ctx, team, user)
}

// Members lists team's members (members of the team and site admins);
// anyone else gets core.ErrNotFound, word for word as for a team that does
// not exist.
func (a *Accounts) Members(ctx context.Context, p Principal, team string) ([]meta.Member, error) {
	if _, err := a.memberRole(ctx, p, team); err != nil {
		return nil, err
	}
	return a.st.Members(ctx, team)
}

// SetProjectPublic makes a project public or private (Admin access to it).
// core.ErrNotFound if the project does not exist: a typo in its name must
// not make (and publish) a new empty project.
func (a *Accounts) SetProjectPublic(ctx context.Context, p Principal, entity, project string, public bool) error {
	if err := checkProject(entity, project); err != nil {
		return err
	}
	notFound := projectNotFound(entity, project)
	if err := newChecker(a.st, p).need(ctx, entity, project, Admin, notFound); err != nil {
		return err
	}
	if ok, err := a.st.ProjectExists(ctx, entity, project); err != nil {
		return err
	} else if !ok {
		return notFound()
	}
	return a.st.SetProjectPublic(ctx, entity, project, public)
}
