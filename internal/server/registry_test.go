package server

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// TestRegistryAccess checks the registry rules of a server: every user
// reads every registry and links what it may read; protected aliases,
// unlinking and creating registries need a registry admin (a server admin
// or a user listed for the registry), and a refusal is 403 and changes
// nothing; the blobs of a linked version become readable by every user.
func TestRegistryAccess(t *testing.T) {
	ctx := context.Background()
	w := newAccessWorld(t, false)
	content := "weights only owner has"
	d := core.DigestOf([]byte(content))
	if err := w.svc.PutBlob(ctx, d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	m, err := core.NewManifest([]core.Entry{{Path: "model.bin", Digest: d, Size: int64(len(content))}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.svc.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "clf", Type: "model", Manifest: m}); err != nil {
		t.Fatal(err)
	}
	const (
		links   = apiPrefix + "/projects/registry/model/artifacts/Clf/links"
		link0   = apiPrefix + "/projects/registry/model/artifacts/Clf/versions/v0"
		blob    = apiPrefix + "/blobs/"
		linkReq = `{"source":"owner/private/clf:v0"}`
	)
	expect := func(user, method, path, body string, want int) []byte {
		t.Helper()
		status, _, b := w.call(t, method, path, w.keys[user], body)
		if status != want {
			t.Fatalf("%s %s %s as %s: %d %s, want %d", method, path, body, user, status, b, want)
		}
		return b
	}
	aliases := func() []string {
		t.Helper()
		var v core.Version
		if err := json.Unmarshal(expect("admin", "GET", link0, "", 200), &v); err != nil {
			t.Fatal(err)
		}
		return v.Aliases
	}

	// Before the link, stranger can neither read the blob nor link the
	// source it cannot see.
	expect("stranger", "GET", blob+d.String(), "", 404)
	expect("stranger", "POST", links, linkReq, 404)
	expect("stranger", "GET", apiPrefix+"/projects/owner/private/artifacts/clf/versions/v0/links", "", 404)

	// owner links: 201, then 200 for the same link.
	var v core.Version
	if err := json.Unmarshal(expect("owner", "POST", links, linkReq, 201), &v); err != nil || v.FullName() != "registry/model/Clf:v0" || v.Source != "owner/private/clf:v0" {
		t.Fatalf("link answered %+v, %v", v, err)
	}
	if err := json.Unmarshal(expect("owner", "POST", links, `{"source":"owner/private/clf:v0","aliases":["staging"]}`, 200), &v); err != nil || v.Index != 0 {
		t.Fatalf("relink answered %+v, %v", v, err)
	}
	var ls []core.Version
	if err := json.Unmarshal(expect("owner", "GET", apiPrefix+"/projects/owner/private/artifacts/clf/versions/v0/links", "", 200), &ls); err != nil || len(ls) != 1 {
		t.Fatalf("links of the source: %+v, %v", ls, err)
	}

	// Now every user reads the registry, the link and its blob.
	var rs []core.Registry
	if err := json.Unmarshal(expect("stranger", "GET", apiPrefix+"/registries", "", 200), &rs); err != nil || len(rs) != 2 {
		t.Fatalf("registries as stranger: %+v, %v", rs, err)
	}
	expect("stranger", "GET", link0+"/manifest", "", 200)
	if b := expect("stranger", "GET", blob+d.String(), "", 200); string(b) != content {
		t.Fatalf("blob through the registry: %q", b)
	}
	// ...but not the source's project.
	expect("stranger", "GET", apiPrefix+"/projects/owner/private/artifacts/clf/versions/v0", "", 404)

	// Protected alias production: refused for owner and stranger, by
	// link or by update, with nothing changed.
	before := aliases()
	expect("owner", "POST", links, `{"source":"owner/private/clf:v0","aliases":["production"]}`, 403)
	expect("owner", "PATCH", link0, `{"add_aliases":["production"]}`, 403)
	expect("stranger", "PATCH", link0, `{"add_aliases":["production"]}`, 403)
	if got := aliases(); !slices.Equal(got, before) {
		t.Fatalf("refused alias changes left %v, want %v", got, before)
	}
	// Unprotected aliases are open to every user.
	expect("stranger", "PATCH", link0, `{"add_aliases":["candidate"]}`, 200)
	// A server admin sets production; a user who is not a registry admin
	// cannot remove it.
	expect("admin", "PATCH", link0, `{"add_aliases":["production"]}`, 200)
	expect("owner", "PATCH", link0, `{"remove_aliases":["production"]}`, 403)
	if got := aliases(); !slices.Contains(got, "production") {
		t.Fatalf("aliases %v lost production", got)
	}
	// Unlink and registry management: registry admins only.
	expect("owner", "DELETE", link0, "", 403)
	expect("owner", "POST", apiPrefix+"/registries", `{"name":"owners"}`, 403)
	expect("owner", "PATCH", apiPrefix+"/registries/model", `{"types":[]}`, 403)
	// A registry admin may do all of it.
	if err := w.st.SetRegistryAdmin(ctx, "model", "owner", true); err != nil {
		t.Fatal(err)
	}
	expect("owner", "PATCH", link0, `{"remove_aliases":["production"]}`, 200)
	expect("stranger", "DELETE", link0, "", 403)
	expect("owner", "DELETE", link0, "", 204)
	expect("owner", "GET", link0, "", 404)
	expect("owner", "GET", apiPrefix+"/projects/owner/private/artifacts/clf/versions/v0", "", 200)
	expect("owner", "POST", apiPrefix+"/registries", `{"name":"owners"}`, 403) // creating needs a server admin
	expect("admin", "POST", apiPrefix+"/registries", `{"name":"owners","types":["model"]}`, 201)
	expect("admin", "POST", apiPrefix+"/registries", `{"name":"owners"}`, 409)

	// After the unlink, stranger can no longer read the blob.
	expect("stranger", "GET", blob+d.String(), "", 404)

	// The reserved entity takes no runs or versions, from anyone.
	expect("admin", "POST", apiPrefix+"/projects/registry/model/runs", `{"job_type":"x"}`, 400)
	expect("owner", "POST", apiPrefix+"/projects/registry/model/artifacts/X/versions",
		`{"type":"model","manifest":[{"path":"model.bin","digest":"`+d.String()+`","size":22}]}`, 400)
	// Links live in the registry entity only.
	expect("owner", "POST", apiPrefix+"/projects/owner/private/artifacts/Clf/links", linkReq, 400)
}
