package server

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/meta/metatest"
	"github.com/troveml/trove/internal/meta/metatest/pgschema"
	"github.com/troveml/trove/internal/service"
)

// browser sends requests as the web UI does: no API key, the session cookie
// once signed in, and the CSRF header unless told otherwise.
type browser struct {
	url    string // the server's origin
	client *http.Client
	cookie string // the session token; "" before signing in
}

func newBrowser(ts *httptest.Server) *browser { return &browser{url: ts.URL, client: ts.Client()} }

// resp is an answer to a request.
type resp struct {
	status int
	hdr    http.Header
	body   []byte
}

// sessionCookieOf returns the trove_session cookie a response sets, or nil.
func (r resp) sessionCookieOf() *http.Cookie {
	for _, c := range (&http.Response{Header: r.hdr}).Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

// do sends a request; hdr holds more headers (name, value; an empty value
// removes the header). The CSRF header is sent unless hdr removes it.
func (b *browser) do(t *testing.T, method, path, body string, hdr ...string) resp {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(CSRFHeader, "1")
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if b.cookie != "" {
		req.AddCookie(&http.Cookie{Name: SessionCookie, Value: b.cookie})
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i+1] == "" {
			req.Header.Del(hdr[i])
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	res, err := b.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, got}
}

// signIn signs in with key, checks the answer and the cookie, and keeps the
// cookie.
func (b *browser) signIn(t *testing.T, key, wantUser string, maxAge int) *http.Cookie {
	t.Helper()
	r := b.do(t, "POST", "/api/v1/session", `{"api_key":"`+key+`"}`)
	if r.status != 200 {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	var s struct {
		User struct {
			Name  string `json:"name"`
			Admin *bool  `json:"admin"`
		} `json:"user"`
	}
	if err := json.Unmarshal(r.body, &s); err != nil || s.User.Name != wantUser || s.User.Admin == nil {
		t.Errorf("sign in answered %s (%v), want the user %s as whoami shows it", r.body, err, wantUser)
	}
	c := r.sessionCookieOf()
	if c == nil {
		t.Fatalf("sign in set no %s cookie: %v", SessionCookie, r.hdr["Set-Cookie"])
	}
	raw := strings.Join(r.hdr["Set-Cookie"], "\n")
	if !c.HttpOnly || c.SameSite != http.SameSiteStrictMode || c.Path != "/" || c.MaxAge != maxAge || c.Value == "" ||
		!strings.Contains(raw, "HttpOnly") || !strings.Contains(raw, "SameSite=Strict") {
		t.Errorf("session cookie %q: want HttpOnly, SameSite=Strict, Path=/, Max-Age=%d", raw, maxAge)
	}
	if strings.Contains(raw, key) {
		t.Errorf("the session cookie %q holds the API key", raw)
	}
	b.cookie = c.Value
	return c
}

func wantStatus(t *testing.T, what string, r resp, status int) {
	t.Helper()
	if r.status != status {
		t.Errorf("%s: %d %s, want %d", what, r.status, r.body, status)
	}
}

// wantNoCookie checks that a refused request set no cookie.
func wantNoCookie(t *testing.T, what string, r resp) {
	t.Helper()
	if c := r.hdr.Values("Set-Cookie"); len(c) > 0 {
		t.Errorf("%s set cookies %v", what, c)
	}
}

// runCount returns how many runs alice/bikes has, by the service itself.
func runCount(t *testing.T, e *testEnv) int {
	t.Helper()
	runs, err := e.svc.ListRuns(context.Background(), "alice", "bikes")
	if err != nil {
		t.Fatal(err)
	}
	return len(runs)
}

func TestSessionSignInAndUse(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	b := newBrowser(e.ts)
	c := b.signIn(t, e.key, e.user, int(7*24*time.Hour/time.Second))
	if c.Secure {
		t.Errorf("a session cookie over plain HTTP is Secure: the browser would drop it")
	}

	// The cookie authenticates reads, with or without the CSRF header.
	r := b.do(t, "GET", "/api/v1/session", "", CSRFHeader, "")
	wantStatus(t, "GET session", r, 200)
	whoami := b.do(t, "GET", "/api/v1/whoami", "")
	wantStatus(t, "whoami by cookie", whoami, 200)
	if want := `{"user":` + strings.TrimSpace(string(whoami.body)) + "}\n"; string(r.body) != want {
		t.Errorf("GET session = %s, want %s", r.body, want)
	}
	wantStatus(t, "list runs by cookie", b.do(t, "GET", "/api/v1/projects/alice/bikes/runs", ""), 200)

	// Writes by cookie need the CSRF header and, when there is one, an
	// Origin of this server; a refused write changes nothing.
	wantStatus(t, "create run by cookie", b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"ui"}`, "Origin", b.url), 201)
	before := runCount(t, e)
	r = b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"forged"}`, CSRFHeader, "")
	d := wantError(t, "create run by cookie without the CSRF header", r.status, r.hdr, r.body, 403, "permission_denied")
	if !strings.Contains(d.Message, CSRFHeader) || !strings.Contains(d.Message, "missing") {
		t.Errorf("refusal %q does not say the header %s is missing", d.Message, CSRFHeader)
	}
	for _, bad := range []string{"2", "true"} {
		r = b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"forged"}`, CSRFHeader, bad)
		wantError(t, "CSRF header "+bad, r.status, r.hdr, r.body, 403, "permission_denied")
	}
	for _, origin := range []string{"https://evil.example", "null", strings.Replace(b.url, "http://", "https://", 1), b.url + ".evil.example"} {
		r = b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"forged"}`, "Origin", origin)
		d := wantError(t, "create run by cookie from Origin "+origin, r.status, r.hdr, r.body, 403, "permission_denied")
		if !strings.Contains(d.Message, "Origin") {
			t.Errorf("refusal %q does not name the Origin", d.Message)
		}
	}
	r = b.do(t, "DELETE", "/api/v1/projects/alice/bikes/artifacts/x/versions/v0", "", CSRFHeader, "")
	wantError(t, "DELETE by cookie without the CSRF header", r.status, r.hdr, r.body, 403, "permission_denied")
	if after := runCount(t, e); after != before {
		t.Errorf("refused writes changed the runs: %d, then %d", before, after)
	}

	// Scripts with a bearer key are not browsers: no CSRF header needed.
	r = b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{"job_type":"script"}`,
		"Authorization", "Bearer "+e.key, CSRFHeader, "", "Origin", "https://elsewhere.example")
	wantStatus(t, "create run by bearer key without CSRF header", r, 201)

	// A bearer key wins over the cookie, a bad one too.
	r = b.do(t, "GET", "/api/v1/session", "", "Authorization", "Bearer trove_wrong")
	wantError(t, "bad bearer key with a good cookie", r.status, r.hdr, r.body, 401, "unauthenticated")
	stranger := &browser{url: b.url, client: b.client, cookie: "not-a-session"}
	wantStatus(t, "good bearer key with a bad cookie", stranger.do(t, "GET", "/api/v1/session", "", "Authorization", "Bearer "+e.key), 200)
	r = stranger.do(t, "GET", "/api/v1/session", "")
	wantError(t, "a malformed cookie", r.status, r.hdr, r.body, 401, "unauthenticated")
	forged := &browser{url: b.url, client: b.client, cookie: strings.Repeat("A", len(b.cookie))}
	r = forged.do(t, "GET", "/api/v1/whoami", "")
	wantError(t, "a well-formed cookie of no session", r.status, r.hdr, r.body, 401, "unauthenticated")
	r = newBrowser(e.ts).do(t, "GET", "/api/v1/session", "")
	wantError(t, "GET session without cookie or key", r.status, r.hdr, r.body, 401, "unauthenticated")
}

func TestSessionSignInRefused(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	b := newBrowser(e.ts)
	for _, tc := range []struct {
		what, body string
		hdr        []string
		status     int
		code       string
	}{
		{"wrong key", `{"api_key":"trove_wrongwrongwrongwrong"}`, nil, 401, "unauthenticated"},
		{"not a key", `{"api_key":"hunter2"}`, nil, 401, "unauthenticated"},
		{"no CSRF header", `{"api_key":"` + e.key + `"}`, []string{CSRFHeader, ""}, 403, "permission_denied"},
		{"foreign Origin", `{"api_key":"` + e.key + `"}`, []string{"Origin", "https://evil.example"}, 403, "permission_denied"},
		{"malformed JSON", `{"api_key":`, nil, 400, "invalid"},
		{"not an object", `["` + e.key + `"]`, nil, 400, "invalid"},
		{"key not a string", `{"api_key":42}`, nil, 400, "invalid"},
		{"unknown field", `{"api_key":"` + e.key + `","remember":true}`, nil, 400, "invalid"},
		{"empty key", `{"api_key":""}`, nil, 400, "invalid"},
		{"empty body", ``, nil, 400, "invalid"},
		{"trailing data", `{"api_key":"` + e.key + `"} {}`, nil, 400, "invalid"},
	} {
		r := b.do(t, "POST", "/api/v1/session", tc.body, tc.hdr...)
		wantError(t, tc.what, r.status, r.hdr, r.body, tc.status, tc.code)
		wantNoCookie(t, tc.what, r)
	}
	// The revoked key of a user.
	admin, err := e.srv.auth.Authenticate(context.Background(), e.key)
	if err != nil {
		t.Fatal(err)
	}
	acc := e.srv.auth.Accounts()
	_, bobKey, err := acc.CreateUser(context.Background(), admin, "bob", false)
	if err != nil {
		t.Fatal(err)
	}
	keys, err := acc.ListKeys(context.Background(), admin, "bob")
	if err != nil || len(keys) != 1 {
		t.Fatalf("bob's keys: %v %v", keys, err)
	}
	if err := acc.RevokeKey(context.Background(), admin, "bob", keys[0].ID); err != nil {
		t.Fatal(err)
	}
	r := b.do(t, "POST", "/api/v1/session", `{"api_key":"`+bobKey+`"}`)
	wantError(t, "revoked key", r.status, r.hdr, r.body, 401, "unauthenticated")
	wantNoCookie(t, "revoked key", r)
}

func TestSessionSignOut(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	b := newBrowser(e.ts)
	b.signIn(t, e.key, e.user, int(7*24*time.Hour/time.Second))
	other := newBrowser(e.ts)
	other.signIn(t, e.key, e.user, int(7*24*time.Hour/time.Second))

	// Signing out is a change: it needs the CSRF header like any.
	r := b.do(t, "DELETE", "/api/v1/session", "", CSRFHeader, "")
	wantError(t, "sign out without the CSRF header", r.status, r.hdr, r.body, 403, "permission_denied")
	wantStatus(t, "session after a refused sign-out", b.do(t, "GET", "/api/v1/session", ""), 200)

	r = b.do(t, "DELETE", "/api/v1/session", "")
	wantStatus(t, "sign out", r, 204)
	c := r.sessionCookieOf()
	if c == nil || c.MaxAge >= 0 || c.Value != "" || !c.HttpOnly || c.Path != "/" ||
		!strings.Contains(strings.Join(r.hdr["Set-Cookie"], "\n"), "Max-Age=0") {
		t.Errorf("sign out set %v, want the cookie deleted (Max-Age=0)", r.hdr["Set-Cookie"])
	}
	// The old cookie no longer works, anywhere; the other session does.
	r = b.do(t, "GET", "/api/v1/session", "")
	wantError(t, "a signed-out cookie", r.status, r.hdr, r.body, 401, "unauthenticated")
	r = b.do(t, "GET", "/api/v1/projects/alice/bikes/runs", "")
	wantError(t, "a signed-out cookie on another route", r.status, r.hdr, r.body, 401, "unauthenticated")
	wantStatus(t, "another session of the same key", other.do(t, "GET", "/api/v1/session", ""), 200)
	// Signing out again, or without any session, is no error.
	wantStatus(t, "sign out twice", b.do(t, "DELETE", "/api/v1/session", ""), 204)
	wantStatus(t, "sign out without a cookie", newBrowser(e.ts).do(t, "DELETE", "/api/v1/session", "", CSRFHeader, ""), 204)
}

func TestSessionEndsWithItsKey(t *testing.T) {
	e := newEnv(t, Options{}, nil)
	admin := newBrowser(e.ts)
	admin.signIn(t, e.key, e.user, int(7*24*time.Hour/time.Second))
	// The admin, signed in by cookie, creates bob and a second key for him.
	r := admin.do(t, "POST", "/api/v1/users", `{"name":"bob"}`)
	wantStatus(t, "create bob by cookie", r, 201)
	var created struct {
		APIKey string `json:"api_key"`
	}
	if err := json.Unmarshal(r.body, &created); err != nil || created.APIKey == "" {
		t.Fatalf("create bob answered %s: %v", r.body, err)
	}
	r = admin.do(t, "POST", "/api/v1/users/bob/keys", `{"label":"laptop"}`)
	wantStatus(t, "second key for bob", r, 201)
	var second struct {
		Key    struct{ ID int64 } `json:"key"`
		APIKey string             `json:"api_key"`
	}
	if err := json.Unmarshal(r.body, &second); err != nil || second.APIKey == "" {
		t.Fatalf("create key answered %s: %v", r.body, err)
	}
	bob, bobLaptop := newBrowser(e.ts), newBrowser(e.ts)
	bob.signIn(t, created.APIKey, "bob", int(7*24*time.Hour/time.Second))
	bobLaptop.signIn(t, second.APIKey, "bob", int(7*24*time.Hour/time.Second))

	wantStatus(t, "revoke bob's laptop key", admin.do(t, "DELETE", fmt.Sprintf("/api/v1/users/bob/keys/%d", second.Key.ID), ""), 204)
	r = bobLaptop.do(t, "GET", "/api/v1/session", "")
	wantError(t, "session of a revoked key", r.status, r.hdr, r.body, 401, "unauthenticated")
	wantStatus(t, "session of bob's other key", bob.do(t, "GET", "/api/v1/session", ""), 200)
}

func TestSessionExpires(t *testing.T) {
	const ttl = 50 * time.Millisecond
	e := newEnv(t, Options{SessionTTL: ttl}, nil)
	b := newBrowser(e.ts)
	start := time.Now()
	b.signIn(t, e.key, e.user, 1) // Max-Age rounds up to whole seconds
	// The session was created between start and now: it has surely ended
	// ttl after now, and surely not before ttl after start.
	signedIn := time.Now()
	if r := b.do(t, "GET", "/api/v1/session", ""); time.Since(start) < ttl {
		wantStatus(t, "a session within its lifetime", r, 200)
	}
	time.Sleep(ttl + 10*time.Millisecond - time.Since(signedIn))
	r := b.do(t, "GET", "/api/v1/session", "")
	wantError(t, "an expired session", r.status, r.hdr, r.body, 401, "unauthenticated")

	// A custom lifetime is the cookie's Max-Age.
	e = newEnv(t, Options{SessionTTL: 2 * time.Hour}, nil)
	newBrowser(e.ts).signIn(t, e.key, e.user, 7200)
}

func TestSessionCookieSecureOverTLS(t *testing.T) {
	svc, m := newService(t)
	auth, key, user := newTestAuth(t, m)
	srv, err := New(Options{Service: svc, Auth: auth})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewTLSServer(srv.Handler())
	t.Cleanup(ts.Close)
	b := newBrowser(ts)
	if c := b.signIn(t, key, user, int(7*24*time.Hour/time.Second)); !c.Secure {
		t.Errorf("session cookie over TLS is not Secure")
	}
	wantStatus(t, "write by cookie over TLS with the https Origin", b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{}`, "Origin", ts.URL), 201)
	r := b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{}`, "Origin", strings.Replace(ts.URL, "https://", "http://", 1))
	wantError(t, "write by cookie over TLS with an http Origin", r.status, r.hdr, r.body, 403, "permission_denied")

	// Behind a proxy that terminates TLS, X-Forwarded-Proto tells.
	e := newEnv(t, Options{}, nil)
	b = newBrowser(e.ts)
	r = b.do(t, "POST", "/api/v1/session", `{"api_key":"`+e.key+`"}`, "X-Forwarded-Proto", "https")
	if c := r.sessionCookieOf(); r.status != 200 || c == nil || !c.Secure {
		t.Fatalf("sign in through a TLS proxy: %d %v, want a Secure cookie", r.status, r.hdr["Set-Cookie"])
	}
	b.cookie = r.sessionCookieOf().Value
	httpsOrigin := strings.Replace(b.url, "http://", "https://", 1)
	wantStatus(t, "write through a TLS proxy", b.do(t, "POST", "/api/v1/projects/alice/bikes/runs", `{}`,
		"X-Forwarded-Proto", "https", "Origin", httpsOrigin), 201)
}

func TestSessionsWithoutSessionAuth(t *testing.T) {
	e := newEnv(t, Options{Auth: fakeAuth{key: "trove_fixed"}}, nil)
	b := newBrowser(e.ts)
	r := b.do(t, "POST", "/api/v1/session", `{"api_key":"trove_fixed"}`)
	wantError(t, "sign in where the Auth keeps no sessions", r.status, r.hdr, r.body, 404, "not_found")
	wantNoCookie(t, "sign in without sessions", r)
	b.cookie = strings.Repeat("A", 43)
	r = b.do(t, "GET", "/api/v1/whoami", "")
	wantError(t, "a cookie where the Auth keeps no sessions", r.status, r.hdr, r.body, 401, "unauthenticated")
	wantStatus(t, "GET session by bearer key", b.do(t, "GET", "/api/v1/session", "", "Authorization", "Bearer trove_fixed"), 200)
}

// TestSessionStoredHashedAcrossReplicas: two servers on one PostgreSQL
// database, as replicas behind a load balancer. A session opened on one is
// accepted by the other and ended by either, and the store keeps only the
// token's hash.
func TestSessionStoredHashedAcrossReplicas(t *testing.T) {
	url := pgschema.URL(t)
	var servers []*httptest.Server
	var stores []*meta.Store
	var key string
	for i := range 2 {
		m := metatest.OpenURL(t, url)
		b, err := blob.Open(context.Background(), "mem://")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { b.Close() })
		auth := NewAuth(m)
		if i == 0 {
			_, keyFile, err := auth.Accounts().Bootstrap(context.Background(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			raw, err := os.ReadFile(keyFile)
			if err != nil {
				t.Fatal(err)
			}
			key = strings.TrimSpace(string(raw))
		}
		srv, err := New(Options{Service: service.New(m, b, service.Options{}), Auth: auth})
		if err != nil {
			t.Fatal(err)
		}
		ts := httptest.NewServer(srv.Handler())
		t.Cleanup(ts.Close)
		servers, stores = append(servers, ts), append(stores, m)
	}
	a, b := newBrowser(servers[0]), newBrowser(servers[1])
	a.signIn(t, key, "admin", int(7*24*time.Hour/time.Second))
	b.cookie = a.cookie
	wantStatus(t, "the cookie of replica 0 on replica 1", b.do(t, "GET", "/api/v1/session", ""), 200)

	// Stored under its SHA-256, and not under the token itself.
	if _, _, err := stores[1].SessionKey(context.Background(), sha256.Sum256([]byte(a.cookie)), time.Now()); err != nil {
		t.Errorf("no session under the token's hash: %v", err)
	}
	var raw [32]byte
	copy(raw[:], a.cookie)
	if _, _, err := stores[1].SessionKey(context.Background(), raw, time.Now()); err == nil {
		t.Errorf("a session is stored under the token's own bytes")
	}

	wantStatus(t, "sign out on replica 1", b.do(t, "DELETE", "/api/v1/session", ""), 204)
	r := a.do(t, "GET", "/api/v1/session", "")
	wantError(t, "the signed-out cookie on replica 0", r.status, r.hdr, r.body, 401, "unauthenticated")
}
