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
	etag      bool // send an ETag (a hash of body)
	noHead    bool // answer HEAD with 405
	chunked   bool // send no Content-Length
	heads     int
	gets      int
	lastMatch string // the If-Match of the last GET
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
	http.ServeContent(w, r, "", serverTime, strings.NewReader(f.body))
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
