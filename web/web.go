// Package web serves Trove's web UI: the React application whose build,
// committed under dist/, is embedded in the binary, so that building Trove
// never needs Node.js. The sources are under src/; `npm run build` in this
// directory regenerates dist/, and CI fails when the committed build is stale.
package web

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed all:dist
var dist embed.FS

// Handler serves the UI: files of the build by their path, and index.html
// for every other path, so that the application's own routes
// (/admin/mnist/artifacts/…) load the application, which then routes them.
// Hashed assets are cached for good; index.html never is, so a new release
// takes effect at the next page load.
func Handler() http.Handler {
	root, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	index, err := fs.ReadFile(root, "index.html")
	if err != nil {
		panic("web: the embedded build has no index.html: run npm run build in web/")
	}
	files := http.FileServerFS(root)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; worker-src 'self' blob:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			h.Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		p := path.Clean("/" + r.URL.Path)
		if p == "/_assets" || strings.HasPrefix(p, "/_assets/") {
			// Only files: a missing asset is a 404, not the application
			// (a stale page asking for an old build's script must fail
			// plainly), and directories are never listed.
			if st, err := fs.Stat(root, p[1:]); err == nil && !st.IsDir() {
				h.Set("Cache-Control", "public, max-age=31536000, immutable")
				files.ServeHTTP(w, r)
				return
			}
			http.NotFound(w, r)
			return
		}
		if p != "/" && p != "/index.html" {
			if st, err := fs.Stat(root, p[1:]); err == nil && !st.IsDir() {
				h.Set("Cache-Control", "no-cache")
				files.ServeHTTP(w, r)
				return
			}
		}
		h.Set("Cache-Control", "no-cache")
		h.Set("Content-Type", "text/html; charset=utf-8")
		if r.Method == http.MethodHead {
			return
		}
		w.Write(index)
	})
}
