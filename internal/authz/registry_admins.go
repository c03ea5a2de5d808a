package authz

import (
	"context"

	"github.com/troveml/trove/internal/core"
)

// Registry admins are kept with the accounts, like team members: a
// registry admin may set, move and remove the registry's protected aliases,
// unlink, change the registry and name other registry admins (see the
// guard's rules in registry.go). Server admins administer every registry.

// SetRegistryAdmin makes user an admin of registry, or (admin false) no
// longer one. Server admins and the registry's admins may;
// core.ErrPermission for others, core.ErrNotFound for an unknown registry
// or user.
func (a *Accounts) SetRegistryAdmin(ctx context.Context, p Principal, registry, user string, admin bool) error {
	if err := a.requireRegistryAdmin(ctx, p, registry); err != nil {
		return err
	}
	return a.st.SetRegistryAdmin(ctx, registry, user, admin)
}

// RegistryAdmins lists the users listed as admins of registry, by name
// (server admins are admins of every registry and are not listed). Every
// user may ask: registries are readable by all.
func (a *Accounts) RegistryAdmins(ctx context.Context, p Principal, registry string) ([]string, error) {
	if p.User.Name == "" {
		return nil, core.Errorf(core.ErrPermission, "listing registry admins needs a user")
	}
	return a.st.RegistryAdmins(ctx, registry)
}

func (a *Accounts) requireRegistryAdmin(ctx context.Context, p Principal, registry string) error {
	if p.User.Admin {
		return nil
	}
	ok := false
	if p.User.Name != "" {
		var err error
		if ok, err = a.st.IsRegistryAdmin(ctx, registry, p.User.Name); err != nil {
			return err
		}
	}
	if !ok {
		return core.Errorf(core.ErrPermission, "managing the admins of registry %s needs one of them or a server admin", registry)
	}
	return nil
}
