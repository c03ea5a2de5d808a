package server

// Downloads for browsers: one file of a version, or the whole version as a
// tar or zip archive built while it is sent. Both read blobs through the
// caller's guarded service (the read path of GET /blobs/{digest}, which
// verifies every byte against its digest), with the read access of the
// manifest.
//
// A browser cannot check a digest, so a blob that fails verification must
// never reach it as a complete-looking file: the last chunk of each blob is
// held back until the blob's reader has said it ended cleanly, and on any
// failure after the status is sent the connection is dropped, so the
// browser sees a failed download (a short body, or a chunked body without
// its end) rather than a truncated archive.
//
// Reference entries are never fetched by the server: that would let anyone
// who can log a version make the server request any URL (internal
// services, cloud metadata endpoints). A file download of a reference is
// refused with its URI; an archive lists the references in a JSON file
// instead of their content.

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// referencesFile is the name, inside an archive's top folder, of the list of
// the version's reference entries (a free name is chosen when the version
// has a file of that name).
const referencesFile = "REFERENCES.json"

// stream is a handler result that writes its own response.
type stream interface {
	serve(s *Server, w http.ResponseWriter, r *http.Request)
}

// fileDownload is one stored file of a version, opened for streaming.
type fileDownload struct {
	entry core.Entry
	rc    io.ReadCloser
	first []byte // read before the status was sent
}

// downloadFile serves GET …/versions/{version}/file?path=P.
func (s *Server) downloadFile(r *http.Request, c *caller) (any, error) {
	q := r.URL.Query()
	if !q.Has("path") {
		return nil, core.Errorf(core.ErrInvalid, "query parameter path is required")
	}
	p := q.Get("path")
	if err := core.ValidatePath(p); err != nil {
		return nil, err
	}
	ref := versionRef(r)
	e, err := c.api.Entry(r.Context(), ref, p)
	if err != nil {
		return nil, err
	}
	if e.Ref != "" {
		return nil, core.Errorf(core.ErrConflict,
			"%s is a reference to %s, which the server never fetches: fetch it yourself, e.g. trove artifact get %s --path %s",
			p, e.Ref, ref.String(), p)
	}
	rc, err := c.api.GetBlob(r.Context(), e.Digest)
	if err != nil {
		return nil, err
	}
	first, err := readFirst(rc)
	if err != nil {
		rc.Close()
		return nil, err
	}
	return &fileDownload{entry: e, rc: rc, first: first}, nil
}

// readFirst reads up to firstChunk bytes, so that a blob the store cannot
// serve at all fails while a JSON error can still be sent.
func readFirst(rc io.Reader) ([]byte, error) {
	first := make([]byte, firstChunk)
	n, err := io.ReadFull(rc, first)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		return nil, err
	}
	return first[:n], nil
}

func (f *fileDownload) serve(s *Server, w http.ResponseWriter, r *http.Request) {
	defer f.rc.Close()
	h := w.Header()
	h.Set("Content-Type", contentType(f.entry.Path))
	h.Set("Content-Disposition", attachment(path.Base(f.entry.Path)))
	h.Set("Content-Length", strconv.FormatInt(f.entry.Size, 10))
	downloadHeaders(h)
	w.WriteHeader(http.StatusOK)
	ew := &errWriter{w: w}
	err := copyVerified(ew, io.MultiReader(bytes.NewReader(f.first), f.rc))
	s.endStream(r, ew, err)
}

// endStream ends a streamed download that failed after its status was
// sent: the client's going away is noted; anything else (a corrupt blob,
// a failed store) drops the connection so the body is visibly incomplete.
func (s *Server) endStream(r *http.Request, ew *errWriter, err error) {
	if err == nil {
		return
	}
	info := infoOf(r.Context())
	info.err = err
	if ew.err != nil {
		return // the client went away
	}
	if errors.Is(err, core.ErrCorrupt) {
		s.log.Error("refused to finish a download of a corrupt blob", "err", err, "request_id", info.id)
	}
	info.aborted = true
	panic(http.ErrAbortHandler)
}

// copyVerified copies src to dst holding back the last chunk read until
// src has ended without error, so that a reader that reports corruption
// only at its end (the verifying blob reader) never lets its last bytes
// out.
func copyVerified(dst io.Writer, src io.Reader) error {
	bufs := [2][]byte{make([]byte, 32<<10), make([]byte, 32<<10)}
	var pending []byte
	for i := 0; ; i ^= 1 {
		n, err := src.Read(bufs[i])
		if n > 0 {
			if len(pending) > 0 {
				if _, werr := dst.Write(pending); werr != nil {
					return werr
				}
			}
			pending = bufs[i][:n]
		}
		if err == io.EOF {
			if len(pending) > 0 {
				_, werr := dst.Write(pending)
				return werr
			}
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// downloadHeaders are the headers of every download: the browser must not
// guess a type (and render a file as a page), a page loaded from it anyway
// runs nothing, and nothing is cached.
func downloadHeaders(h http.Header) {
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", "sandbox; default-src 'none'")
	h.Set("Cache-Control", "private, no-store")
}

// activeTypes are types a browser could run or render as a page; files of
// these types are sent as application/octet-stream.
var activeTypes = map[string]bool{
	"text/html": true, "application/xhtml+xml": true, "image/svg+xml": true,
	"text/xml": true, "application/xml": true, "text/javascript": true,
	"application/javascript": true, "application/x-javascript": true,
	"text/css": true, "application/pdf": true, "application/wasm": true,
}

// contentType is the type of a file by its extension, as Go's mime package
// knows it; application/octet-stream when unknown or active.
func contentType(p string) string {
	t := mime.TypeByExtension(path.Ext(p))
	mt, _, err := mime.ParseMediaType(t)
	if t == "" || err != nil || activeTypes[mt] {
		return "application/octet-stream"
	}
	return t
}

// attachment is a Content-Disposition that saves a file as name: an ASCII
// fallback for old clients, and the exact name RFC 5987-encoded. Every byte
// outside the unreserved set is percent-encoded, so no name can end the
// header or add a parameter.
func attachment(name string) string {
	var fallback, exact strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' && r != '%' && r != ';' {
			fallback.WriteRune(r)
		} else {
			fallback.WriteByte('_')
		}
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if isAttrChar(c) {
			exact.WriteByte(c)
		} else {
			exact.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
		}
	}
	return `attachment; filename="` + fallback.String() + `"; filename*=UTF-8''` + exact.String()
}

// isAttrChar reports whether c is an attr-char of RFC 5987 §3.2.1.
func isAttrChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// archiveFormats are the formats of GET …/archive.
var archiveFormats = map[string]string{"tar": "application/x-tar", "zip": "application/zip"}

// archiveDownload is a version to stream as an archive.
type archiveDownload struct {
	c       *caller
	format  string
	top     string // "name-vN"
	full    string // "entity/project/name:vN"
	mtime   time.Time
	entries []core.Entry // stored files, in path order
	refs    []core.Entry // reference entries
	refName string       // the file listing refs, under top
	// first is the first stored file, opened before the status was sent.
	first io.ReadCloser
}

// ReferenceList is the content of an archive's REFERENCES.json: the
// version's reference entries, which the archive does not contain.
type ReferenceList struct {
	Version    string           `json:"version"` // entity/project/name:vN
	Note       string           `json:"note"`
	References []ReferenceEntry `json:"references"`
}

// ReferenceEntry is one reference entry of a ReferenceList.
type ReferenceEntry struct {
	Path   string            `json:"path"`
	URI    string            `json:"uri"`
	Digest core.Digest       `json:"digest"`
	Size   int64             `json:"size"`
	Extra  map[string]string `json:"extra,omitempty"` // pinned version: etag, version id…
}

// downloadArchive serves GET …/versions/{version}/archive?format=tar|zip.
//
// zip entries are stored, not deflated: ML artifacts are mostly
// compressed already (weights, images, parquet), deflating them would cost
// the server a core per download for little gain, and "download all" is to
// go as fast as the CLI. Memory is constant in the bytes sent; a zip's
// central directory grows with the number of files (about 100 bytes each).
func (s *Server) downloadArchive(r *http.Request, c *caller) (any, error) {
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "tar"
	}
	if _, ok := archiveFormats[format]; !ok {
		return nil, core.Errorf(core.ErrInvalid, "query parameter format %.40q: want tar or zip", format)
	}
	ref := versionRef(r)
	v, err := c.api.Artifact(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	// The resolved version, so that an alias moving meanwhile cannot mix
	// two versions.
	ref.Selector = v.Label()
	m, err := c.api.Manifest(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	a := &archiveDownload{c: c, format: format, top: v.Name + "-" + v.Label(), full: v.Entity + "/" + v.Project + "/" + v.Name + ":" + v.Label(), mtime: v.CreatedAt}
	taken := map[string]bool{}
	for _, e := range m.Entries() {
		taken[e.Path] = true
		if e.Ref != "" {
			a.refs = append(a.refs, e)
		} else {
			a.entries = append(a.entries, e)
		}
	}
	if len(a.refs) > 0 {
		a.refName = referencesFile
		for taken[a.refName] {
			a.refName = "_" + a.refName
		}
	}
	if len(a.entries) > 0 {
		rc, err := c.api.GetBlob(r.Context(), a.entries[0].Digest)
		if err != nil {
			return nil, err
		}
		a.first = rc
	}
	return a, nil
}

func (a *archiveDownload) serve(s *Server, w http.ResponseWriter, r *http.Request) {
	defer func() {
		if a.first != nil {
			a.first.Close()
		}
	}()
	h := w.Header()
	h.Set("Content-Type", archiveFormats[a.format])
	h.Set("Content-Disposition", attachment(a.top+"."+a.format))
	downloadHeaders(h)
	w.WriteHeader(http.StatusOK)
	ew := &errWriter{w: w}
	s.endStream(r, ew, a.write(r, ew))
}

// archiveWriter is what tar and zip have in common here.
type archiveWriter interface {
	create(name string, size int64, mtime time.Time) (io.Writer, error)
	Close() error
}

type tarArchive struct{ *tar.Writer }

func (t tarArchive) create(name string, size int64, mtime time.Time) (io.Writer, error) {
	err := t.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o644, ModTime: mtime, Format: tar.FormatPAX})
	return t.Writer, err
}

type zipArchive struct{ *zip.Writer }

func (z zipArchive) create(name string, size int64, mtime time.Time) (io.Writer, error) {
	fh := &zip.FileHeader{Name: name, Method: zip.Store, Modified: mtime}
	fh.SetMode(0o644)
	return z.CreateHeader(fh)
}

// write writes the archive: the stored files, each verified, then the list
// of references.
func (a *archiveDownload) write(r *http.Request, w io.Writer) error {
	var aw archiveWriter
	if a.format == "zip" {
		aw = zipArchive{zip.NewWriter(w)}
	} else {
		aw = tarArchive{tar.NewWriter(w)}
	}
	ctx := r.Context()
	for i, e := range a.entries {
		rc := a.first
		a.first = nil
		if i > 0 {
			var err error
			if rc, err = a.c.api.GetBlob(ctx, e.Digest); err != nil {
				return err
			}
		}
		fw, err := aw.create(a.top+"/"+e.Path, e.Size, a.mtime)
		if err == nil {
			err = copyVerified(fw, rc)
		}
		rc.Close()
		if err != nil {
			return err
		}
	}
	if len(a.refs) > 0 {
		list := ReferenceList{
			Version: a.full,
			Note:    "These entries are references: the archive does not hold their content. Fetch them with trove artifact get, which checks them against the pinned digest, ETag or version id.",
		}
		for _, e := range a.refs {
			list.References = append(list.References, ReferenceEntry{Path: e.Path, URI: e.Ref, Digest: e.Digest, Size: e.Size, Extra: e.Extra})
		}
		b, err := json.MarshalIndent(list, "", "  ")
		if err != nil {
			return err
		}
		b = append(b, '\n')
		fw, err := aw.create(a.top+"/"+a.refName, int64(len(b)), a.mtime)
		if err != nil {
			return err
		}
		if _, err := fw.Write(b); err != nil {
			return err
		}
	}
	return aw.Close()
}
