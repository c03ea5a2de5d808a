package web

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/troveml/trove/internal/testenv"
)

// TestVitest runs the UI's unit tests (vitest) in this directory, so that
// go test ./... runs them too.
func TestVitest(t *testing.T) {
	node, err := exec.LookPath("node")
	testenv.Require(t, "node (Node.js)", err == nil)
	_, err = os.Stat(filepath.Join("node_modules", "vitest", "vitest.mjs"))
	testenv.Require(t, "web/node_modules (run npm ci in web/)", err == nil)

	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	// vitest itself, not npx: npx could download a package it does not
	// find installed.
	cmd := exec.CommandContext(ctx, node, filepath.Join("node_modules", "vitest", "vitest.mjs"), "run")
	cmd.Env = append(os.Environ(), "CI=1", "NO_COLOR=1", "FORCE_COLOR=0")
	if err := testenv.RunLogged(t, cmd); err != nil {
		t.Fatalf("vitest: %v", err)
	}
}

// get serves one request with Handler.
func get(t *testing.T, method, target string) *httptest.ResponseRecorder {
	t.Helper()
	w := httptest.NewRecorder()
	Handler().ServeHTTP(w, httptest.NewRequest(method, target, nil))
	return w
}

// checkSecurityHeaders checks the headers every answer carries.
func checkSecurityHeaders(t *testing.T, target string, w *httptest.ResponseRecorder) {
	t.Helper()
	h := w.Header()
	for k, want := range map[string]string{
		"X-Content-Type-Options": "nosniff",
		"X-Frame-Options":        "DENY",
		"Referrer-Policy":        "same-origin",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %s = %q, want %q", target, k, got, want)
		}
	}
	csp := h.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "frame-ancestors 'none'", "base-uri 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("%s: Content-Security-Policy %q lacks %q", target, csp, want)
		}
	}
}

func embeddedIndex(t *testing.T) []byte {
	t.Helper()
	b, err := fs.ReadFile(dist, "dist/index.html")
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWebIndexFallback: the application's own routes, and any path that is
// not a file of the build, get index.html, never cached.
func TestWebIndexFallback(t *testing.T) {
	index := embeddedIndex(t)
	for _, target := range []string{
		"/", "/index.html", "/admin/mnist/artifacts", "/admin/mnist/artifacts/model/mnist_model/v0/lineage",
		"/admin/zoo/runs/abc123?tab=lineage", "/a/b/../../admin", "/no.such.file",
		"/registries", "/registries/model", "/registry/model/artifacts/model/Zoo_Classifier_Models/v0/lineage",
	} {
		w := get(t, http.MethodGet, target)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d, want 200", target, w.Code)
			continue
		}
		if ct := w.Header().Get("Content-Type"); ct != "text/html; charset=utf-8" {
			t.Errorf("GET %s: Content-Type %q", target, ct)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "no-cache" {
			t.Errorf("GET %s: Cache-Control %q, want no-cache", target, cc)
		}
		if !bytes.Equal(w.Body.Bytes(), index) {
			t.Errorf("GET %s: the body is not index.html:\n%.200s", target, w.Body.String())
		}
		checkSecurityHeaders(t, target, w)
	}
	w := get(t, http.MethodHead, "/admin/mnist/artifacts")
	if w.Code != http.StatusOK || w.Body.Len() != 0 {
		t.Errorf("HEAD: %d with %d body bytes, want 200 and none", w.Code, w.Body.Len())
	}
}

// TestWebAssets: every file of the build's _assets is served with its bytes
// and cached for good (its name changes with its content).
func TestWebAssets(t *testing.T) {
	entries, err := fs.ReadDir(dist, "dist/_assets")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) == 0 {
		t.Fatal("the embedded build has no assets: run npm run build in web/")
	}
	scripts := 0
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		want, err := fs.ReadFile(dist, "dist/_assets/"+e.Name())
		if err != nil {
			t.Fatal(err)
		}
		target := "/_assets/" + e.Name()
		w := get(t, http.MethodGet, target)
		if w.Code != http.StatusOK {
			t.Errorf("GET %s: %d", target, w.Code)
			continue
		}
		if !bytes.Equal(w.Body.Bytes(), want) {
			t.Errorf("GET %s: body differs from the embedded file", target)
		}
		if cc := w.Header().Get("Cache-Control"); cc != "public, max-age=31536000, immutable" {
			t.Errorf("GET %s: Cache-Control %q, want immutable caching", target, cc)
		}
		if strings.HasSuffix(e.Name(), ".js") {
			scripts++
			if ct := w.Header().Get("Content-Type"); !strings.Contains(ct, "javascript") {
				t.Errorf("GET %s: Content-Type %q, want JavaScript", target, ct)
			}
		}
		checkSecurityHeaders(t, target, w)
	}
	if scripts == 0 {
		t.Error("the embedded build has no script")
	}
	// index.html loads its script from _assets.
	if !bytes.Contains(embeddedIndex(t), []byte(`src="/_assets/`)) {
		t.Error("index.html does not load its script from /_assets/")
	}
}

// TestWebNotFoundAndNoListing: a missing asset is a 404 (not the
// application), and no directory is ever listed.
func TestWebNotFoundAndNoListing(t *testing.T) {
	index := embeddedIndex(t)
	for _, target := range []string{"/_assets/x.js", "/_assets/index-00000000.js", "/_assets/", "/_assets", "/_assets/../_assets/", "/_assets/sub/"} {
		w := get(t, http.MethodGet, target)
		if w.Code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, w.Code)
		}
		if bytes.Equal(w.Body.Bytes(), index) || strings.Contains(w.Body.String(), "<a href") {
			t.Errorf("GET %s: answered with a page or a listing:\n%.200s", target, w.Body.String())
		}
		checkSecurityHeaders(t, target, w)
	}
}

// TestWebMethods: the UI is read-only; anything but GET and HEAD is 405.
func TestWebMethods(t *testing.T) {
	entries, err := fs.ReadDir(dist, "dist/_assets")
	if err != nil || len(entries) == 0 {
		t.Fatalf("no assets: %v", err)
	}
	for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodPatch, http.MethodOptions} {
		for _, target := range []string{"/", "/admin/mnist/artifacts", "/_assets/" + entries[0].Name()} {
			w := get(t, method, target)
			if w.Code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", method, target, w.Code)
			}
			if allow := w.Header().Get("Allow"); allow != "GET, HEAD" {
				t.Errorf("%s %s: Allow %q", method, target, allow)
			}
			checkSecurityHeaders(t, method+" "+target, w)
		}
	}
}
