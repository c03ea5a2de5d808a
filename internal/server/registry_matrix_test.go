package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// The registry write matrix (issue 12, item 2): every route that changes a
// registry, a registry version or the source of a link, one row per field
// it changes, called by every kind of caller. Each cell runs on targets
// made for it alone — a source version lab/shared/src-N linked as
// registry/model/Clf-N:v0 with the aliases candidate and production, and a
// registry r-N — and checks the status, the error code, and that a refused
// request changed nothing.

// registryCaller is a column: a user and what it is to the targets.
type registryCaller struct {
	user string
	// source is the caller's access to the source's project lab/shared.
	source string // "admin", "write", "read", "none"
	// regAdmin: a registry admin of model and of r-N (server admins are).
	regAdmin bool
}

var registryCallers = []registryCaller{
	{user: "owner", source: "admin"},   // the team lab's admin
	{user: "member", source: "write"},  // a member of lab
	{user: "viewer", source: "read"},   // a viewer of lab
	{user: "stranger", source: "none"}, // nothing to do with either
	{user: "regadmin", source: "none", regAdmin: true},
	{user: "admin", source: "admin", regAdmin: true}, // server admin
}

// registryCell is one request of the matrix and its targets.
type registryCell struct {
	n        int
	src      string // lab/shared/src-N
	link     string // the link's URL, registry/model/Clf-N:v0
	registry string // r-N
}

// registryRow is one route and field.
type registryRow struct {
	name   string
	method string
	path   func(c registryCell) string
	body   string
	// want is the status of a caller.
	want func(rc registryCaller) int
	// check looks at the store after an allowed request.
	check func(t *testing.T, w *accessWorld, c registryCell)
}

// Who may do what.
func anyUser(ok int) func(registryCaller) int { return func(registryCaller) int { return ok } }

func regAdminOnly(ok int) func(registryCaller) int {
	return func(rc registryCaller) int {
		if rc.regAdmin {
			return ok
		}
		return http.StatusForbidden
	}
}

func serverAdminOnly(ok int) func(registryCaller) int {
	return func(rc registryCaller) int {
		if rc.user == "admin" {
			return ok
		}
		return http.StatusForbidden
	}
}

// sourceAccess is the status of a request needing want on the source's
// project.
func sourceAccess(want string, ok int) func(registryCaller) int {
	rank := map[string]int{"none": 0, "read": 1, "write": 2, "admin": 3}
	return func(rc registryCaller) int {
		switch {
		case rank[rc.source] >= rank[want]:
			return ok
		case rc.source == "none":
			return http.StatusNotFound
		}
		return http.StatusForbidden
	}
}

func linkURL(c registryCell) string {
	return fmt.Sprintf("%s/projects/registry/model/artifacts/Clf-%d/versions/v0", apiPrefix, c.n)
}

func srcURL(c registryCell) string {
	return fmt.Sprintf("%s/projects/lab/shared/artifacts/src-%d/versions/v0", apiPrefix, c.n)
}

// wantLink checks that the cell's link, or (gone) its absence.
func wantLink(gone bool) func(t *testing.T, w *accessWorld, c registryCell) {
	return func(t *testing.T, w *accessWorld, c registryCell) {
		t.Helper()
		status, _, body := w.call(t, "GET", linkURL(c), w.keys["admin"], "")
		if (status == 404) != gone {
			t.Errorf("the link after the request: %d %.200s, want gone=%t", status, body, gone)
		}
	}
}

var registryRows = []registryRow{
	// A registry version: description and metadata for every user…
	{name: "link-description", method: "PATCH", path: linkURL, body: `{"description":"curated"}`, want: anyUser(200)},
	{name: "link-metadata", method: "PATCH", path: linkURL, body: `{"metadata":{"curated":true}}`, want: anyUser(200)},
	{name: "link-add-alias", method: "PATCH", path: linkURL, body: `{"add_aliases":["staging"]}`, want: anyUser(200)},
	{name: "link-remove-alias", method: "PATCH", path: linkURL, body: `{"remove_aliases":["candidate"]}`, want: anyUser(200)},
	// …protected aliases, time-to-live and unlinking for registry admins.
	{name: "link-add-protected-alias", method: "PATCH", path: linkURL, body: `{"add_aliases":["gold"]}`, want: regAdminOnly(200)},
	{name: "link-remove-protected-alias", method: "PATCH", path: linkURL, body: `{"remove_aliases":["production"]}`, want: regAdminOnly(200)},
	{name: "link-ttl", method: "PATCH", path: linkURL, body: `{"ttl":"4380h"}`, want: regAdminOnly(200), check: wantLink(false)},
	{name: "link-ttl-expire", method: "PATCH", path: linkURL, body: `{"ttl":"1ns"}`, want: regAdminOnly(200), check: wantLink(true)},
	{name: "link-ttl-clear", method: "PATCH", path: linkURL, body: `{"ttl":"none"}`, want: regAdminOnly(200), check: wantLink(false)},
	{name: "link-description-and-ttl", method: "PATCH", path: linkURL, body: `{"description":"x","ttl":"1ns"}`, want: regAdminOnly(200), check: wantLink(true)},
	{name: "unlink", method: "DELETE", path: func(c registryCell) string { return linkURL(c) + "?delete_aliases=true" },
		want: regAdminOnly(204), check: wantLink(true)},
	// Unlinking takes the link's aliases with it (they are the
	// registry's): delete_aliases is not needed.
	{name: "unlink-without-delete-aliases", method: "DELETE", path: linkURL, want: regAdminOnly(204), check: wantLink(true)},
	// Linking: read on the source; a protected alias needs a registry
	// admin too.
	{name: "link", method: "POST", path: func(c registryCell) string {
		return fmt.Sprintf("%s/projects/registry/model/artifacts/New-%d/links", apiPrefix, c.n)
	}, body: `{"source":"SRC"}`, want: sourceAccess("read", 201)},
	{name: "link-with-alias", method: "POST", path: func(c registryCell) string {
		return fmt.Sprintf("%s/projects/registry/model/artifacts/New-%d/links", apiPrefix, c.n)
	}, body: `{"source":"SRC","aliases":["staging"]}`, want: sourceAccess("read", 201)},
	{name: "link-with-protected-alias", method: "POST", path: func(c registryCell) string {
		return fmt.Sprintf("%s/projects/registry/model/artifacts/New-%d/links", apiPrefix, c.n)
	}, body: `{"source":"SRC","aliases":["production"]}`, want: func(rc registryCaller) int {
		if s := sourceAccess("read", 201)(rc); s != 201 {
			return s
		}
		return regAdminOnly(201)(rc)
	}},
	// The source of a live link: its project's rules; it cannot expire or
	// be deleted while linked.
	{name: "source-ttl-expire", method: "PATCH", path: srcURL, body: `{"ttl":"1ns"}`, want: sourceAccess("write", 200),
		check: func(t *testing.T, w *accessWorld, c registryCell) {
			t.Helper()
			if status, _, body := w.call(t, "GET", srcURL(c), w.keys["admin"], ""); status != 200 {
				t.Errorf("the linked source after a time-to-live of 1ns: %d %.200s, want it kept", status, body)
			}
			wantLink(false)(t, w, c)
		}},
	{name: "source-aliases", method: "PATCH", path: srcURL, body: `{"add_aliases":["best"]}`,
		want: sourceAccess("write", 200), check: wantLink(false)},
	{name: "source-description", method: "PATCH", path: srcURL, body: `{"description":"mine","metadata":{"m":1}}`,
		want: sourceAccess("write", 200), check: wantLink(false)},
	{name: "source-delete", method: "DELETE", path: func(c registryCell) string { return srcURL(c) + "?delete_aliases=true" },
		want: sourceAccess("write", 409)},
	// Registries: created by server admins, changed by registry admins.
	{name: "registry-create", method: "POST", path: func(c registryCell) string { return apiPrefix + "/registries" },
		body: `{"name":"NEW","types":["model"]}`, want: serverAdminOnly(201)},
	{name: "registry-types", method: "PATCH", path: func(c registryCell) string { return apiPrefix + "/registries/" + c.registry },
		body: `{"types":["dataset"]}`, want: regAdminOnly(200)},
	{name: "registry-protected-aliases", method: "PATCH", path: func(c registryCell) string { return apiPrefix + "/registries/" + c.registry },
		body: `{"types":["model"],"protected_aliases":[]}`, want: regAdminOnly(200)},
	{name: "registry-add-admin", method: "PUT", path: func(c registryCell) string {
		return apiPrefix + "/registries/" + c.registry + "/admins/stranger"
	}, want: regAdminOnly(204)},
	{name: "registry-remove-admin", method: "DELETE", path: func(c registryCell) string {
		return apiPrefix + "/registries/" + c.registry + "/admins/regadmin"
	}, want: regAdminOnly(204)},
}

// newRegistryWorld is an access world (with the user regadmin) with the
// protected aliases production and gold on the registry model.
func newRegistryWorld(t *testing.T) *accessWorld {
	t.Helper()
	w := newAccessWorld(t, false)
	if _, err := w.svc.UpdateRegistry(context.Background(), core.Registry{Name: "model", Types: []string{"model"}, ProtectedAliases: []string{"production", "gold"}}); err != nil {
		t.Fatal(err)
	}
	return w
}

// newRegistryCell makes the targets of one cell through the unguarded
// service and the store: the link has a time-to-live of a year.
func newRegistryCell(t *testing.T, w *accessWorld, n int) registryCell {
	t.Helper()
	ctx := context.Background()
	c := registryCell{n: n, registry: fmt.Sprintf("r-%d", n)}
	content := fmt.Sprintf("weights of cell %d", n)
	e := w.store(t, "model.bin", content)
	m, err := core.NewManifest([]core.Entry{e})
	if err != nil {
		t.Fatal(err)
	}
	src := fmt.Sprintf("src-%d", n)
	if _, err := w.svc.LogArtifact(ctx, service.LogRequest{Entity: "lab", Project: "shared", Name: src, Type: "model", Manifest: m}); err != nil {
		t.Fatal(err)
	}
	c.src = "lab/shared/" + src + ":v0"
	ref, err := core.ParseRef(c.src)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.LinkArtifact(ctx, service.LinkRequest{Source: ref, Registry: "model", Collection: fmt.Sprintf("Clf-%d", n),
		Aliases: []string{"candidate", "production"}}); err != nil {
		t.Fatal(err)
	}
	year := "8760h"
	linkRef := core.Ref{Entity: core.RegistryEntity, Project: "model", Name: fmt.Sprintf("Clf-%d", n), Selector: "v0"}
	if _, err := w.svc.UpdateArtifact(ctx, linkRef, service.Update{TTL: &year}); err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.CreateRegistry(ctx, core.Registry{Name: c.registry, Types: []string{"model"}, ProtectedAliases: []string{"production"}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []string{"model", c.registry} {
		if err := w.st.SetRegistryAdmin(ctx, r, "regadmin", true); err != nil {
			t.Fatal(err)
		}
	}
	return c
}

// registrySnapshot is everything a row could change, as the server admin
// sees it.
func registrySnapshot(t *testing.T, w *accessWorld, c registryCell) string {
	t.Helper()
	var b bytes.Buffer
	for _, path := range []string{
		apiPrefix + "/registries",
		apiPrefix + "/registries/model/admins",
		apiPrefix + "/registries/" + c.registry + "/admins",
		fmt.Sprintf("%s/projects/registry/model/artifacts/Clf-%d/versions", apiPrefix, c.n),
		fmt.Sprintf("%s/projects/registry/model/artifacts/New-%d/versions", apiPrefix, c.n),
		fmt.Sprintf("%s/projects/lab/shared/artifacts/src-%d/versions", apiPrefix, c.n),
		srcURL(c) + "/links",
	} {
		status, _, body := w.call(t, "GET", path, w.keys["admin"], "")
		fmt.Fprintf(&b, "%s: %d %s\n", path, status, body)
	}
	return b.String()
}

// TestRegistryWriteMatrix runs every row as every caller.
func TestRegistryWriteMatrix(t *testing.T) {
	w := newRegistryWorld(t)
	n := 0
	for _, row := range registryRows {
		for _, rc := range registryCallers {
			t.Run(row.name+"/"+rc.user, func(t *testing.T) {
				n++
				c := newRegistryCell(t, w, n)
				before := registrySnapshot(t, w, c)
				body := strings.ReplaceAll(row.body, "SRC", c.src)
				body = strings.ReplaceAll(body, "NEW", fmt.Sprintf("new-%d", n))
				want := row.want(rc)
				status, hdr, got := w.call(t, row.method, row.path(c), w.keys[rc.user], body)
				if status != want {
					t.Fatalf("%s %s %s as %s: %d %s, want %d", row.method, row.path(c), body, rc.user, status, got, want)
				}
				after := registrySnapshot(t, w, c)
				switch want {
				case 200, 201, 204:
					if after == before {
						t.Errorf("an allowed %s changed nothing", row.name)
					}
					if row.check != nil {
						row.check(t, w, c)
					}
				default:
					code := map[int]string{403: "permission_denied", 404: "not_found", 409: "conflict"}[want]
					wantError(t, row.name, status, hdr, got, want, code)
					if after != before {
						t.Errorf("a refused %s changed the store:%s", row.name, lineDiff(before, after))
					}
				}
			})
		}
	}
}

// TestRegistryTTLAttack is the attack of issue 12: a user who is no
// registry admin expires the link that carries production.
func TestRegistryTTLAttack(t *testing.T) {
	w := newRegistryWorld(t)
	c := newRegistryCell(t, w, 1)
	for _, ttl := range []string{"1ns", "1h", "none", ""} {
		status, hdr, body := w.call(t, "PATCH", linkURL(c), w.keys["stranger"], fmt.Sprintf(`{"ttl":%q}`, ttl))
		wantError(t, "stranger sets ttl "+ttl, status, hdr, body, http.StatusForbidden, "permission_denied")
	}
	var v core.Version
	status, _, body := w.call(t, "GET", linkURL(c), w.keys["stranger"], "")
	if status != 200 || json.Unmarshal(body, &v) != nil || v.ExpiresAt == nil || v.ExpiresAt.Sub(v.CreatedAt) != 8760*time.Hour || !v.HasAlias("production") {
		t.Fatalf("the production link after the attack: %d %s", status, body)
	}
}
