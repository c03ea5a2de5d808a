package main

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"io"
	"io/fs"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// site is a trove server of one test, with an environment acting as its
// site administrator.
type site struct {
	t     *testing.T
	srv   *serverProc
	data  string // the server's data directory
	admin *env
}

// newSite starts a server on a fresh data directory. Its environments set
// neither TROVE_ENTITY nor TROVE_PROJECT, so commands use the defaults of
// the key's user.
func newSite(t *testing.T, serverArgs ...string) *site {
	t.Helper()
	e := newEnv(t)
	data := filepath.Join(e.dir, "server")
	s := startServer(t, nil, append([]string{"--data", data}, serverArgs...)...)
	e.vars = []string{
		"TROVE_URL=" + s.url,
		"TROVE_API_KEY=" + adminKey(t, data),
		"TROVE_CACHE_DIR=" + filepath.Join(e.dir, "cache-admin"),
		"TROVE_CONFIG=" + filepath.Join(e.dir, "config-admin.json"),
		// Set but empty means unset, whatever the test process inherited.
		"TROVE_ENTITY=",
		"TROVE_PROJECT=",
	}
	return &site{t: t, srv: s, data: data, admin: e}
}

// user creates a user with the admin key and returns an environment acting
// as it, with its own client cache.
func (s *site) user(name string) *env {
	s.t.Helper()
	key := s.admin.ok("user", "create", name).lastLine()
	if !strings.HasPrefix(key, "trove_") {
		s.t.Fatalf("user create %s: last line %q is not an API key", name, key)
	}
	return s.admin.as(name, key)
}

// as is a copy of e that uses key and a client cache of its own (so that
// one user's downloads never serve another's). Later variables win in
// exec.Cmd, so appending overrides.
func (e *env) as(name, key string) *env {
	c := *e
	c.vars = append(slices.Clone(e.vars),
		"TROVE_API_KEY="+key,
		"TROVE_CACHE_DIR="+filepath.Join(e.dir, "cache-"+name))
	return &c
}

// keyOf returns the API key e uses.
func keyOf(e *env) string {
	for _, v := range slices.Backward(e.vars) {
		if k, ok := strings.CutPrefix(v, "TROVE_API_KEY="); ok {
			return k
		}
	}
	return ""
}

// with is a copy of e with more environment variables.
func (e *env) with(vars ...string) *env {
	c := *e
	c.vars = append(slices.Clone(e.vars), vars...)
	return &c
}

// troveStdin is e.trove with stdin.
func (e *env) troveStdin(stdin string, args ...string) result {
	e.t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Dir = e.work
	cmd.Env = append(append(os.Environ(), envCLI+"=1"), e.vars...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := result{stdout: stdout.String(), stderr: stderr.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		r.code = ee.ExitCode()
	} else if err != nil {
		e.t.Fatalf("trove %v: %v", args, err)
	}
	return r
}

// lastErr is the last line of a command's stderr.
func (r result) lastErr() string {
	lines := strings.Split(strings.TrimRight(r.stderr, "\n"), "\n")
	return lines[len(lines)-1]
}

// mode returns the permission bits of path.
func mode(t *testing.T, path string) fs.FileMode {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Mode().Perm()
}

// bounce stops s cleanly (SIGTERM) and starts it again on the same
// address and data.
func bounce(s *serverProc) {
	s.t.Helper()
	s.stop()
	s.restart()
}

// whereJSON is the part of `artifact info --json` these tests look at.
type whereJSON struct {
	Entity  string `json:"entity"`
	Project string `json:"project"`
	Name    string `json:"name"`
	Version string `json:"version"`
}

// TestServerFirstStart: the first start creates admin and its key file
// (0600) and says where; later starts create nothing, even when the key
// file is gone, and the key keeps working.
func TestServerFirstStart(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	data := filepath.Join(e.dir, "server")
	s := startServer(t, nil, "--data", data)
	keyFile := filepath.Join(data, "admin-api-key")
	if want := "created user admin; its API key is in " + keyFile; !strings.Contains(s.stderr.String(), want) {
		t.Errorf("first start: stderr does not say %q:\n%s", want, s.stderr.String())
	}
	if m := mode(t, keyFile); m != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", keyFile, m)
	}
	key := adminKey(t, data)
	e.vars = []string{"TROVE_URL=" + s.url, "TROVE_API_KEY=" + key, "TROVE_CONFIG=" + filepath.Join(e.dir, "config.json")}
	if got := e.ok("user", "whoami").lastLine(); got != "admin" {
		t.Errorf("whoami with the admin key: %q", got)
	}

	bounce(s)
	if strings.Contains(s.stderr.String(), "created") {
		t.Errorf("second start created something:\n%s", s.stderr.String())
	}
	if got := adminKey(t, data); got != key {
		t.Errorf("second start rewrote the admin key file")
	}
	if got := e.ok("user", "whoami").lastLine(); got != "admin" {
		t.Errorf("whoami after a restart: %q", got)
	}
	type userJSON struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	}
	users := jsonOf[[]userJSON](t, e.ok("user", "ls", "--json"))
	if len(users) != 1 || users[0] != (userJSON{"admin", true}) {
		t.Errorf("users after a restart: %+v, want admin only", users)
	}

	// A lost key file is not a reason to mint a key: whoever holds the
	// old one still holds admin's access.
	if err := os.Remove(keyFile); err != nil {
		t.Fatal(err)
	}
	bounce(s)
	if _, err := os.Stat(keyFile); !os.IsNotExist(err) {
		t.Errorf("a start without the key file wrote a new one (%v)", err)
	}
	if strings.Contains(s.stderr.String(), "created") {
		t.Errorf("a start without the key file created something:\n%s", s.stderr.String())
	}
	if got := e.ok("user", "whoami").lastLine(); got != "admin" {
		t.Errorf("whoami after losing the key file: %q", got)
	}
}

// TestServerHelp: the server's help names the flags operators need.
func TestServerHelp(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	out := e.ok("server", "--help").stdout
	for _, flag := range []string{"--addr", "--data", "--db", "--blobs", "--tls-cert", "--tls-key", "--encryption-key-file"} {
		if !strings.Contains(out, flag) {
			t.Errorf("trove server --help does not mention %s:\n%s", flag, out)
		}
	}
}

// TestAccountUsers: the admin creates users; a user's commands default to
// its personal entity; only admins create users, once per valid name.
func TestAccountUsers(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice := s.user("alice")
	if got := alice.ok("user", "whoami").lastLine(); got != "alice" {
		t.Errorf("whoami as alice: %q", got)
	}

	alice.write("data.txt", "alice's data")
	if got := alice.ok("artifact", "put", "data.txt", "-n", "ds", "-t", "dataset").lastLine(); got != "alice/uncategorized/ds:v0" {
		t.Errorf("alice's put: %q, want alice/uncategorized/ds:v0", got)
	}
	info := jsonOf[whereJSON](t, alice.ok("artifact", "info", "ds", "--json"))
	if info != (whereJSON{"alice", "uncategorized", "ds", "v0"}) {
		t.Errorf("alice's artifact info ds: %+v", info)
	}

	alice.fails("creating users needs a site administrator", "user", "create", "mallory")
	alice.fails("creating users needs a site administrator", "user", "create", "mallory", "--admin")
	s.admin.fails(`"alice" is taken`, "user", "create", "alice")
	for _, tc := range []struct{ name, want string }{
		{"Bad/Name", "only letters, digits"},
		{"bad name", "only letters, digits"},
		{"..", "not allowed"},
		{"registry", "reserved"},
		{strings.Repeat("a", 129), "entity name"},
	} {
		s.admin.fails(tc.want, "user", "create", tc.name)
	}

	// --json carries the key too, and the key works.
	type created struct {
		Name   string `json:"name"`
		Admin  bool   `json:"admin"`
		APIKey string `json:"api_key"`
	}
	bob := jsonOf[created](t, s.admin.ok("user", "create", "bob", "--admin", "--json"))
	if bob.Name != "bob" || !bob.Admin || !strings.HasPrefix(bob.APIKey, "trove_") {
		t.Fatalf("user create bob --admin --json: %+v", bob)
	}
	asBob := s.admin.as("bob", bob.APIKey)
	asBob.ok("user", "create", "carol") // bob is a site administrator

	type userJSON struct {
		Name  string `json:"name"`
		Admin bool   `json:"admin"`
	}
	users := jsonOf[[]userJSON](t, s.admin.ok("user", "ls", "--json"))
	want := []userJSON{{"admin", true}, {"alice", false}, {"bob", true}, {"carol", false}}
	slices.SortFunc(users, func(a, b userJSON) int { return strings.Compare(a.Name, b.Name) })
	if !slices.Equal(users, want) {
		t.Errorf("user ls: %+v, want %+v", users, want)
	}
	if out := s.admin.ok("user", "ls", "--json").stdout; strings.Contains(out, bob.APIKey) {
		t.Errorf("user ls shows a secret:\n%s", out)
	}
}

// keyJSON is a row of `key ls --json`.
type keyJSON struct {
	ID        int64   `json:"id"`
	User      string  `json:"user"`
	Prefix    string  `json:"prefix"`
	Label     string  `json:"label"`
	RevokedAt *string `json:"revoked_at"`
}

// TestAccountKeys: a user holds several keys, lists them without secrets and
// revokes one, which stops working at once while the others go on; nobody
// else revokes them but a site administrator.
func TestAccountKeys(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice := s.user("alice")
	bob := s.user("bob")
	first := keyOf(alice)
	second := alice.ok("key", "create", "--label", "ci").lastLine()
	if !strings.HasPrefix(second, "trove_") || second == first {
		t.Fatalf("key create: %q", second)
	}
	ci := alice.as("alice-ci", second)
	if got := ci.ok("user", "whoami").lastLine(); got != "alice" {
		t.Errorf("whoami with alice's second key: %q", got)
	}

	r := alice.ok("key", "ls", "--json")
	if strings.Contains(r.stdout, first) || strings.Contains(r.stdout, second) {
		t.Errorf("key ls shows a secret:\n%s", r.stdout)
	}
	for _, k := range jsonOf[[]map[string]any](t, r) {
		for field := range k {
			if strings.Contains(field, "key") || strings.Contains(field, "hash") || strings.Contains(field, "secret") {
				t.Errorf("key ls has a field %q: %v", field, k)
			}
		}
	}
	keys := jsonOf[[]keyJSON](t, r)
	if len(keys) != 2 {
		t.Fatalf("key ls: %d keys, want 2:\n%s", len(keys), r.stdout)
	}
	var ciID int64
	for _, k := range keys {
		if k.User != "alice" || k.RevokedAt != nil || len(k.Prefix) <= len("trove_") || len(k.Prefix) >= len(first) {
			t.Errorf("key ls: %+v", k)
		}
		switch {
		case strings.HasPrefix(second, k.Prefix) && k.Label == "ci":
			ciID = k.ID
		case !strings.HasPrefix(first, k.Prefix):
			t.Errorf("key ls: %+v is neither of alice's keys", k)
		}
	}
	if ciID == 0 {
		t.Fatalf("key ls: no key labelled ci: %+v", keys)
	}
	id := strconv.FormatInt(ciID, 10)

	// Bob cannot revoke alice's key; by its id alone he learns nothing.
	bob.fails("only alice or a site administrator may revoke", "key", "revoke", id, "--user", "alice")
	bob.fails("has no API key "+id, "key", "revoke", id)
	bob.fails("only alice or a site administrator", "key", "ls", "--user", "alice")
	ci.ok("user", "whoami")

	if code, _ := whoamiStatus(t, s.srv.url, second); code != http.StatusOK {
		t.Errorf("GET /api/v1/whoami with alice's second key: %d before it was revoked", code)
	}
	alice.ok("key", "revoke", id)
	for _, args := range [][]string{{"user", "whoami"}, {"artifact", "ls"}, {"key", "ls"}} {
		r := ci.fails("the API key is unknown or revoked", args...)
		if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n != 0 {
			t.Errorf("revoked key, trove %s: want one line on stderr, got:\n%s", strings.Join(args, " "), r.stderr)
		}
	}
	if code, body := whoamiStatus(t, s.srv.url, second); code != http.StatusUnauthorized || body.Error.Code != "unauthenticated" {
		t.Errorf("GET /api/v1/whoami with a revoked key: %d %+v, want 401 unauthenticated", code, body)
	}
	if got := alice.ok("user", "whoami").lastLine(); got != "alice" {
		t.Errorf("alice's first key after revoking the second: %q", got)
	}
	alice.write("f.txt", "still works")
	alice.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset")
	keys = jsonOf[[]keyJSON](t, alice.ok("key", "ls", "--json"))
	for _, k := range keys {
		if revoked := k.RevokedAt != nil; revoked != (k.ID == ciID) {
			t.Errorf("after revoking key %d: %+v", ciID, k)
		}
	}

	// Typos and unknown keys get the same kind of clear line.
	alice.as("typo", "nottrove").fails("the API key is malformed", "user", "whoami")
	alice.as("unknown", "trove_"+strings.Repeat("x", 40)).fails("the API key is unknown or revoked", "user", "whoami")

	// A site administrator may create and revoke other users' keys.
	type madeJSON struct {
		ID     int64  `json:"id"`
		User   string `json:"user"`
		APIKey string `json:"api_key"`
	}
	made := jsonOf[madeJSON](t, s.admin.ok("key", "create", "--user", "bob", "--json"))
	if made.User != "bob" || !strings.HasPrefix(made.APIKey, "trove_") {
		t.Fatalf("key create --user bob --json: %+v", made)
	}
	if got := bob.as("bob-2", made.APIKey).ok("user", "whoami").lastLine(); got != "bob" {
		t.Errorf("key made by admin for bob is %q's", got)
	}
	s.admin.ok("key", "revoke", strconv.FormatInt(made.ID, 10), "--user", "bob")
	bob.as("bob-2", made.APIKey).fails("unknown or revoked", "user", "whoami")
	bob.ok("user", "whoami")
}

// apiError is the JSON body of an API error.
type apiError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// whoamiStatus asks the API who key belongs to and returns the status and,
// on failure, the error body.
func whoamiStatus(t *testing.T, url, key string) (int, apiError) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url+"/api/v1/whoami", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body apiError
	if resp.StatusCode != http.StatusOK {
		if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
			t.Errorf("GET /api/v1/whoami: %s with a body that is not a JSON error: %v", resp.Status, err)
		}
	}
	return resp.StatusCode, body
}

// TestAccountTeams: team roles decide who reads and writes a team's
// artifacts; outsiders do not learn which artifacts it has.
func TestAccountTeams(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice, bob, carol := s.user("alice"), s.user("bob"), s.user("carol")

	if got := alice.ok("team", "create", "lab").lastLine(); got != "lab" {
		t.Errorf("team create: %q", got)
	}
	s.admin.fails(`"lab" is taken`, "user", "create", "lab")
	alice.fails(`"bob" is taken`, "team", "create", "bob")
	alice.ok("team", "add-member", "lab", "bob", "--role", "viewer")
	alice.fails("want admin, member or viewer", "team", "add-member", "lab", "bob", "--role", "owner")

	type memberJSON struct {
		User string `json:"user"`
		Role string `json:"role"`
	}
	members := func() []memberJSON {
		ms := jsonOf[[]memberJSON](t, alice.ok("team", "members", "lab", "--json"))
		slices.SortFunc(ms, func(a, b memberJSON) int { return strings.Compare(a.User, b.User) })
		return ms
	}
	if got, want := members(), []memberJSON{{"alice", "admin"}, {"bob", "viewer"}}; !slices.Equal(got, want) {
		t.Errorf("members: %+v, want %+v", got, want)
	}

	alice.write("x.txt", "lab data")
	if got := alice.ok("artifact", "put", "x.txt", "-n", "x", "-t", "dataset", "-e", "lab", "-p", "p").lastLine(); got != "lab/p/x:v0" {
		t.Fatalf("alice's put to lab: %q", got)
	}

	// A viewer reads but does not write.
	if info := jsonOf[whereJSON](t, bob.ok("artifact", "info", "lab/p/x", "--json")); info != (whereJSON{"lab", "p", "x", "v0"}) {
		t.Errorf("bob's artifact info lab/p/x: %+v", info)
	}
	dir := bob.ok("artifact", "get", "lab/p/x", "--root", filepath.Join(bob.dir, "bob-x")).lastLine()
	if got := bob.read(filepath.Join(dir, "x.txt")); got != "lab data" {
		t.Errorf("bob downloaded %q", got)
	}
	bob.write("y.txt", "bob's data")
	bob.fails("user bob has read access to lab/p, write access is needed", "artifact", "put", "y.txt", "-n", "x", "-t", "dataset", "-e", "lab", "-p", "p")
	bob.fails("write access is needed", "artifact", "alias", "lab/p/x:v0", "--add", "best")
	bob.fails("needs its admin role", "team", "add-member", "lab", "carol", "--role", "viewer")

	// A stranger learns nothing.
	carol.fails("not found", "artifact", "info", "lab/p/x")
	carol.fails("not found", "artifact", "get", "lab/p/x", "--root", filepath.Join(carol.dir, "carol-x"))
	carol.fails("not found", "lineage", "lab/p/x")
	carol.fails("not found", "artifact", "put", "y.txt", "-n", "x", "-t", "dataset", "-e", "lab", "-p", "p")
	// Its members are the team's business: to a stranger the team is not
	// there, exactly as one that does not exist.
	hidden := carol.fails(`team "lab" not found`, "team", "members", "lab")
	none := carol.fails(`team "bal" not found`, "team", "members", "bal")
	if strings.ReplaceAll(none.stderr, `"bal"`, `"lab"`) != hidden.stderr {
		t.Errorf("members of a team carol is not in: %q; of no team: %q", hidden.stderr, none.stderr)
	}

	// A member writes.
	alice.ok("team", "add-member", "lab", "bob", "--role", "member")
	if got, want := members(), []memberJSON{{"alice", "admin"}, {"bob", "member"}}; !slices.Equal(got, want) {
		t.Errorf("members after promotion: %+v, want %+v", got, want)
	}
	if got := bob.ok("artifact", "put", "y.txt", "-n", "x", "-t", "dataset", "-e", "lab", "-p", "p").lastLine(); got != "lab/p/x:v1" {
		t.Errorf("bob's put as a member: %q, want lab/p/x:v1", got)
	}
	bob.ok("artifact", "alias", "lab/p/x:v1", "--add", "best")
	bob.fails("needs its admin role", "team", "add-member", "lab", "carol", "--role", "viewer")

	// Removed, bob is a stranger again.
	alice.ok("team", "remove-member", "lab", "bob")
	bob.fails("not found", "artifact", "info", "lab/p/x")
	if got, want := members(), []memberJSON{{"alice", "admin"}}; !slices.Equal(got, want) {
		t.Errorf("members after removal: %+v, want %+v", got, want)
	}
}

// TestAccountVisibility: a public project is readable by every user, and
// writable only by its entity; private again, it is hidden again.
func TestAccountVisibility(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice, carol := s.user("alice"), s.user("carol")
	alice.write("demo.txt", "demo data")
	if got := alice.ok("artifact", "put", "demo.txt", "-n", "ds", "-t", "dataset", "-p", "demo").lastLine(); got != "alice/demo/ds:v0" {
		t.Fatalf("alice's put: %q", got)
	}
	carol.write("mine.txt", "carol's data")
	readOnly := [][]string{
		{"artifact", "put", "mine.txt", "-n", "ds", "-t", "dataset", "-e", "alice", "-p", "demo"},
		{"artifact", "alias", "alice/demo/ds:v0", "--add", "best"},
		{"artifact", "update", "alice/demo/ds:v0", "-d", "defaced"},
		{"artifact", "delete", "alice/demo/ds:v0", "--delete-aliases"},
	}
	reads := func(r string) [][]string {
		return [][]string{
			{"artifact", "info", r},
			{"artifact", "get", r, "--root", filepath.Join(carol.dir, "carol-demo")},
			{"lineage", r},
		}
	}

	carol.fails("not found", "artifact", "info", "alice/demo/ds")
	carol.fails("not found", "project", "visibility", "alice/demo", "public")
	alice.ok("project", "visibility", "demo", "public")

	if info := jsonOf[whereJSON](t, carol.ok("artifact", "info", "alice/demo/ds", "--json")); info != (whereJSON{"alice", "demo", "ds", "v0"}) {
		t.Errorf("carol's info of a public artifact: %+v", info)
	}
	dir := carol.ok("artifact", "get", "alice/demo/ds", "--root", filepath.Join(carol.dir, "carol-demo")).lastLine()
	if got := carol.read(filepath.Join(dir, "demo.txt")); got != "demo data" {
		t.Errorf("carol downloaded %q", got)
	}
	type lineageJSON struct {
		Nodes []struct {
			ID   string `json:"id"`
			Kind string `json:"kind"`
		} `json:"nodes"`
	}
	if g := jsonOf[lineageJSON](t, carol.ok("lineage", "alice/demo/ds", "--format", "json")); len(g.Nodes) != 2 {
		t.Errorf("carol's lineage of a public artifact: %+v, want the version and its upload run", g)
	}
	for _, args := range readOnly {
		carol.fails("user carol has read access to alice/demo, write access is needed", args...)
	}
	carol.fails("user carol has read access to alice/demo, admin access is needed", "project", "visibility", "alice/demo", "private")
	// What carol tried changed nothing.
	info := alice.ok("artifact", "versions", "ds", "-p", "demo", "--json").stdout
	if strings.Contains(info, "best") || strings.Contains(info, "defaced") || strings.Contains(info, `"v1"`) {
		t.Errorf("carol's failed writes changed alice/demo/ds:\n%s", info)
	}

	alice.ok("project", "visibility", "alice/demo", "private")
	for _, args := range append(reads("alice/demo/ds"), readOnly...) {
		carol.fails("not found", args...)
	}

	// A project that does not exist is not found, even for its entity's
	// owner, and is not created by the attempt.
	alice.fails("project alice/demoo not found", "project", "visibility", "demoo", "public")
	alice.fails("project alice/demoo not found", "project", "visibility", "demoo", "public")
	alice.fails("project alice/nothing not found", "project", "visibility", "alice/nothing", "private")
}

// TestLogin: trove login checks the key and saves it (0600) so that later
// commands need only the config; a bad key saves nothing.
func TestLogin(t *testing.T) {
	t.Parallel()
	s := newSite(t)
	alice := s.user("alice")
	key := keyOf(alice)
	cfg := filepath.Join(alice.dir, "home", ".config", "trove", "config.json")
	// Only TROVE_CONFIG: no URL, no key.
	e := alice.with("TROVE_URL=", "TROVE_API_KEY=", "TROVE_CONFIG="+cfg)

	bad := "trove_" + strings.Repeat("x", 40)
	e.fails("run trove login URL", "user", "whoami")
	if r := e.troveStdin(bad+"\n", "login", s.srv.url); r.code == 0 || !strings.Contains(r.lastErr(), "the API key is unknown or revoked") {
		t.Errorf("login with an unknown key: exit %d, %q", r.code, r.stderr)
	}
	e.fails("no API key", "login", s.srv.url)
	e.fails("needs a server URL", "login", filepath.Join(e.dir, "data"))
	if _, err := os.Stat(cfg); !os.IsNotExist(err) {
		t.Fatalf("failed logins saved %s (%v)", cfg, err)
	}

	r := e.troveStdin(key+"\n", "login", s.srv.url+"/")
	if r.code != 0 {
		t.Fatalf("login: exit %d: %s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "as alice") || !strings.Contains(r.stderr, cfg) {
		t.Errorf("login does not say who and where: %q", r.stderr)
	}
	if m := mode(t, cfg); m != 0o600 {
		t.Errorf("%s has mode %04o, want 0600", cfg, m)
	}
	saved := e.read(cfg)

	if got := e.ok("user", "whoami").lastLine(); got != "alice" {
		t.Errorf("whoami after login: %q", got)
	}
	e.write("f.txt", "logged in")
	if got := e.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset").lastLine(); got != "alice/uncategorized/f:v0" {
		t.Errorf("put after login: %q", got)
	}
	dir := e.ok("artifact", "get", "f", "--root", filepath.Join(e.dir, "got")).lastLine()
	if got := e.read(filepath.Join(dir, "f.txt")); got != "logged in" {
		t.Errorf("get after login: %q", got)
	}

	// A failed login keeps the saved one.
	if r := e.troveStdin(bad+"\n", "login", s.srv.url); r.code == 0 {
		t.Errorf("login with an unknown key succeeded")
	}
	e.fails("the API key is malformed", "login", s.srv.url, "--key", "nope")
	if got := e.read(cfg); got != saved {
		t.Errorf("a failed login changed the config:\n%s\nwas\n%s", got, saved)
	}
	// An explicit key still wins over the saved one.
	if got := e.with("TROVE_API_KEY="+adminKey(t, s.data)).ok("user", "whoami").lastLine(); got != "admin" {
		t.Errorf("TROVE_API_KEY did not win over the saved key: %q", got)
	}

	// A config others can read is refused, not used.
	if err := os.Chmod(cfg, 0o644); err != nil {
		t.Fatal(err)
	}
	e.fails("chmod 600", "user", "whoami")
	e.fails("chmod 600", "artifact", "ls")
}

// selfSigned writes a self-signed ECDSA certificate for 127.0.0.1 and its
// key, and returns their paths and a pool trusting the certificate.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "trove test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}), 0o600); err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// startTLSServer starts `trove server` with args and waits until it answers
// /readyz over HTTPS, trusting roots. startServer cannot: its readiness
// probe trusts the system roots only. The server is killed at the end of
// the test.
func startTLSServer(t *testing.T, roots *x509.CertPool, args ...string) (url string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"server", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), envCLI+"=1")
	stderr := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = io.Discard, stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		cmd.Wait()
		close(done)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-done
	})
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	defer hc.CloseIdleConnections()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-done:
			t.Fatalf("trove server exited at start:\n%s", stderr.String())
		default:
		}
		if url == "" {
			if m := servingRE.FindStringSubmatch(stderr.String()); m != nil {
				url = m[1]
			}
		}
		if url != "" {
			resp, err := hc.Get(url + "/readyz")
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode == http.StatusOK {
					return url
				}
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("trove server never became ready over HTTPS:\n%s", stderr.String())
	return ""
}

// TestTLS: with --tls-cert/--tls-key the server speaks HTTPS; a client
// trusting the certificate (SSL_CERT_FILE) works, others get a clear
// certificate error.
func TestTLS(t *testing.T) {
	t.Parallel()
	e := newEnv(t)
	certFile, keyFile, pool := selfSigned(t, e.dir)
	e.fails("--tls-cert and --tls-key go together", "server", "--addr", "127.0.0.1:0", "--data", filepath.Join(e.dir, "half"), "--tls-cert", certFile)

	data := filepath.Join(e.dir, "server")
	u := startTLSServer(t, pool, "--data", data, "--tls-cert", certFile, "--tls-key", keyFile)
	if !strings.HasPrefix(u, "https://127.0.0.1:") {
		t.Fatalf("server says it serves %s, want https://127.0.0.1:PORT", u)
	}
	e.vars = []string{
		"TROVE_URL=" + u,
		"TROVE_API_KEY=" + adminKey(t, data),
		"TROVE_CACHE_DIR=" + filepath.Join(e.dir, "cache"),
		"TROVE_CONFIG=" + filepath.Join(e.dir, "config.json"),
		"TROVE_ENTITY=",
		"TROVE_PROJECT=",
		"SSL_CERT_DIR=" + filepath.Join(e.dir, "no-certs"),
	}
	trusting := e.with("SSL_CERT_FILE=" + certFile)
	untrusting := e.with("SSL_CERT_FILE=")

	e.write("f.txt", "over TLS")
	if got := trusting.ok("artifact", "put", "f.txt", "-n", "f", "-t", "dataset").lastLine(); got != "admin/uncategorized/f:v0" {
		t.Errorf("put over TLS: %q", got)
	}
	dir := trusting.with("TROVE_CACHE_DIR="+filepath.Join(e.dir, "cache2")).ok("artifact", "get", "f", "--root", filepath.Join(e.dir, "got")).lastLine()
	if got := e.read(filepath.Join(dir, "f.txt")); got != "over TLS" {
		t.Errorf("get over TLS: %q", got)
	}

	untrusting.fails("tls: failed to verify certificate: x509: certificate signed by unknown authority", "artifact", "put", "f.txt", "-n", "g", "-t", "dataset")
	untrusting.fails("certificate signed by unknown authority", "user", "whoami")
	// The certificate names 127.0.0.1, not localhost.
	byName := strings.Replace(u, "127.0.0.1", "localhost", 1)
	trusting.with("TROVE_URL="+byName).fails("wanted to match localhost", "user", "whoami")
	// Plain HTTP to the HTTPS port is refused.
	plain := strings.Replace(u, "https://", "http://", 1)
	if r := trusting.with("TROVE_URL="+plain).trove("user", "whoami"); r.code == 0 {
		t.Errorf("plain HTTP to the HTTPS server succeeded: %s", r.stdout)
	}
	// Nothing was logged by the failed puts.
	if out := trusting.ok("artifact", "ls", "--json").stdout; strings.Contains(out, `"g"`) {
		t.Errorf("a put that failed on the certificate logged something:\n%s", out)
	}
}

// TestEncryptAtRest: with --encryption-key-file no blob holds the
// plaintext, downloads still return it, a key file others may read is
// refused, and so is the wrong key.
func TestEncryptAtRest(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	writeKey := func(name string, size int, perm fs.FileMode) string {
		t.Helper()
		k := make([]byte, size)
		if _, err := rand.Read(k); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, k, 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chmod(p, perm); err != nil {
			t.Fatal(err)
		}
		return p
	}
	key1, key2 := writeKey("key1", 32, 0o600), writeKey("key2", 32, 0o600)

	s := newSite(t, "--encryption-key-file", key1)
	e := s.admin
	marker := "TROVE-PLAINTEXT-MARKER-7f3a9c"
	content := strings.Repeat(marker+"\n", 100)
	e.write("secret.txt", content)
	if got := e.ok("artifact", "put", "secret.txt", "-n", "secret", "-t", "dataset").lastLine(); got != "admin/uncategorized/secret:v0" {
		t.Fatalf("put: %q", got)
	}

	blobs, stored := filepath.Join(s.data, "blobs"), 0
	err := filepath.WalkDir(blobs, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if len(b) >= len(content) {
			stored++
		}
		if bytes.Contains(b, []byte(marker)) {
			t.Errorf("%s holds the plaintext", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored == 0 {
		t.Fatalf("no blob under %s is large enough to hold the file: the check above proves nothing", blobs)
	}

	get := func(cache string) result {
		t.Helper()
		return e.with("TROVE_CACHE_DIR="+filepath.Join(e.dir, cache)).trove("artifact", "get", "secret", "--root", filepath.Join(e.dir, cache+"-root"))
	}
	r := get("fresh1")
	if r.code != 0 {
		t.Fatalf("get: exit %d: %s", r.code, r.stderr)
	}
	if got := e.read(filepath.Join(r.lastLine(), "secret.txt")); got != content {
		t.Errorf("get returned %d bytes, not the file", len(got))
	}

	// A key file others may read is refused before anything starts. Its
	// --addr is taken, so a server that wrongly went on fails anyway
	// instead of serving for ever.
	loose := writeKey("loose", 32, 0o644)
	other := filepath.Join(dir, "other")
	e.fails("(mode 0644); only its owner may: chmod 600", "server", "--addr", s.srv.addr, "--data", other, "--encryption-key-file", loose)
	if _, err := os.Stat(filepath.Join(other, "admin-api-key")); !os.IsNotExist(err) {
		t.Errorf("a refused start created the admin (%v)", err)
	}
	e.fails("want exactly 32 bytes", "server", "--addr", s.srv.addr, "--data", other, "--encryption-key-file", writeKey("short", 16, 0o600))

	// The wrong key: the store records the key's id, so the server refuses
	// to start rather than call every blob corrupt (more in
	// TestServerRefusesWrongKey).
	s.srv.stop()
	e.fails("is encrypted under another key", "server", "--addr", takenAddr(t), "--data", s.data, "--encryption-key-file", key2)

	// The right key again: nothing was damaged.
	s.srv.restart()
	r = get("fresh3")
	if r.code != 0 {
		t.Fatalf("get with the right key again: exit %d: %s", r.code, r.stderr)
	}
	if got := e.read(filepath.Join(r.lastLine(), "secret.txt")); got != content {
		t.Errorf("get with the right key again returned %d bytes, not the file", len(got))
	}
}
