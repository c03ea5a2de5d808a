package server

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// The access matrix (issue #3): every endpoint that names a project, a run
// or a blob, called over HTTP by every kind of caller, must answer exactly
// 401 (no usable key), 404 (cannot read: as if the thing did not exist), 403
// (may read, may not write) or success, and a refused write must change
// nothing.

// accessEndpoint is one row of the matrix: a route of Server.routes and how
// a cell calls it.
type accessEndpoint struct {
	name  string
	route string       // "METHOD pattern", as in Server.routes
	need  authz.Access // NoAccess: any authenticated caller
	ok    int          // the status of success
	// fresh makes a cell that should succeed aim at a run and a version made
	// for it alone, so that a successful write (delete, finish) cannot
	// disturb the other cells. Refused cells aim at the seeded run and
	// ds:v0, whose safety is the point.
	fresh bool
	query func(c *accessCell) string
	body  func(c *accessCell) string
	// check looks at a successful answer beyond its status.
	check func(t *testing.T, c *accessCell, body []byte)
}

// accessRelation is one column: a caller and the project it acts on.
type accessRelation struct {
	name    string
	user    string // a key of w.keys; "" sends no key
	project string // entity/project the cell names
	authed  bool   // the key is valid
	access  authz.Access
	// session sends the cookie of a browser session opened with the
	// user's key (w.sessions) instead of the key; noCSRF leaves out the
	// X-Trove-CSRF header a browser page of the server sends.
	session, noCSRF bool
}

// accessReadable lists, by user, the projects of the world each may read:
// what listings and lineage graphs may show them.
var accessReadable = map[string][]string{
	"admin":    {"lab/shared", "owner/open", "owner/private", "stranger/mine"},
	"owner":    {"lab/shared", "owner/open", "owner/private"},
	"member":   {"lab/shared", "owner/open"},
	"viewer":   {"lab/shared", "owner/open"},
	"stranger": {"owner/open", "stranger/mine"},
	"regadmin": {"owner/open"},
}

var accessRelations = []accessRelation{
	{name: "no-key", user: "", project: "owner/private"},
	{name: "bad-key", user: "bad", project: "owner/private"},
	{name: "revoked-key", user: "revoked", project: "owner/private"},
	{name: "stranger-on-owner-private", user: "stranger", project: "owner/private", authed: true, access: authz.NoAccess},
	{name: "stranger-on-owner-open", user: "stranger", project: "owner/open", authed: true, access: authz.Read},
	{name: "viewer-on-lab-shared", user: "viewer", project: "lab/shared", authed: true, access: authz.Read},
	{name: "member-on-lab-shared", user: "member", project: "lab/shared", authed: true, access: authz.Write},
	// A registry admin has no say in projects.
	{name: "registry-admin-on-owner-private", user: "regadmin", project: "owner/private", authed: true, access: authz.NoAccess},
	{name: "registry-admin-on-owner-open", user: "regadmin", project: "owner/open", authed: true, access: authz.Read},
	{name: "owner-on-owner-private", user: "owner", project: "owner/private", authed: true, access: authz.Admin},
	{name: "admin-on-owner-private", user: "admin", project: "owner/private", authed: true, access: authz.Admin},
	// The same through browser sessions: a session is its key's principal;
	// a cookie without the CSRF header changes nothing.
	{name: "signed-out-session", user: "signed-out", project: "owner/private", session: true},
	{name: "stranger-session-on-owner-private", user: "stranger", project: "owner/private", authed: true, access: authz.NoAccess, session: true},
	{name: "owner-session-on-owner-private", user: "owner", project: "owner/private", authed: true, access: authz.Admin, session: true},
	{name: "owner-session-without-csrf", user: "owner", project: "owner/private", authed: true, access: authz.Admin, session: true, noCSRF: true},
}

var accessEndpoints = []accessEndpoint{
	{name: "create-run", route: "POST " + projectP + "/runs", need: authz.Write, ok: 201,
		body: func(c *accessCell) string {
			return fmt.Sprintf(`{"job_type":"probe","name":"probe-%s","group":"g","config":{"lr":1},"tags":["t"]}`, c.next.Digest.Hex()[:8])
		}},
	{name: "list-runs", route: "GET " + projectP + "/runs", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "get-run", route: "GET " + projectP + "/runs/{run}", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "list-artifacts", route: "GET " + projectP + "/artifacts", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "type-graph", route: "GET " + projectP + "/types", need: authz.Read, ok: 200, check: checkTypeGraph},
	{name: "list-versions", route: "GET " + versionsP, need: authz.Read, ok: 200, check: checkSameProject},
	{name: "log-version", route: "POST " + versionsP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string {
			return fmt.Sprintf(`{"type":"dataset","run_id":%q,"aliases":["attempt"],"description":"d","metadata":{"m":1},"ttl":"8760h","allow_empty":false,`+
				`"manifest":[{"path":"next.txt","digest":%q,"size":%d}]}`, c.run.ID, c.next.Digest, c.next.Size)
		},
		check: func(t *testing.T, c *accessCell, body []byte) {
			var res service.LogResult
			if err := json.Unmarshal(body, &res); err != nil || !res.Created || res.Version.Index != 1 {
				t.Errorf("log answered %s (%v), want a new v1", body, err)
			}
		}},
	{name: "get-version", route: "GET " + versionP, need: authz.Read, ok: 200, check: checkSameProject},
	// PATCH changes any of five fields: one row each (and one with all),
	// so that no field escapes the rule.
	{name: "describe-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"description":"defaced"}` }},
	{name: "metadata-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"metadata":{"defaced":true}}` }},
	{name: "add-alias-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"add_aliases":["stolen"]}` }},
	{name: "remove-alias-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"remove_aliases":["prod"]}` }},
	{name: "ttl-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"ttl":"1ns"}` }},
	{name: "clear-ttl-version", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"ttl":"none"}` }},
	{name: "update-every-field", route: "PATCH " + versionP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string {
			return `{"description":"defaced","metadata":{"defaced":true},"add_aliases":["stolen"],"remove_aliases":["prod"],"ttl":"8760h"}`
		}},
	{name: "delete-version", route: "DELETE " + versionP, need: authz.Write, ok: 204, fresh: true,
		query: func(c *accessCell) string { return "delete_aliases=true" }},
	// Without delete_aliases, a version with aliases stays: 409 for a
	// writer, and the refusal of the others comes first.
	{name: "delete-version-keeping-aliases", route: "DELETE " + versionP, need: authz.Write, ok: 409, fresh: true},
	{name: "manifest", route: "GET " + versionP + "/manifest", need: authz.Read, ok: 200},
	{name: "entry", route: "GET " + versionP + "/entry", need: authz.Read, ok: 200,
		query: func(c *accessCell) string { return "path=a.txt" }},
	{name: "logged-by", route: "GET " + versionP + "/logged-by", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "used-by", route: "GET " + versionP + "/used-by", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "version-lineage", route: "GET " + versionP + "/lineage", need: authz.Read, ok: 200, check: checkLineage},
	{name: "diff", route: "GET " + versionP + "/diff", need: authz.Read, ok: 200,
		query: func(c *accessCell) string { return "to=" + c.rel.project + "/model:v0" }},
	{name: "set-visibility", route: "PUT " + projectP + "/visibility", need: authz.Admin, ok: 204,
		// A refused request tries to flip the visibility; an allowed one
		// sets it as it is, so that the world stays as the other cells
		// expect it.
		body: func(c *accessCell) string { return fmt.Sprintf(`{"public":%t}`, c.public != (c.want() != 204)) }},
	{name: "get-run-by-id", route: "GET " + runP, need: authz.Read, ok: 200, check: checkSameProject},
	{name: "finish-run", route: "POST " + runP + "/finish", need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"state":"failed"}` }},
	{name: "heartbeat", route: "POST " + runP + "/heartbeat", need: authz.Write, ok: 204, fresh: true},
	{name: "use-artifact", route: "POST " + runP + "/inputs", need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string { return `{"ref":"` + c.rel.project + `/model:v0"}` }},
	{name: "run-inputs", route: "GET " + runP + "/inputs", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "run-outputs", route: "GET " + runP + "/outputs", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "run-lineage", route: "GET " + runP + "/lineage", need: authz.Read, ok: 200, check: checkLineage},
	{name: "list-projects", route: "GET " + apiPrefix + "/entities/{entity}/projects", need: authz.NoAccess, ok: 200,
		check: func(t *testing.T, c *accessCell, body []byte) {
			var got []string
			if err := json.Unmarshal(body, &got); err != nil {
				t.Fatalf("projects %s: %v", body, err)
			}
			want := []string{}
			for _, p := range accessReadable[c.rel.user] {
				if e, name, _ := strings.Cut(p, "/"); e == c.seed.entity {
					want = append(want, name)
				}
			}
			if !slices.Equal(got, want) {
				t.Errorf("%s lists projects %v of %s, want %v", c.rel.user, got, c.seed.entity, want)
			}
		}},
	{name: "links", route: "GET " + versionP + "/links", need: authz.Read, ok: 200},
	{name: "download-blob", route: "GET " + blobP, need: authz.Read, ok: 200,
		check: func(t *testing.T, c *accessCell, body []byte) {
			if string(body) != c.seed.unique {
				t.Errorf("blob body %q, want %q", body, c.seed.unique)
			}
		}},
	{name: "download-file", route: "GET " + versionP + "/file", need: authz.Read, ok: 200,
		query: func(c *accessCell) string { return "path=a.txt" },
		check: func(t *testing.T, c *accessCell, body []byte) {
			if string(body) != c.seed.unique {
				t.Errorf("file body %q, want %q", body, c.seed.unique)
			}
		}},
	{name: "download-archive", route: "GET " + versionP + "/archive", need: authz.Read, ok: 200,
		query: func(c *accessCell) string { return "format=zip" },
		check: func(t *testing.T, c *accessCell, body []byte) {
			if got := unpack(t, "zip", body); got[c.version.Name+"-v0/a.txt"] != c.seed.unique {
				t.Errorf("archive holds %v, want a.txt = %q", got, c.seed.unique)
			}
		}},
	{name: "upsert-artifact", route: "PUT " + pendingP, need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string {
			return fmt.Sprintf(`{"type":"dataset","run_id":%q,"aliases":["attempt"],"description":"d","metadata":{"m":1},"allow_empty":false,`+
				`"manifest":[{"path":"next.txt","digest":%q,"size":%d}]}`, c.run.ID, c.next.Digest, c.next.Size)
		},
		check: func(t *testing.T, c *accessCell, body []byte) {
			var res service.LogResult
			if err := json.Unmarshal(body, &res); err != nil || len(res.Missing) != 0 || res.Version.ID != 0 {
				t.Errorf("upsert answered %s (%v), want no version and nothing missing", body, err)
			}
		}},
	{name: "finish-artifact", route: "POST " + pendingP + "/finish", need: authz.Write, ok: 200, fresh: true,
		body: func(c *accessCell) string {
			return fmt.Sprintf(`{"type":"dataset","run_id":%q,"aliases":["attempt"],"description":"d","metadata":{"m":1},"allow_empty":false,`+
				`"manifest":[{"path":"next.txt","digest":%q,"size":%d}]}`, c.run.ID, c.next.Digest, c.next.Size)
		},
		check: func(t *testing.T, c *accessCell, body []byte) {
			var res service.LogResult
			if err := json.Unmarshal(body, &res); err != nil || !res.Created || res.Version.Index != 1 {
				t.Errorf("finish answered %s (%v), want a new v1", body, err)
			}
		}},
	{name: "list-pending", route: "GET " + projectP + "/pending", need: authz.Read, ok: 200, check: checkSameProject},
	{name: "show-pending", route: "GET " + pendingP, need: authz.Read, ok: 200, check: checkSameProject},
	{name: "abandon-pending", route: "DELETE " + pendingP, need: authz.Write, ok: 200, fresh: true, check: checkSameProject},
}

// accessSeed is what a seeded project holds: ds:v0 (a.txt, whose content is
// in no other project, and b.txt, shared by all) logged by the run
// "producer", which the run "consumer" used to log model:v0, and a pending
// artifact ds keyed by the consumer's id.
type accessSeed struct {
	entity, project    string
	producer, consumer core.Run
	ds, model          core.Version
	unique             string // the content of a.txt
}

// accessWorld is a server over SQLite and file blobs with the users admin
// (site administrator), owner, viewer, member and stranger; the team lab
// (owner admin, member member, viewer viewer); and, when seeded, the projects
// owner/private, owner/open (public) and lab/shared, plus the cross-project
// lineage described at seedCrossProject.
type accessWorld struct {
	svc   *service.Service
	st    *meta.Store
	acc   *authz.Accounts
	ts    *httptest.Server
	p     map[string]authz.Principal
	keys  map[string]string // by user name, and "bad" and "revoked"
	seeds map[string]accessSeed
	n     int // fresh targets made so far

	// sessions are session tokens by user name, opened with w.keys, and
	// "signed-out", a session of owner that has ended.
	sessions map[string]string
}

func newAccessWorld(t *testing.T, seeded bool) *accessWorld {
	t.Helper()
	ctx := context.Background()
	svc, st := newService(t)
	auth := NewAuth(st)
	srv, err := New(Options{Service: svc, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	w := &accessWorld{svc: svc, st: st, acc: auth.Accounts(), ts: httptest.NewServer(srv.Handler()),
		p: map[string]authz.Principal{}, keys: map[string]string{}, sessions: map[string]string{}, seeds: map[string]accessSeed{}}
	t.Cleanup(w.ts.Close)

	_, keyFile, err := w.acc.Bootstrap(ctx, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key, err := os.ReadFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	w.login(t, "admin", strings.TrimSpace(string(key)))
	for _, u := range []string{"owner", "viewer", "member", "stranger", "regadmin"} {
		_, key, err := w.acc.CreateUser(ctx, w.p["admin"], u, false)
		if err != nil {
			t.Fatal(err)
		}
		w.login(t, u, key)
	}
	// regadmin administers the registry dataset, and nothing else.
	if err := st.SetRegistryAdmin(ctx, "dataset", "regadmin", true); err != nil {
		t.Fatal(err)
	}
	if _, err := w.acc.CreateTeam(ctx, w.p["owner"], "lab"); err != nil {
		t.Fatal(err)
	}
	for u, role := range map[string]meta.Role{"member": meta.RoleMember, "viewer": meta.RoleViewer} {
		if err := w.acc.SetMember(ctx, w.p["owner"], "lab", u, role); err != nil {
			t.Fatal(err)
		}
	}
	// A well-formed key the store never saw, and a key of owner that
	// worked until it was revoked.
	if w.keys["bad"], _, _, err = authz.NewKey(); err != nil {
		t.Fatal(err)
	}
	k, revoked, err := w.acc.CreateKey(ctx, w.p["owner"], "owner", "doomed")
	if err != nil {
		t.Fatal(err)
	}
	if status, _, body := w.call(t, "GET", apiPrefix+"/whoami", revoked, ""); status != 200 {
		t.Fatalf("whoami with the key before revoking it: %d %s", status, body)
	}
	if err := w.acc.RevokeKey(ctx, w.p["owner"], "owner", k.ID); err != nil {
		t.Fatal(err)
	}
	w.keys["revoked"] = revoked
	for _, u := range []string{"admin", "owner", "viewer", "member", "stranger", "signed-out"} {
		key := w.keys[u]
		if u == "signed-out" {
			key = w.keys["owner"]
		}
		if w.sessions[u], _, err = authz.StartSession(ctx, st, key, time.Now(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := authz.EndSession(ctx, st, w.sessions["signed-out"]); err != nil {
		t.Fatal(err)
	}

	if !seeded {
		return w
	}
	for _, ep := range []string{"owner/private", "owner/open", "lab/shared"} {
		entity, project, _ := strings.Cut(ep, "/")
		w.seeds[ep] = w.seedProject(t, entity, project)
	}
	if err := w.acc.SetProjectPublic(ctx, w.p["owner"], "owner", "open", true); err != nil {
		t.Fatal(err)
	}
	w.seedCrossProject(t)
	return w
}

// login remembers key and its principal under user.
func (w *accessWorld) login(t *testing.T, user, key string) {
	t.Helper()
	p, err := authz.Authenticate(context.Background(), w.st, key)
	if err != nil || p.User.Name != user {
		t.Fatalf("the key of %s authenticates %q: %v", user, p.User.Name, err)
	}
	w.p[user], w.keys[user] = p, key
}

// callAs sends a cell's request with the credentials of rel.
func (w *accessWorld) callAs(t *testing.T, rel accessRelation, method, path, body string) (int, http.Header, []byte) {
	t.Helper()
	if !rel.session {
		return w.call(t, method, path, w.keys[rel.user], body)
	}
	hdr := []string{"Cookie", SessionCookie + "=" + w.sessions[rel.user]}
	if !rel.noCSRF {
		hdr = append(hdr, CSRFHeader, "1")
	}
	return w.call(t, method, path, "", body, hdr...)
}

// call sends one raw request; key "" sends no Authorization header. hdr
// holds more headers, name and value.
func (w *accessWorld) call(t *testing.T, method, path, key, body string, hdr ...string) (int, http.Header, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, w.ts.URL+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := w.ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, b
}

// Seeding goes through the unguarded service: the matrix tests the HTTP
// front, not the set-up.

func (w *accessWorld) startRun(t *testing.T, ep, name, jobType string) core.Run {
	t.Helper()
	entity, project, _ := strings.Cut(ep, "/")
	r, err := w.svc.CreateRun(context.Background(), service.NewRun{Entity: entity, Project: project, Name: name, JobType: jobType})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// store puts a blob and returns its manifest entry.
func (w *accessWorld) store(t *testing.T, path, content string) core.Entry {
	t.Helper()
	d := core.DigestOf([]byte(content))
	if err := w.svc.PutBlob(context.Background(), d, int64(len(content)), strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	return core.Entry{Path: path, Digest: d, Size: int64(len(content))}
}

// logFiles logs files (path → content) as ep/name from run.
func (w *accessWorld) logFiles(t *testing.T, run core.Run, ep, name, typ string, files map[string]string, aliases ...string) core.Version {
	t.Helper()
	var es []core.Entry
	for p, c := range files {
		es = append(es, w.store(t, p, c))
	}
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	entity, project, _ := strings.Cut(ep, "/")
	res, err := w.svc.LogArtifact(context.Background(), service.LogRequest{Entity: entity, Project: project, Name: name,
		Type: typ, RunID: run.ID, Aliases: aliases, Manifest: m})
	if err != nil || !res.Created {
		t.Fatalf("logging %s/%s: %+v %v", ep, name, res, err)
	}
	return res.Version
}

func (w *accessWorld) use(t *testing.T, run core.Run, v core.Version) {
	t.Helper()
	if _, err := w.svc.UseArtifact(context.Background(), run.ID, v.Ref()); err != nil {
		t.Fatal(err)
	}
}

func (w *accessWorld) seedProject(t *testing.T, entity, project string) accessSeed {
	t.Helper()
	ep := entity + "/" + project
	s := accessSeed{entity: entity, project: project, unique: "only in " + ep + "\n"}
	s.producer = w.startRun(t, ep, "producer", "prepare")
	s.ds = w.logFiles(t, s.producer, ep, "ds", "dataset", map[string]string{"a.txt": s.unique, "b.txt": "in every project\n"}, "prod")
	s.consumer = w.startRun(t, ep, "consumer", "train")
	w.use(t, s.consumer, s.ds)
	s.model = w.logFiles(t, s.consumer, ep, "model", "model", map[string]string{"weights": "model of " + ep})
	w.upsert(t, s.consumer, ep, "ds")
	return s
}

// upsert adds a file to the pending artifact ep/name keyed by run's id.
func (w *accessWorld) upsert(t *testing.T, run core.Run, ep, name string) {
	t.Helper()
	m, err := core.NewManifest([]core.Entry{w.store(t, "pending.txt", "pending of "+run.ID)})
	if err != nil {
		t.Fatal(err)
	}
	entity, project, _ := strings.Cut(ep, "/")
	res, err := w.svc.UpsertArtifact(context.Background(), service.UpsertRequest{
		LogRequest:    service.LogRequest{Entity: entity, Project: project, Name: name, Type: "dataset", RunID: run.ID, Manifest: m},
		DistributedID: run.ID,
	})
	if err != nil || len(res.Missing) > 0 {
		t.Fatalf("upserting to %s/%s: %+v %v", ep, name, res, err)
	}
}

// seedCrossProject links the projects' lineage: the run owner/private
// "publisher" used owner/private/ds:v0 and logged owner/open/published:v0,
// which the stranger's run stranger/mine "reader" used to log
// stranger/mine/result:v0. Unfiltered, the lineage of the stranger's result
// reaches into owner/private.
func (w *accessWorld) seedCrossProject(t *testing.T) {
	t.Helper()
	pub := w.startRun(t, "owner/private", "publisher", "export")
	w.use(t, pub, w.seeds["owner/private"].ds)
	published := w.logFiles(t, pub, "owner/open", "published", "dataset", map[string]string{"export.csv": "exported\n"})
	reader := w.startRun(t, "stranger/mine", "reader", "analyse")
	w.use(t, reader, published)
	w.logFiles(t, reader, "stranger/mine", "result", "result", map[string]string{"result.json": "{}\n"})
}

// accessCell is one request of the matrix.
type accessCell struct {
	ep      accessEndpoint
	rel     accessRelation
	seed    accessSeed   // of rel.project
	run     core.Run     // the run the cell names
	version core.Version // the version the cell names
	next    core.Entry   // a stored blob no version holds yet, for log-version
	public  bool         // whether rel.project was public before the request
}

// want is the status the cell must get.
func (c *accessCell) want() int {
	method, _, _ := strings.Cut(c.ep.route, " ")
	switch {
	case c.rel.noCSRF && !safeMethod(method):
		return http.StatusForbidden
	case !c.rel.authed:
		return http.StatusUnauthorized
	case c.ep.need == authz.NoAccess:
		return c.ep.ok
	case c.rel.access == authz.NoAccess:
		return http.StatusNotFound
	case c.rel.access >= c.ep.need:
		return c.ep.ok
	}
	return http.StatusForbidden
}

func (w *accessWorld) newCell(t *testing.T, ep accessEndpoint, rel accessRelation) *accessCell {
	t.Helper()
	s := w.seeds[rel.project]
	c := &accessCell{ep: ep, rel: rel, seed: s, run: s.consumer, version: s.ds}
	var err error
	if c.public, err = w.st.ProjectPublic(context.Background(), s.entity, s.project); err != nil {
		t.Fatal(err)
	}
	if ep.fresh && c.want() == ep.ok {
		w.n++
		label := fmt.Sprintf("target-%d", w.n)
		c.run = w.startRun(t, rel.project, label, "probe")
		c.version = w.logFiles(t, c.run, rel.project, label, "dataset", map[string]string{"t.txt": label}, "prod")
		w.upsert(t, c.run, rel.project, label)
	}
	c.next = w.store(t, "next.txt", "next of "+c.run.ID)
	return c
}

// request returns the cell's method, path and body.
func (c *accessCell) request() (method, path, body string) {
	method, pattern, _ := strings.Cut(c.ep.route, " ")
	path = strings.NewReplacer(
		"{entity}", c.seed.entity, "{project}", c.seed.project,
		"{name}", c.version.Name, "{version}", c.version.Label(),
		"{run}", c.run.Name, "{id}", c.run.ID,
		"{digest}", core.DigestOf([]byte(c.seed.unique)).String(),
		"{distributed_id}", c.run.ID,
	).Replace(pattern)
	if c.ep.query != nil {
		path += "?" + c.ep.query(c)
	}
	if c.ep.body != nil {
		body = c.ep.body(c)
	}
	return method, path, body
}

// snapshot describes, as user sees it over HTTP, everything in project ep
// that a write could change: runs (state, heartbeat) with their inputs
// and outputs, collections, versions with aliases, description and
// metadata, pending artifacts, and the project's visibility.
func (w *accessWorld) snapshot(t *testing.T, user, ep string) string {
	t.Helper()
	get := func(path string) []byte {
		t.Helper()
		status, _, body := w.call(t, "GET", path, w.keys[user], "")
		if status != 200 {
			t.Fatalf("snapshot: GET %s: %d %s", path, status, body)
		}
		return body
	}
	var b bytes.Buffer
	runs := get(apiPrefix + "/projects/" + ep + "/runs")
	b.Write(runs)
	var rs []core.Run
	if err := json.Unmarshal(runs, &rs); err != nil {
		t.Fatal(err)
	}
	for _, r := range rs {
		b.Write(get(apiPrefix + "/runs/" + r.ID + "/inputs"))
		b.Write(get(apiPrefix + "/runs/" + r.ID + "/outputs"))
	}
	cols := get(apiPrefix + "/projects/" + ep + "/artifacts")
	b.Write(cols)
	var cs []core.Collection
	if err := json.Unmarshal(cols, &cs); err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		b.Write(get(apiPrefix + "/projects/" + ep + "/artifacts/" + c.Name + "/versions"))
	}
	b.Write(get(apiPrefix + "/projects/" + ep + "/pending"))
	entity, project, _ := strings.Cut(ep, "/")
	public, err := w.st.ProjectPublic(context.Background(), entity, project)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(&b, "public=%t\n", public)
	return b.String()
}

// wantAccessError checks an error answer: status, Content-Type, and a body
// of exactly the shape {"error":{"code":…,"message":…}} with the code of the
// status.
func wantAccessError(t *testing.T, status int, hdr http.Header, body []byte, wantStatus int) {
	t.Helper()
	code := map[int]string{401: "unauthenticated", 403: "permission_denied", 404: "not_found"}[wantStatus]
	wantError(t, "answer", status, hdr, body, wantStatus, code)
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	var eb struct {
		Error struct {
			Code    string `json:"code"`
			Message string `json:"message"`
		} `json:"error"`
	}
	if err := dec.Decode(&eb); err != nil {
		t.Errorf("error body %s has fields besides error.code and error.message: %v", body, err)
	}
	if wantStatus == 401 && !strings.HasPrefix(hdr.Get("WWW-Authenticate"), "Bearer") {
		t.Errorf("401 without WWW-Authenticate: Bearer")
	}
}

func TestAccessMatrix(t *testing.T) {
	w := newAccessWorld(t, true)
	// The same users in a world without projects: what a caller gets for a
	// project that does not exist at all.
	ghost := newAccessWorld(t, false)

	for _, ep := range accessEndpoints {
		for _, rel := range accessRelations {
			t.Run(ep.name+"/"+rel.name, func(t *testing.T) {
				c := w.newCell(t, ep, rel)
				want := c.want()
				refusedWrite := want != ep.ok && ep.need >= authz.Write
				var before string
				if refusedWrite {
					before = w.snapshot(t, "owner", rel.project)
				}
				method, path, body := c.request()
				status, hdr, got := w.callAs(t, rel, method, path, body)
				switch {
				case status != want:
					t.Errorf("%s %s: %d %s, want %d", method, path, status, got, want)
				case want != ep.ok:
					wantAccessError(t, status, hdr, got, want)
				case ep.check != nil:
					ep.check(t, c, got)
				case status != 204:
					if ct := hdr.Get("Content-Type"); ct != "application/json" || !json.Valid(got) {
						t.Errorf("success answered %s %q", ct, got)
					}
				}
				if want == http.StatusNotFound {
					gStatus, _, gBody := ghost.callAs(t, rel, method, path, body)
					if gStatus != status || !bytes.Equal(gBody, got) {
						t.Errorf("hidden: %d %s\nmissing: %d %s\nwant the same answer", status, got, gStatus, gBody)
					}
				}
				if refusedWrite {
					if after := w.snapshot(t, "owner", rel.project); after != before {
						t.Errorf("a refused %s changed %s:%s", ep.name, rel.project, lineDiff(before, after))
					}
				}
			})
		}
	}

	t.Run("stranger-lineage-of-own-artifact", func(t *testing.T) {
		path := apiPrefix + "/projects/stranger/mine/artifacts/result/versions/v0/lineage"
		// Unfiltered, the graph reaches owner/private: the filter has work.
		if !graphTouches(t, w, path, "admin", "owner/private") {
			t.Fatalf("the admin's lineage of the stranger's result does not reach owner/private: the test proves nothing")
		}
		if graphTouches(t, w, path, "stranger", "owner/private") {
			t.Errorf("the stranger's lineage of its own result shows nodes of owner/private")
		}
		if !graphTouches(t, w, path, "stranger", "owner/open") {
			t.Errorf("the stranger's lineage of its own result lost the public input it used")
		}
		// The public version's creator is a private run: reported as none.
		status, _, body := w.call(t, "GET", apiPrefix+"/projects/owner/open/artifacts/published/versions/v0/logged-by", w.keys["stranger"], "")
		if status != 200 || strings.TrimSpace(string(body)) != "null" {
			t.Errorf("logged-by of owner/open/published:v0 as stranger: %d %s, want null", status, body)
		}
	})

	// Requests in places the stranger may reach that name something of
	// owner/private: each is a 404 and changes neither project.
	private, open := w.seeds["owner/private"], w.seeds["owner/open"]
	reader := w.runNamed(t, "stranger/mine", "reader")
	secret := core.DigestOf([]byte(private.unique))
	for _, tc := range []struct {
		name, method, path, body string
		ghost                    bool // the ghost world answers the same
	}{
		{name: "run-of-private-through-open-path", method: "GET", ghost: true,
			path: apiPrefix + "/projects/owner/open/runs/" + private.consumer.ID},
		{name: "diff-to-private", method: "GET",
			path: apiPrefix + "/projects/owner/open/artifacts/ds/versions/v0/diff?to=owner/private/ds:v0"},
		{name: "own-run-uses-private", method: "POST", path: apiPrefix + "/runs/" + reader.ID + "/inputs",
			body: `{"ref":"owner/private/ds:v0"}`},
		{name: "log-own-version-from-private-run", method: "POST",
			path: apiPrefix + "/projects/stranger/mine/artifacts/borrowed/versions",
			body: fmt.Sprintf(`{"type":"dataset","run_id":%q,"manifest":[{"path":"x","digest":%q,"size":%d}]}`,
				private.consumer.ID, core.DigestOf([]byte(open.unique)), len(open.unique))},
	} {
		t.Run("cross-project/"+tc.name, func(t *testing.T) {
			beforeMine, beforePrivate := w.snapshot(t, "stranger", "stranger/mine"), w.snapshot(t, "owner", "owner/private")
			status, hdr, body := w.call(t, tc.method, tc.path, w.keys["stranger"], tc.body)
			wantAccessError(t, status, hdr, body, http.StatusNotFound)
			if tc.ghost {
				if gStatus, _, gBody := ghost.call(t, tc.method, tc.path, ghost.keys["stranger"], tc.body); gStatus != status || !bytes.Equal(gBody, body) {
					t.Errorf("hidden: %d %s\nmissing: %d %s\nwant the same answer", status, body, gStatus, gBody)
				}
			}
			if after := w.snapshot(t, "stranger", "stranger/mine"); after != beforeMine {
				t.Errorf("stranger/mine changed:%s", lineDiff(beforeMine, after))
			}
			if after := w.snapshot(t, "owner", "owner/private"); after != beforePrivate {
				t.Errorf("owner/private changed:%s", lineDiff(beforePrivate, after))
			}
		})
	}

	// Knowing a digest is not having the bytes: a stranger who names a blob
	// of owner/private in a manifest of its own, without uploading it, must
	// not be able to read it through that version. Runs last: when it
	// fails, the stranger's project holds the stolen version.
	t.Run("cross-project/claim-private-blob-by-digest", func(t *testing.T) {
		body := fmt.Sprintf(`{"type":"dataset","manifest":[{"path":"a.txt","digest":%q,"size":%d}]}`, secret, len(private.unique))
		status, _, got := w.call(t, "POST", apiPrefix+"/projects/stranger/mine/artifacts/claimed/versions", w.keys["stranger"], body)
		var res service.LogResult
		if status == 200 && json.Unmarshal(got, &res) == nil && res.Created {
			t.Errorf("a manifest naming a blob of owner/private, never uploaded, committed %s", res.Version.FullName())
		}
		status, _, got = w.call(t, "GET", apiPrefix+"/blobs/"+secret.String(), w.keys["stranger"], "")
		if status != http.StatusNotFound {
			t.Errorf("GET the private blob as stranger after claiming it: %d %.80q, want 404", status, got)
		}
	})
}

// runNamed finds a run of project ep by display name.
func (w *accessWorld) runNamed(t *testing.T, ep, name string) core.Run {
	t.Helper()
	entity, project, _ := strings.Cut(ep, "/")
	r, err := w.svc.GetRun(context.Background(), entity, project, name)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// graphTouches fetches a lineage graph as user, checks that every edge joins
// nodes of the graph, and reports whether a node lies in project ep.
func graphTouches(t *testing.T, w *accessWorld, path, user, ep string) bool {
	t.Helper()
	status, _, body := w.call(t, "GET", path, w.keys[user], "")
	if status != 200 {
		t.Fatalf("lineage as %s: %d %s", user, status, body)
	}
	g := decodeGraph(t, body)
	touches := false
	for _, n := range g.Nodes {
		touches = touches || n.Entity+"/"+n.Project == ep
	}
	return touches
}

// decodeGraph decodes a lineage graph and checks that its edges join its
// nodes.
func decodeGraph(t *testing.T, body []byte) core.Graph {
	t.Helper()
	var g core.Graph
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatalf("lineage %s: %v", body, err)
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	for _, e := range g.Edges {
		if !ids[e.From] || !ids[e.To] {
			t.Errorf("edge %s → %s names a node not in the graph", e.From, e.To)
		}
	}
	return g
}

// checkLineage checks that a lineage graph has edges and shows only
// projects the caller may read.
func checkLineage(t *testing.T, c *accessCell, body []byte) {
	t.Helper()
	g := decodeGraph(t, body)
	if len(g.Edges) == 0 {
		t.Errorf("lineage without edges: %s", body)
	}
	for _, n := range g.Nodes {
		if !slices.Contains(accessReadable[c.rel.user], n.Entity+"/"+n.Project) {
			t.Errorf("%s sees lineage node %s of %s/%s", c.rel.user, n.ID, n.Entity, n.Project)
		}
	}
}

// checkTypeGraph checks that a project's type graph holds the seeded
// pipeline (prepare → dataset → train → model) and that its edges join its
// nodes.
func checkTypeGraph(t *testing.T, c *accessCell, body []byte) {
	t.Helper()
	var g core.TypeGraph
	if err := json.Unmarshal(body, &g); err != nil {
		t.Fatalf("type graph %s: %v", body, err)
	}
	ids := map[string]bool{}
	for _, n := range g.Nodes {
		ids[n.ID] = true
	}
	for _, id := range []string{"artifact_type:dataset", "artifact_type:model", "job_type:prepare", "job_type:train"} {
		if !ids[id] {
			t.Errorf("type graph of %s lacks node %s: %s", c.rel.project, id, body)
		}
	}
	for _, e := range []core.Edge{
		{From: "job_type:prepare", To: "artifact_type:dataset"},
		{From: "artifact_type:dataset", To: "job_type:train"},
		{From: "job_type:train", To: "artifact_type:model"},
	} {
		if !slices.Contains(g.Edges, e) {
			t.Errorf("type graph of %s lacks edge %s → %s: %s", c.rel.project, e.From, e.To, body)
		}
	}
	for _, e := range g.Edges {
		if !ids[e.From] || !ids[e.To] {
			t.Errorf("type graph edge %s → %s names a node not in the graph", e.From, e.To)
		}
	}
}

// checkSameProject checks that a successful answer (an object, a list of
// them, or null) holds only records of the cell's project.
func checkSameProject(t *testing.T, c *accessCell, body []byte) {
	t.Helper()
	type record struct{ Entity, Project string }
	var rs []record
	if bytes.HasPrefix(body, []byte("[")) {
		if err := json.Unmarshal(body, &rs); err != nil {
			t.Fatalf("answer %s: %v", body, err)
		}
	} else {
		var r *record
		if err := json.Unmarshal(body, &r); err != nil {
			t.Fatalf("answer %s: %v", body, err)
		}
		if r != nil {
			rs = append(rs, *r)
		}
	}
	if len(rs) == 0 {
		t.Errorf("empty answer %s: the seeded project has something to show", body)
	}
	for _, r := range rs {
		if r.Entity+"/"+r.Project != c.rel.project {
			t.Errorf("answer about %s holds a record of %s/%s: %s", c.rel.project, r.Entity, r.Project, body)
		}
	}
}

// lineDiff lists the lines only before has (-) and only after has (+).
func lineDiff(before, after string) string {
	b, a := strings.Split(before, "\n"), strings.Split(after, "\n")
	var out strings.Builder
	for _, l := range b {
		if !slices.Contains(a, l) {
			out.WriteString("\n- " + l)
		}
	}
	for _, l := range a {
		if !slices.Contains(b, l) {
			out.WriteString("\n+ " + l)
		}
	}
	return out.String()
}

// TestAccessMatrixCoversRoutes keeps the matrix complete: every route that
// names a project, a run, an entity's projects, or downloads a blob has a
// row.
func TestAccessMatrixCoversRoutes(t *testing.T) {
	rows := map[string]bool{}
	for _, ep := range accessEndpoints {
		rows[ep.route] = true
	}
	for _, rt := range (&Server{}).routes() {
		p := rt.path
		if rt.pattern() == "POST "+projectP+"/artifacts/{name}/links" {
			// Linking names a registry collection, never the cell's
			// project: its access rules (read on the source, registry
			// admins for protected aliases) are tested in registry_test.go.
			continue
		}
		if strings.HasPrefix(p, projectP+"/") || p == runP || strings.HasPrefix(p, runP+"/") ||
			strings.HasPrefix(p, apiPrefix+"/entities/") || rt.pattern() == "GET "+blobP {
			if !rows[rt.pattern()] {
				t.Errorf("route %s has no row in the access matrix", rt.pattern())
			}
		}
	}
}

// TestAccessMatrixCoversFields keeps the matrix complete field by field:
// every field a write route takes in its body appears in the body of one of
// its rows, so that a rule checked for one field cannot miss another (as a
// time-to-live on a registry version once did). Registry routes have their
// matrix in registry_matrix_test.go.
func TestAccessMatrixCoversFields(t *testing.T) {
	// Fields bound to the URL, or in every body.
	skip := map[string]bool{"entity": true, "project": true, "name": true, "manifest": true, "distributed_id": true}
	for route, req := range map[string]any{
		"PATCH " + versionP:               service.Update{},
		"POST " + versionsP:               service.LogRequest{},
		"PUT " + pendingP:                 service.UpsertRequest{},
		"POST " + pendingP + "/finish":    service.UpsertRequest{},
		"POST " + projectP + "/runs":      service.NewRun{},
		"POST " + runP + "/finish":        wire.FinishRequest{},
		"POST " + runP + "/inputs":        wire.UseRequest{},
		"PUT " + projectP + "/visibility": wire.VisibilityRequest{},
	} {
		for _, f := range jsonFields(reflect.TypeOf(req)) {
			if skip[f] || (f == "ttl" && strings.Contains(route, "/pending/")) {
				// Distributed artifacts take no time-to-live.
				continue
			}
			found := false
			for _, ep := range accessEndpoints {
				if ep.route == route && ep.body != nil && strings.Contains(ep.body(&accessCell{}), `"`+f+`"`) {
					found = true
				}
			}
			if !found {
				t.Errorf("field %s of %s is in no row of the access matrix", f, route)
			}
		}
	}
}

// jsonFields returns the JSON names of the fields of struct type typ,
// embedded structs included.
func jsonFields(typ reflect.Type) []string {
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		if f.Anonymous {
			out = append(out, jsonFields(f.Type)...)
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name != "" && name != "-" && f.IsExported() {
			out = append(out, name)
		}
	}
	return out
}
