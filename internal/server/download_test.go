package server

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// downloadFiles are the stored files of the version the download tests log.
var downloadFiles = map[string]string{
	"data.bin":                   "\x00\x01binary\xff",
	"page.html":                  "<script>alert(1)</script>",
	"notes/read me.txt":          "hello\n",
	"notes/naïve \"q\";x=1.json": "{}",
	"deep/a/b/c.csv":             "a,b\n1,2\n",
}

// logDownloadVersion logs owner/private/dl:v0 with downloadFiles and one
// reference entry to refURL, which must never be fetched.
func logDownloadVersion(t *testing.T, svc service.API, refURL string) (core.Version, map[string]string) {
	t.Helper()
	ctx := context.Background()
	files := downloadFiles
	var es []core.Entry
	for p, c := range files {
		d := core.DigestOf([]byte(c))
		if err := svc.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
	}
	es = append(es, core.Entry{Path: "remote/table.csv", Ref: refURL, Digest: core.DigestOf([]byte(refURL)), Size: 1234,
		Extra: map[string]string{"etag": `"abc123"`}})
	m, err := core.NewManifest(es)
	if err != nil {
		t.Fatal(err)
	}
	run, err := svc.CreateRun(ctx, service.NewRun{Entity: "owner", Project: "private", JobType: "probe"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := svc.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "dl", Type: "dataset", RunID: run.ID, Manifest: m})
	if err != nil || !res.Created {
		t.Fatalf("log: %+v %v", res, err)
	}
	return res.Version, files
}

// forbiddenRemote is a server that fails the test when anything asks it
// for anything: the server must never fetch a reference.
func forbiddenRemote(t *testing.T) string {
	t.Helper()
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the server fetched the reference %s", r.URL)
		http.Error(w, "no", http.StatusTeapot)
	}))
	t.Cleanup(ts.Close)
	return ts.URL + "/bucket/table.csv"
}

const dlPath = apiPrefix + "/projects/owner/private/artifacts/dl/versions/v0"

func TestDownloadFile(t *testing.T) {
	w := newAccessWorld(t, false)
	remote := forbiddenRemote(t)
	_, files := logDownloadVersion(t, w.svc, remote)
	get := func(user, p string) (int, http.Header, []byte) {
		t.Helper()
		return w.call(t, "GET", dlPath+"/file?path="+url.QueryEscape(p), w.keys[user], "")
	}

	for p, want := range files {
		status, hdr, body := get("owner", p)
		if status != 200 || string(body) != want {
			t.Errorf("%s: %d %q, want %q", p, status, body, want)
			continue
		}
		if hdr.Get("X-Content-Type-Options") != "nosniff" || hdr.Get("Content-Length") != itoa(len(want)) {
			t.Errorf("%s: headers %v", p, hdr)
		}
		// The name the browser saves: the base name, exactly.
		_, params, err := mimeParse(hdr.Get("Content-Disposition"))
		base := p[strings.LastIndex(p, "/")+1:]
		if err != nil || params["filename"] != base {
			t.Errorf("%s: Content-Disposition %q → %v %v, want filename %q", p, hdr.Get("Content-Disposition"), params, err, base)
		}
	}
	// Types by extension; never a type a browser renders as a page.
	for p, want := range map[string]string{"data.bin": "application/octet-stream", "page.html": "application/octet-stream", "deep/a/b/c.csv": "text/csv; charset=utf-8"} {
		if _, hdr, _ := get("owner", p); hdr.Get("Content-Type") != want {
			t.Errorf("%s: Content-Type %q, want %q", p, hdr.Get("Content-Type"), want)
		}
	}
	// A session (the browser's GET) downloads as the key does.
	status, _, body := w.call(t, "GET", dlPath+"/file?path=data.bin", "", "", "Cookie", SessionCookie+"="+w.sessions["owner"])
	if status != 200 || string(body) != files["data.bin"] {
		t.Errorf("with the session cookie: %d %q", status, body)
	}

	// A reference is not fetched: 409 naming its URI.
	status, hdr, body := get("owner", "remote/table.csv")
	if e := wantError(t, "reference", status, hdr, body, 409, "conflict"); !strings.Contains(e.Message, remote) {
		t.Errorf("reference: message %q does not give the URI %s", e.Message, remote)
	}
	for _, c := range []struct {
		name, query string
		status      int
		code        string
	}{
		{"no path", "", 400, "invalid"},
		{"traversal", "?path=" + url.QueryEscape("../etc/passwd"), 400, "invalid"},
		{"absolute", "?path=" + url.QueryEscape("/data.bin"), 400, "invalid"},
		{"control", "?path=" + url.QueryEscape("a\r\nSet-Cookie: x=1"), 400, "invalid"},
		{"absent", "?path=nope.txt", 404, "not_found"},
	} {
		status, hdr, body := w.call(t, "GET", dlPath+"/file"+c.query, w.keys["owner"], "")
		wantError(t, c.name, status, hdr, body, c.status, c.code)
	}
	// Private: others learn nothing, not even that the file exists.
	for _, user := range []string{"stranger", "member", "viewer"} {
		status, hdr, body := get(user, "data.bin")
		wantError(t, user, status, hdr, body, 404, "not_found")
	}
	status, hdr, body = get("", "data.bin")
	wantError(t, "no key", status, hdr, body, 401, "unauthenticated")
}

func TestAttachmentHeader(t *testing.T) {
	for _, name := range []string{"a.txt", `naïve "q";x=1.json`, "日本語.bin", "a%20b", "x\r\nSet-Cookie: y", "semi;colon", "back\\slash"} {
		h := attachment(name)
		if strings.ContainsAny(h, "\r\n") {
			t.Errorf("%q: header %q has a line break", name, h)
		}
		_, params, err := mimeParse(h)
		if err != nil || params["filename"] != name {
			t.Errorf("%q: %q parses to %v %v", name, h, params, err)
		}
	}
}

func TestDownloadArchive(t *testing.T) {
	w := newAccessWorld(t, false)
	remote := forbiddenRemote(t)
	v, files := logDownloadVersion(t, w.svc, remote)
	for _, format := range []string{"tar", "zip"} {
		status, hdr, body := w.call(t, "GET", dlPath+"/archive?format="+format, w.keys["owner"], "")
		if status != 200 {
			t.Fatalf("%s: %d %s", format, status, body)
		}
		_, params, _ := mimeParse(hdr.Get("Content-Disposition"))
		if params["filename"] != "dl-v0."+format || hdr.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: headers %v", format, hdr)
		}
		got := unpack(t, format, body)
		refs, ok := got["dl-v0/REFERENCES.json"]
		if !ok {
			t.Fatalf("%s: no REFERENCES.json in %v", format, keys(got))
		}
		delete(got, "dl-v0/REFERENCES.json")
		if len(got) != len(files) {
			t.Errorf("%s: %d files %v, want %d", format, len(got), keys(got), len(files))
		}
		for p, want := range files {
			if got["dl-v0/"+p] != want {
				t.Errorf("%s: %s is %q, want %q", format, p, got["dl-v0/"+p], want)
			}
		}
		var list ReferenceList
		if err := json.Unmarshal([]byte(refs), &list); err != nil {
			t.Fatal(err)
		}
		if list.Version != "owner/private/dl:v0" || len(list.References) != 1 {
			t.Fatalf("%s: references %+v", format, list)
		}
		r := list.References[0]
		if r.Path != "remote/table.csv" || r.URI != remote || r.Size != 1234 || r.Extra["etag"] != `"abc123"` || r.Digest != core.DigestOf([]byte(remote)) {
			t.Errorf("%s: reference %+v", format, r)
		}
	}
	_ = v
	// The default is tar; an alias names the same archive.
	status, _, body := w.call(t, "GET", apiPrefix+"/projects/owner/private/artifacts/dl/versions/latest/archive", w.keys["owner"], "")
	if got := unpack(t, "tar", body); status != 200 || len(got) != len(files)+1 {
		t.Errorf("latest, no format: %d, %v", status, keys(got))
	}
	for _, c := range []struct {
		name, user, query string
		status            int
		code              string
	}{
		{"bad format", "owner", "?format=rar", 400, "invalid"},
		{"stranger", "stranger", "?format=tar", 404, "not_found"},
		{"stranger, bad format too", "stranger", "?format=rar", 400, "invalid"},
		{"team viewer of another project", "viewer", "?format=zip", 404, "not_found"},
		{"no key", "", "?format=tar", 401, "unauthenticated"},
	} {
		status, hdr, body := w.call(t, "GET", dlPath+"/archive"+c.query, w.keys[c.user], "")
		wantError(t, c.name, status, hdr, body, c.status, c.code)
	}
}

// TestDownloadArchiveNameClash: a version with a file of its own named
// REFERENCES.json keeps it; the list of references takes another name.
func TestDownloadArchiveNameClash(t *testing.T) {
	w := newAccessWorld(t, false)
	ctx := context.Background()
	content := "mine"
	d := core.DigestOf([]byte(content))
	if err := w.svc.PutBlob(ctx, d, 4, strings.NewReader(content)); err != nil {
		t.Fatal(err)
	}
	m, _ := core.NewManifest([]core.Entry{{Path: "REFERENCES.json", Digest: d, Size: 4},
		{Path: "r", Ref: "s3://b/k", Digest: core.DigestOf([]byte("s3://b/k")), Size: 1}})
	if _, err := w.svc.LogArtifact(ctx, service.LogRequest{Entity: "owner", Project: "private", Name: "clash", Type: "t", Manifest: m}); err != nil {
		t.Fatal(err)
	}
	_, _, body := w.call(t, "GET", apiPrefix+"/projects/owner/private/artifacts/clash/versions/v0/archive?format=zip", w.keys["owner"], "")
	got := unpack(t, "zip", body)
	if got["clash-v0/REFERENCES.json"] != "mine" || !strings.Contains(got["clash-v0/_REFERENCES.json"], "s3://b/k") {
		t.Errorf("archive %v", got)
	}
}

// corruptBlobs makes the blob of one digest fail verification at its end,
// as the verifying store does, after all its bytes were read.
type corruptBlobs struct {
	service.API
	bad core.Digest
}

func (c corruptBlobs) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	rc, err := c.API.GetBlob(ctx, d)
	if err != nil || d != c.bad {
		return rc, err
	}
	return &failAtEOF{rc}, nil
}

type failAtEOF struct{ io.ReadCloser }

func (f *failAtEOF) Read(p []byte) (int, error) {
	n, err := f.ReadCloser.Read(p)
	if err == io.EOF {
		err = core.Errorf(core.ErrCorrupt, "blob is corrupt")
	}
	return n, err
}

// TestDownloadCorruptAborts: a blob that fails verification never reaches
// the client as a complete file or archive: the connection drops, the
// client sees an error, and the corrupt file's last bytes are not sent.
func TestDownloadCorruptAborts(t *testing.T) {
	big := strings.Repeat("0123456789abcdef", 20000) // 320,000 bytes: several chunks
	bad := core.DigestOf([]byte(big))
	e := newEnv(t, Options{}, func(api service.API) service.API { return corruptBlobs{api, bad} })
	ctx := context.Background()
	var es []core.Entry
	for p, c := range map[string]string{"a-first.txt": "fine", "b-big.bin": big, "c-last.txt": "after"} {
		d := core.DigestOf([]byte(c))
		if err := e.svc.PutBlob(ctx, d, int64(len(c)), strings.NewReader(c)); err != nil {
			t.Fatal(err)
		}
		es = append(es, core.Entry{Path: p, Digest: d, Size: int64(len(c))})
	}
	m, _ := core.NewManifest(es)
	if _, err := e.svc.LogArtifact(ctx, service.LogRequest{Entity: e.user, Project: "p", Name: "c", Type: "t", Manifest: m}); err != nil {
		t.Fatal(err)
	}
	base := e.ts.URL + apiPrefix + "/projects/" + e.user + "/p/artifacts/c/versions/v0"
	for _, u := range []string{"/file?path=b-big.bin", "/archive?format=tar", "/archive?format=zip", "/file?path=a-first.txt"} {
		req, _ := http.NewRequest("GET", base+u, nil)
		req.Header.Set("Authorization", "Bearer "+e.key)
		resp, err := e.ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if u == "/file?path=a-first.txt" {
			if err != nil || string(body) != "fine" {
				t.Errorf("%s: %q %v", u, body, err)
			}
			continue
		}
		if resp.StatusCode != 200 || err == nil {
			t.Errorf("%s: %d, read %d bytes with error %v; want the connection dropped", u, resp.StatusCode, len(body), err)
		}
		if bytes.Contains(body, []byte(big)) {
			t.Errorf("%s: the corrupt blob went out whole", u)
		}
		if bytes.Contains(body, []byte("after")) {
			t.Errorf("%s: the archive went on after the corrupt blob", u)
		}
	}
	if !strings.Contains(e.logs.String(), "corrupt") {
		t.Errorf("the log says nothing of the corrupt blob")
	}
}

func TestContentType(t *testing.T) {
	for p, want := range map[string]string{
		"a.png": "image/png", "a.json": "application/json", "a.txt": "text/plain; charset=utf-8",
		"x.html": "application/octet-stream", "x.HTM": "application/octet-stream", "x.svg": "application/octet-stream",
		"x.js": "application/octet-stream", "x.xml": "application/octet-stream", "model.safetensors": "application/octet-stream",
		"noext": "application/octet-stream",
	} {
		if got := contentType(p); got != want {
			t.Errorf("contentType(%q) = %q, want %q", p, got, want)
		}
	}
}

// unpack reads a tar or zip archive into name → content.
func unpack(t *testing.T, format string, b []byte) map[string]string {
	t.Helper()
	out := map[string]string{}
	if format == "zip" {
		zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("zip: %v", err)
		}
		for _, f := range zr.File {
			if f.Method != zip.Store {
				t.Errorf("zip: %s has method %d, want Store", f.Name, f.Method)
			}
			rc, err := f.Open()
			if err != nil {
				t.Fatal(err)
			}
			c, err := io.ReadAll(rc) // checks the CRC too
			rc.Close()
			if err != nil {
				t.Fatalf("zip %s: %v", f.Name, err)
			}
			out[f.Name] = string(c)
		}
		return out
	}
	tr := tar.NewReader(bytes.NewReader(b))
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("tar: %v", err)
		}
		c, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(c)
	}
}

func keys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}

var (
	mimeParse = mime.ParseMediaType
	itoa      = strconv.Itoa
)

// FuzzAttachment: whatever the name, the Content-Disposition is one line
// of printable ASCII that parses back to the name (when it is UTF-8).
func FuzzAttachment(f *testing.F) {
	for _, s := range []string{"a.txt", `"q";x=1`, "日本語", "a\r\nb", "%41", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		h := attachment(name)
		for i := 0; i < len(h); i++ {
			if h[i] < 0x20 || h[i] > 0x7e {
				t.Fatalf("%q: byte %#x in header %q", name, h[i], h)
			}
		}
		if !utf8.ValidString(name) || name == "" {
			return
		}
		_, params, err := mime.ParseMediaType(h)
		if err != nil || params["filename"] != name {
			t.Fatalf("%q: %q parses to %v %v", name, h, params, err)
		}
	})
}
