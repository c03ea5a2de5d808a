package refs_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// webFile is one file of the test server, whose contents tests change.
type webFile struct {
	mu        sync.Mutex
	body      string
	etag      bool      // send an ETag (a hash of body)
	noHead    bool      // answer HEAD with 405
	chunked   bool      // send no Content-Length
	modTime   time.Time // Last-Modified; zero sends none
	ctype     string    // Content-Type; "" lets ServeContent sniff it
	heads     int
	gets      int
	lastMatch string // the If-Match of the last GET
	lastUnmod string // the If-Unmodified-Since of the last GET
}

func (f *webFile) set(body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body = body
}

func (f *webFile) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method == http.MethodHead {
		f.heads++
		if f.noHead {
			http.Error(w, "no HEAD here", http.StatusMethodNotAllowed)
			return
		}
	} else {
		f.gets++
		f.lastMatch = r.Header.Get("If-Match")
		f.lastUnmod = r.Header.Get("If-Unmodified-Since")
	}
	if f.ctype != "" {
		w.Header().Set("Content-Type", f.ctype)
	}
	if f.etag {
		w.Header().Set("ETag", fmt.Sprintf(`"%s"`, core.DigestOf([]byte(f.body)).Hex()[:16]))
	}
	if f.chunked {
		if r.Method == http.MethodGet {
			io.WriteString(w, f.body[:len(f.body)/2])
			w.(http.Flusher).Flush()
			io.WriteString(w, f.body[len(f.body)/2:])
		}
		return
	}
	// ServeContent answers HEAD, If-Match (412) and ranges like a real server.
	http.ServeContent(w, r, "", f.modTime, strings.NewReader(f.body))
}

func (f *webFile) touch(body string, t time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.body, f.modTime = body, t
}

var serverTime = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

func webServer(t *testing.T, files map[string]*webFile) *httptest.Server {
	mux := http.NewServeMux()
	for p, f := range files {
		mux.Handle(p, f)
	}
	s := httptest.NewServer(mux)
	t.Cleanup(s.Close)
	return s
}

func httpResolver(c *http.Client) *refs.Resolver {
	h := refs.NewHTTP(c)
	return refs.NewResolver(map[string]refs.Scheme{"http": h, "https": h})
}

func TestHTTPWithETag(t *testing.T) {
	f := &webFile{body: "weights v1", etag: true}
	s := webServer(t, map[string]*webFile{"/models/model.h5": f})
	r := httpResolver(s.Client())
	uri := s.URL + "/models/model.h5"
	es, err := r.Resolve(t.Context(), uri, refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	etag := fmt.Sprintf(`"%s"`, core.DigestOf([]byte("weights v1")).Hex()[:16])
	if len(es) != 1 || e.Path != "model.h5" || e.Size != 10 || e.Ref != uri || e.Extra["etag"] != etag {
		t.Fatalf("entries = %+v", es)
	}
	if e.Digest != refs.IdentityDigest("http", uri, etag, "10") {
		t.Errorf("digest = %v; want the identity of URL, ETag and size", e.Digest)
	}
	if f.heads != 1 || f.gets != 0 {
		t.Errorf("resolving sent %d HEAD and %d GET; want one HEAD and nothing downloaded", f.heads, f.gets)
	}
	// Logging again the unchanged file gives the same entry: it dedups.
	again, err := r.Resolve(t.Context(), uri, refs.Options{})
	if err != nil || again[0].Digest != e.Digest {
		t.Errorf("second resolve = %+v, %v", again, err)
	}
	if got, err := readAll(t, r, e); err != nil || got != "weights v1" {
		t.Errorf("download = %q, %v", got, err)
	}
	if f.lastMatch != etag {
		t.Errorf("GET sent If-Match %q; want %q", f.lastMatch, etag)
	}

	// The file changes: a new digest, and the old entry cannot be fetched.
	f.set("weights v2")
	changed, err := r.Resolve(t.Context(), uri, refs.Options{})
	if err != nil || changed[0].Digest == e.Digest {
		t.Errorf("after a change: %+v, %v; want another digest", changed, err)
	}
	_, err = readAll(t, r, e)
	wantKind(t, err, core.ErrCorrupt, `"model.h5"`, "changed since it was logged")
}

func TestHTTPWithoutETag(t *testing.T) {
	f := &webFile{body: "0123456789"}
	s := webServer(t, map[string]*webFile{"/data.bin": f})
	r := httpResolver(s.Client())
	uri := s.URL + "/data.bin"
	es, err := r.Resolve(t.Context(), uri, refs.Options{Name: "raw/data.bin"})
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	if e.Path != "raw/data.bin" || e.Size != 10 || e.Extra != nil || e.Digest != refs.IdentityDigest("http", uri, "", "10") {
		t.Fatalf("entry = %+v", e)
	}
	if got, err := readAll(t, r, e); err != nil || got != "0123456789" {
		t.Errorf("download = %q, %v", got, err)
	}
	if f.lastMatch != "" {
		t.Errorf("GET sent If-Match %q without an ETag", f.lastMatch)
	}
	// Without an ETag only the size tells a change.
	f.set("0123456789abc")
	_, err = readAll(t, r, e)
	wantKind(t, err, core.ErrCorrupt, "raw/data.bin", "13 bytes")
}

func TestHTTPHeadRefusedAndChunked(t *testing.T) {
	noHead := &webFile{body: "no head", etag: true, noHead: true}
	chunked := &webFile{body: "chunked body", chunked: true}
	s := webServer(t, map[string]*webFile{"/nohead": noHead, "/chunked": chunked})
	r := httpResolver(s.Client())

	es, err := r.Resolve(t.Context(), s.URL+"/nohead", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Size != 7 || es[0].Extra["etag"] == "" || noHead.heads != 1 || noHead.gets != 1 {
		t.Errorf("HEAD refused: %+v after %d HEAD and %d GET", es[0], noHead.heads, noHead.gets)
	}
	es, err = r.Resolve(t.Context(), s.URL+"/chunked", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Size != 12 {
		t.Errorf("no Content-Length: size %d; want the 12 bytes counted", es[0].Size)
	}
	if got, err := readAll(t, r, es[0]); err != nil || got != "chunked body" {
		t.Errorf("download = %q, %v", got, err)
	}
}

func TestHTTPErrors(t *testing.T) {
	s := webServer(t, map[string]*webFile{"/a": {body: "a"}})
	r := httpResolver(s.Client())
	_, err := r.Resolve(t.Context(), s.URL+"/missing.bin", refs.Options{})
	wantKind(t, err, core.ErrNotFound, "404", "/missing.bin")
	for _, uri := range []string{"http:///nohost", "https://user:pw@example.com/x", "http:opaque"} {
		_, err := r.Resolve(t.Context(), uri, refs.Options{})
		wantKind(t, err, core.ErrInvalid)
		if strings.Contains(fmt.Sprint(err), "pw") {
			t.Errorf("error %q shows the password", err)
		}
	}
	// Nothing listens: unavailable.
	dead := httptest.NewServer(http.NotFoundHandler())
	dead.Close()
	_, err = r.Resolve(t.Context(), dead.URL+"/x", refs.Options{})
	wantKind(t, err, core.ErrUnavailable)
}

func TestHTTPNoChecksum(t *testing.T) {
	f := &webFile{body: "v1", etag: true}
	s := webServer(t, map[string]*webFile{"/f": f})
	r := httpResolver(s.Client())
	uri := s.URL + "/f"
	es, err := r.Resolve(t.Context(), uri, refs.Options{NoChecksum: true})
	if err != nil {
		t.Fatal(err)
	}
	if es[0].Digest != refs.URIDigest(uri) || es[0].Extra != nil {
		t.Fatalf("entry = %+v", es[0])
	}
	f.set("v2")
	if got, err := readAll(t, r, es[0]); err != nil || got != "v2" || f.lastMatch != "" {
		t.Errorf("download = %q, %v (If-Match %q); want the current contents, unconditionally", got, err, f.lastMatch)
	}
	// The recorded size still holds.
	f.set("version 2")
	_, err = readAll(t, r, es[0])
	wantKind(t, err, core.ErrCorrupt, `entry "f"`, "9 bytes, 2 when it was logged")
}

// TestHTTPIgnoresIfMatch: a server that ignores If-Match and serves other
// contents under another ETag is caught by the ETag of its answer.
func TestHTTPIgnoresIfMatch(t *testing.T) {
	var mu sync.Mutex
	body := "one"
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("ETag", `"`+body+`"`)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	r := httpResolver(s.Client())
	es, err := r.Resolve(t.Context(), s.URL+"/x.txt", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	body = "two"
	mu.Unlock()
	_, err = r.Open(t.Context(), es[0])
	wantKind(t, err, core.ErrCorrupt, `"x.txt"`, `its ETag is "two", "one" when it was logged`)
}

// TestHTTPLastModified: without an ETag, Last-Modified pins the object: it
// is part of the digest, sent as If-Unmodified-Since, and checked on the
// answer of a server that ignores that header.
func TestHTTPLastModified(t *testing.T) {
	f := &webFile{body: "0123456789", modTime: serverTime}
	s := webServer(t, map[string]*webFile{"/data.bin": f})
	r := httpResolver(s.Client())
	uri := s.URL + "/data.bin"
	es, err := r.Resolve(t.Context(), uri, refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	e := es[0]
	const lm = "Fri, 02 Jan 2026 03:04:05 GMT"
	if e.Extra["last_modified"] != lm || e.Extra["etag"] != "" || !refs.Pinned(e) {
		t.Fatalf("entry = %+v (pinned %v); want last_modified %q", e, refs.Pinned(e), lm)
	}
	if e.Digest == refs.IdentityDigest("http", uri, "", "10") {
		t.Error("the digest ignores Last-Modified")
	}
	if got, err := readAll(t, r, e); err != nil || got != "0123456789" || f.lastUnmod != lm {
		t.Fatalf("download = %q, %v (If-Unmodified-Since %q)", got, err, f.lastUnmod)
	}
	// Same size, same name, new contents a minute later: caught.
	f.touch("9876543210", serverTime.Add(time.Minute))
	_, err = readAll(t, r, e)
	wantKind(t, err, core.ErrCorrupt, `"data.bin"`, "modified after "+lm)
	// Logged again, it is another object: another digest.
	es2, err := r.Resolve(t.Context(), uri, refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if es2[0].Digest == e.Digest {
		t.Error("a changed Last-Modified gave the same digest")
	}
	// A server that ignores If-Unmodified-Since is caught by its answer.
	var mu sync.Mutex
	mod := serverTime
	lax := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.Header().Set("Last-Modified", mod.Format(http.TimeFormat))
		w.Header().Set("Content-Length", "3")
		io.WriteString(w, "abc")
	}))
	t.Cleanup(lax.Close)
	es, err = r.Resolve(t.Context(), lax.URL+"/lax.txt", refs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	mod = serverTime.Add(time.Hour)
	mu.Unlock()
	_, err = readAll(t, r, es[0])
	wantKind(t, err, core.ErrCorrupt, `"lax.txt"`, "its Last-Modified is Fri, 02 Jan 2026 04:04:05 GMT")
}

// TestHTTPUnpinned: a server with neither ETag nor Last-Modified gives an
// entry that is not pinned (the SDK warns); a bad Last-Modified counts as
// none.
func TestHTTPUnpinned(t *testing.T) {
	bad := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Last-Modified", "yesterday")
		io.WriteString(w, "x")
	}))
	t.Cleanup(bad.Close)
	f := &webFile{body: "plain"}
	s := webServer(t, map[string]*webFile{"/plain": f})
	r := httpResolver(s.Client())
	for _, uri := range []string{s.URL + "/plain", bad.URL + "/bad"} {
		es, err := r.Resolve(t.Context(), uri, refs.Options{})
		if err != nil {
			t.Fatal(err)
		}
		if refs.Pinned(es[0]) || es[0].Extra != nil {
			t.Errorf("%s: entry %+v is pinned", uri, es[0])
		}
		// Without checksums nothing was meant to be pinned.
		es, err = r.Resolve(t.Context(), uri, refs.Options{NoChecksum: true})
		if err != nil {
			t.Fatal(err)
		}
		if !refs.Pinned(es[0]) {
			t.Errorf("%s: a no-checksum entry counts as unpinned", uri)
		}
	}
	for _, e := range []core.Entry{
		{Path: "f", Ref: "file:///x", Digest: core.DigestOf([]byte("x"))},
		{Path: "s", Ref: "s3://b/k", Digest: core.DigestOf([]byte("x"))},
	} {
		if !refs.Pinned(e) {
			t.Errorf("%s: not pinned; only http(s) entries can be unpinned", e.Ref)
		}
	}
}

// TestHTTPRefusesHTML: an HTML answer to a URL that names no HTML file (a
// directory listing) is refused unless allowed; an .html file is taken.
func TestHTTPRefusesHTML(t *testing.T) {
	const listing = `<html><body><a href="a.bin">a.bin</a></body></html>`
	dir := &webFile{body: listing, etag: true, ctype: "text/html; charset=utf-8"}
	sniffed := &webFile{body: "<!DOCTYPE html><html><title>Sign in</title></html>", etag: true}
	page := &webFile{body: listing, etag: true, ctype: "text/html"}
	xml := &webFile{body: "<a/>", etag: true, ctype: "application/xml"}
	s := webServer(t, map[string]*webFile{"/data/": dir, "/login": sniffed, "/report.HTML": page, "/x.xml": xml})
	r := httpResolver(s.Client())
	for _, p := range []string{"/data/", "/login"} {
		_, err := r.Resolve(t.Context(), s.URL+p, refs.Options{})
		wantKind(t, err, core.ErrInvalid, "HTML page", "directory listing", "--allow-html")
		es, err := r.Resolve(t.Context(), s.URL+p, refs.Options{AllowHTML: true})
		if err != nil || len(es) != 1 {
			t.Errorf("%s with AllowHTML: %v, %v", p, es, err)
		}
	}
	for _, p := range []string{"/report.HTML", "/x.xml"} {
		if _, err := r.Resolve(t.Context(), s.URL+p, refs.Options{}); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
