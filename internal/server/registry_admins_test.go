package server

import (
	"encoding/json"
	"slices"
	"testing"

	"github.com/troveml/trove/internal/core"
)

// TestRegistryAdmins checks who may name a registry's admins, that a
// refusal changes nothing, and that a named admin gets the registry
// admin's rights (here: changing the registry's protected aliases, naming
// others).
func TestRegistryAdmins(t *testing.T) {
	w := newAccessWorld(t, false)
	const (
		admins = apiPrefix + "/registries/model/admins"
		reg    = apiPrefix + "/registries/model"
	)
	expect := func(user, method, path, body string, want int) []byte {
		t.Helper()
		status, _, b := w.call(t, method, path, w.keys[user], body)
		if status != want {
			t.Fatalf("%s %s %s as %s: %d %s, want %d", method, path, body, user, status, b, want)
		}
		return b
	}
	list := func() []string {
		t.Helper()
		var names []string
		if err := json.Unmarshal(expect("viewer", "GET", admins, "", 200), &names); err != nil {
			t.Fatal(err)
		}
		return names
	}
	protected := func() []string {
		t.Helper()
		var rs []core.Registry
		if err := json.Unmarshal(expect("viewer", "GET", apiPrefix+"/registries", "", 200), &rs); err != nil {
			t.Fatal(err)
		}
		for _, r := range rs {
			if r.Name == "model" {
				return r.ProtectedAliases
			}
		}
		t.Fatal("no model registry")
		return nil
	}

	if got := list(); len(got) != 0 {
		t.Fatalf("admins of a fresh registry: %v, want none", got)
	}
	// Not a registry admin: refused, nothing changes.
	expect("owner", "PUT", admins+"/owner", "", 403)
	expect("stranger", "PUT", admins+"/owner", "", 403)
	expect("owner", "PATCH", reg, `{"types":["model"],"protected_aliases":["production","gold"]}`, 403)
	expect("", "PUT", admins+"/owner", "", 401)
	expect("", "GET", admins, "", 401)
	if got := list(); len(got) != 0 {
		t.Fatalf("admins after refusals: %v, want none", got)
	}
	if got := protected(); !slices.Equal(got, []string{"production"}) {
		t.Fatalf("protected aliases after a refused update: %v", got)
	}
	// Bad names and unknown things: clear errors, nothing changes.
	expect("admin", "PUT", admins+"/Bad%20Name", "", 400)
	expect("admin", "PUT", admins+"/nobody", "", 404)
	expect("admin", "PUT", apiPrefix+"/registries/nope/admins/owner", "", 404)
	expect("admin", "GET", apiPrefix+"/registries/nope/admins", "", 404)
	if got := list(); len(got) != 0 {
		t.Fatalf("admins after bad requests: %v, want none", got)
	}

	// A server admin names owner; owner now changes the registry and
	// names member; adding twice is harmless.
	expect("admin", "PUT", admins+"/owner", "", 204)
	expect("admin", "PUT", admins+"/owner", "", 204)
	expect("owner", "PATCH", reg, `{"types":["model"],"protected_aliases":["production","gold"]}`, 200)
	if got := protected(); !slices.Equal(got, []string{"gold", "production"}) && !slices.Equal(got, []string{"production", "gold"}) {
		t.Fatalf("protected aliases after owner's update: %v", got)
	}
	expect("owner", "PUT", admins+"/member", "", 204)
	if got := list(); !slices.Equal(got, []string{"member", "owner"}) {
		t.Fatalf("admins = %v, want [member owner]", got)
	}
	// member removes owner; owner has lost the rights.
	expect("member", "DELETE", admins+"/owner", "", 204)
	if got := list(); !slices.Equal(got, []string{"member"}) {
		t.Fatalf("admins = %v, want [member]", got)
	}
	expect("owner", "PATCH", reg, `{"types":["model"],"protected_aliases":["production"]}`, 403)
	expect("owner", "PUT", admins+"/owner", "", 403)
}
