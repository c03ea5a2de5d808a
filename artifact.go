package trove

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/refs"
)

// Artifact is an artifact being built locally: a folder of files to log as
// a new version with (*Run).LogArtifact. Files are not copied when added:
// they are hashed in place when the artifact is logged, so they must not
// change in between. An Artifact is not safe for concurrent use.
type Artifact struct {
	Name        string         // the collection name, e.g. "bike-dataset"
	Type        string         // "dataset", "model", "result" or any type of yours
	Description string         // free text shown next to the version
	Metadata    map[string]any // structured data about the version (JSON object)
	// TTL, when not 0, makes the version expire at its creation + TTL (at
	// most 100 years): it is then deleted as Version.Delete with its
	// aliases does, unless a registry links it. Logging content identical
	// to an existing version sets that version's TTL to this one when not
	// 0 (counted from its creation: the latest log wins).
	TTL time.Duration
	// DistributedID keys the pending version that (*Run).UpsertArtifact and
	// FinishArtifact build; "" means the run's Group.
	DistributedID string
	// AllowEmpty accepts logging a version with no entries (no file,
	// reference or inherited entry), which is otherwise refused with
	// ErrInvalid before anything is stored: an empty artifact is nearly
	// always a mistake (an empty directory, a wrong path). For
	// FinishArtifact it applies to all the pending entries, the upserted
	// ones included.
	AllowEmpty bool

	files []localFile
	refs  []reference       // references, resolved when the artifact is logged
	paths map[string]string // entry path → where it came from, to refuse duplicates
	dirs  []string          // directories added, whose stat cache entries to preload

	// inherited are the entries of the version a draft started from
	// (NewDraft, in draft.go), and base names that version.
	inherited []core.Entry
	base      string

	// manifest is set once the artifact has been logged: it is final from
	// then on, and logging or using it again reuses the manifest.
	manifest *core.Manifest
}

// localFile is one file to log: a local path and its path in the artifact.
type localFile struct {
	entry string // path inside the artifact
	src   string // absolute local path
	temp  bool   // made by NewFile: removed after logging
}

// NewArtifact starts an artifact. The name and type are checked when it is
// logged: names are 1–128 of [A-Za-z0-9._-]; types have no '/' or ':'.
func NewArtifact(name, typ string) *Artifact {
	return &Artifact{Name: name, Type: typ, paths: make(map[string]string)}
}

// AddFile adds a local file, stored as name when given, else as its base
// name: AddFile("checkpoints/model.h5") stores "model.h5",
// AddFile("model.h5", "models/mymodel.h5") stores "models/mymodel.h5".
func (a *Artifact) AddFile(path string, name ...string) error {
	if len(name) > 1 {
		return core.Errorf(core.ErrInvalid, "AddFile takes at most one name, got %d", len(name))
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add file %q: %w", path, err)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return core.Errorf(core.ErrNotFound, "add file: %w", err)
	}
	if fi.IsDir() {
		return core.Errorf(core.ErrInvalid, "add file %q: is a directory; use AddDir", path)
	}
	if !fi.Mode().IsRegular() {
		return core.Errorf(core.ErrInvalid, "add file %q: not a regular file", path)
	}
	entry := filepath.Base(abs)
	if len(name) == 1 {
		entry = name[0]
	}
	return a.add(entry, abs, false)
}

// AddDir adds every file under a local directory, recursively, with paths
// relative to it and under prefix when given: AddDir("images") stores
// "cat.png", AddDir("images", "images") stores "images/cat.png". Symbolic
// links to files inside the directory are followed; links leading out of it,
// links to directories and special files are refused. Temporary files of
// a download (.trove-<16 hex digits>.tmp) are skipped.
func (a *Artifact) AddDir(path string, prefix ...string) error {
	if len(prefix) > 1 {
		return core.Errorf(core.ErrInvalid, "AddDir takes at most one prefix, got %d", len(prefix))
	}
	root, err := filepath.Abs(path)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
	}
	fi, err := os.Stat(root)
	if err != nil {
		return core.Errorf(core.ErrNotFound, "add dir: %w", err)
	}
	if !fi.IsDir() {
		return core.Errorf(core.ErrInvalid, "add dir %q: not a directory; use AddFile", path)
	}
	realRoot, err := filepath.EvalSymlinks(root)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
	}
	pre := ""
	if len(prefix) == 1 {
		pre = prefix[0]
	}
	// Collect first, add after: a bad file leaves the artifact unchanged.
	var found []localFile
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
		}
		if d.IsDir() || isDownloadTemp(d.Name()) {
			return nil // a download's temporary file is never content
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return core.Errorf(core.ErrInvalid, "add dir %q: %w", path, err)
		}
		switch typ := d.Type(); {
		case typ.IsRegular():
		case typ&fs.ModeSymlink != 0:
			if err := checkLinkInside(realRoot, p, rel); err != nil {
				return err
			}
		default:
			return core.Errorf(core.ErrInvalid, "add dir %q: %s is not a regular file (%v)", path, rel, typ)
		}
		entry, err := core.JoinPath(pre, filepath.ToSlash(rel))
		if err != nil {
			return err
		}
		found = append(found, localFile{entry: entry, src: p})
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range found {
		if prev, dup := a.paths[f.entry]; dup {
			return core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", f.entry, prev, f.src)
		}
	}
	for _, f := range found {
		if err := a.add(f.entry, f.src, false); err != nil {
			return err
		}
	}
	a.dirs = append(a.dirs, root)
	return nil
}

// checkLinkInside accepts a symbolic link only when it resolves to a regular
// file inside the directory being added.
func checkLinkInside(realRoot, p, rel string) error {
	target, err := filepath.EvalSymlinks(p)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "symbolic link %s: %w", rel, err)
	}
	in, err := filepath.Rel(realRoot, target)
	if err != nil || in == ".." || strings.HasPrefix(in, ".."+string(filepath.Separator)) || filepath.IsAbs(in) {
		return core.Errorf(core.ErrInvalid, "symbolic link %s points out of the directory (to %s)", rel, target)
	}
	fi, err := os.Stat(target)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "symbolic link %s: %w", rel, err)
	}
	if !fi.Mode().IsRegular() {
		return core.Errorf(core.ErrInvalid, "symbolic link %s points to a directory or special file; only links to files are followed", rel)
	}
	return nil
}

// NewFile returns a new file, stored as name in the artifact, to write the
// content into. Close it before logging the artifact. The file lives in a
// temporary directory and is removed once the artifact is logged.
func (a *Artifact) NewFile(name string) (*os.File, error) {
	if a.manifest != nil {
		return nil, core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	if err := core.ValidatePath(name); err != nil {
		return nil, err
	}
	if prev, dup := a.paths[name]; dup {
		return nil, core.Errorf(core.ErrConflict, "path %q is added twice (already from %s)", name, prev)
	}
	f, err := os.CreateTemp("", "trove-newfile-*")
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "new file %q: %w", name, err)
	}
	if err := a.add(name, f.Name(), true); err != nil {
		f.Close()
		os.Remove(f.Name())
		return nil, err
	}
	return f, nil
}

// add records one file after checking its entry path.
func (a *Artifact) add(entry, src string, temp bool) error {
	if a.manifest != nil {
		return core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	if err := core.ValidatePath(entry); err != nil {
		return err
	}
	if a.paths == nil {
		a.paths = make(map[string]string)
	}
	if prev, dup := a.paths[entry]; dup {
		return core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", entry, prev, src)
	}
	a.paths[entry] = src
	a.files = append(a.files, localFile{entry: entry, src: src, temp: temp})
	return nil
}

// removeTemp deletes the files NewFile made.
func (a *Artifact) removeTemp() {
	for _, f := range a.files {
		if f.temp {
			os.Remove(f.src)
		}
	}
}

// Empty reports whether nothing was added to the artifact: no file, no
// reference and, for a draft, no inherited entry left.
func (a *Artifact) Empty() bool {
	if a.manifest != nil {
		return a.manifest.Len() == 0
	}
	return len(a.files) == 0 && len(a.refs) == 0 && len(a.inherited) == 0
}

// checkEmpty refuses to log an empty artifact unless a.AllowEmpty, with the
// store's own words, before anything is hashed, stored or committed.
func (a *Artifact) checkEmpty(m *core.Manifest) error {
	if a.AllowEmpty || (m == nil && !a.Empty()) || (m != nil && m.Len() > 0) {
		return nil
	}
	return core.Errorf(core.ErrInvalid, "artifact %s has no files or references: add some, or allow an empty version with --allow-empty", a.Name)
}

// validate checks what logging needs before any file is read.
func (a *Artifact) validate() error {
	if err := core.ValidateName(a.Name); err != nil {
		return err
	}
	return core.ValidateType(a.Type)
}

// reference is one AddReference call, resolved when the artifact is logged.
type reference struct {
	uri  string
	opts refs.Options
}

// RefOption is an option of AddReference.
type RefOption func(*refOptions)

type refOptions struct {
	refs.Options
	maxSet bool // MaxObjects was given, so 0 is an error, not the default
}

// RefName names the entry of a single object, or is the folder the objects
// under a prefix or directory go in. Without it, an object is named by its
// base name and the objects under a prefix by their paths below it.
func RefName(name string) RefOption { return func(o *refOptions) { o.Name = name } }

// NoChecksum skips collecting checksums: each entry's digest is derived from
// its URI alone, so the version does not change when the object does, and
// nothing is verified on download.
func NoChecksum() RefOption { return func(o *refOptions) { o.NoChecksum = true } }

// AllowHTML takes an http(s) URL whose server answers with an HTML page
// although the URL names no .html file. Such a reference is otherwise
// refused when the artifact is logged: it is most likely a directory
// listing or a login page, not the data behind it.
func AllowHTML() RefOption { return func(o *refOptions) { o.AllowHTML = true } }

// MaxObjects bounds how many objects a prefix or directory may expand to
// (default 10,000; n must be at least 1). More is an error when the
// artifact is logged, never a silent truncation.
func MaxObjects(n int) RefOption {
	return func(o *refOptions) { o.MaxObjects, o.maxSet = n, true }
}

// AddReference adds a reference to data that stays where it is: an object,
// or every object under a prefix or directory, behind an http://, https://,
// s3://, gs:// or file:// URI. Nothing is copied to Trove; the entries keep
// the URI and the checksum information of each object (ETag, version id,
// size; the SHA-256 of a local file), so the version changes exactly when a
// referenced object does, and Download fetches the objects from where they
// are. An http(s) server that sends neither ETag nor Last-Modified cannot
// be pinned: such a reference is logged with a warning (Options.Notify),
// and its downloads check only the size. Naming follows the reference
// system:
//
//	AddReference("s3://b/checkpoints/model.h5")                       → model.h5
//	AddReference("s3://b/model.h5", RefName("models/mymodel.h5"))     → models/mymodel.h5
//	AddReference("s3://b/images")                                     → cat.png, dog.png
//	AddReference("s3://b/images", RefName("images"))                  → images/cat.png, images/dog.png
//
// The URI and options are checked now; the objects are listed when the
// artifact is logged, with that call's context and the credentials of the
// environment (AWS and Google variables and files). s3:// and gs://
// references need their scheme's package imported, once, anywhere in the
// program:
//
//	import _ "github.com/troveml/trove/scheme/s3"  // s3://
//	import _ "github.com/troveml/trove/scheme/gcs" // gs://
//
// Without it AddReference fails with an error that names the import. A missing object, or a
// prefix of more objects than MaxObjects, fails the log and commits
// nothing. Files and references mix freely in one artifact.
func (a *Artifact) AddReference(uri string, opts ...RefOption) error {
	if a.manifest != nil {
		return core.Errorf(core.ErrConflict, "artifact %s was already logged: it is final; start a new one", a.Name)
	}
	if err := checkRefURI(uri); err != nil {
		return err
	}
	if err := refs.Missing(uri); err != nil {
		return err
	}
	var o refOptions
	for _, opt := range opts {
		if opt == nil {
			return core.Errorf(core.ErrInvalid, "reference %s: nil option", uri)
		}
		opt(&o)
	}
	if o.maxSet && o.MaxObjects < 1 {
		return core.Errorf(core.ErrInvalid, "reference %s: max objects is %d; want at least 1", uri, o.MaxObjects)
	}
	if o.Name != "" {
		name := strings.Trim(o.Name, "/")
		if err := core.ValidatePath(name); err != nil {
			return core.Errorf(core.ErrInvalid, "reference %s: name: %w", uri, err)
		}
		if prev, dup := a.paths[name]; dup {
			return core.Errorf(core.ErrConflict, "path %q is added twice (from %s and %s)", name, prev, uri)
		}
	}
	a.refs = append(a.refs, reference{uri: uri, opts: o.Options})
	return nil
}

// refSchemes are the URI schemes AddReference takes.
var refSchemes = map[string]bool{"http": true, "https": true, "s3": true, "gs": true, "file": true}

// checkRefURI checks a reference URI's syntax: a supported scheme, a host
// (a bucket) where one is needed, an absolute path for file://, and no
// credentials, which Trove would store for all readers to see.
func checkRefURI(uri string) error {
	if uri == "" {
		return core.Errorf(core.ErrInvalid, "reference: empty URI")
	}
	u, err := url.Parse(uri)
	if err != nil {
		return core.Errorf(core.ErrInvalid, "reference %.200q: %v", uri, err)
	}
	scheme := strings.ToLower(u.Scheme)
	bad := func(format string, args ...any) error {
		return core.Errorf(core.ErrInvalid, "reference %.200q: %s", uri, fmt.Sprintf(format, args...))
	}
	switch {
	case u.Scheme == "":
		return bad("no scheme; want http://, https://, s3://, gs:// or file:// (file:///absolute/path for a local file)")
	case !refSchemes[scheme]:
		return bad("unsupported scheme %q; want http, https, s3, gs or file", u.Scheme)
	case u.Opaque != "":
		return bad("want %s://…, not %s:…", scheme, scheme)
	case u.User != nil:
		return bad("credentials in the URI would be stored in Trove for every reader to see; give them in the environment")
	case u.Fragment != "" || strings.Contains(uri, "#"):
		return bad("a fragment (#…) names no object")
	}
	switch scheme {
	case "http", "https":
		if u.Host == "" {
			return bad("no host")
		}
	case "s3", "gs":
		if u.Host == "" {
			return bad("no bucket; want %s://bucket/key or %s://bucket/prefix", scheme, scheme)
		}
		if u.RawQuery != "" {
			return bad("a query (?…) names no object; encode '?' in a key as %%3F")
		}
	case "file":
		if u.Host != "" && u.Host != "localhost" {
			return bad("file:// takes a local path (file:///absolute/path), not host %q", u.Host)
		}
		if !strings.HasPrefix(u.Path, "/") || u.Path == "/" {
			return bad("file:// takes an absolute path below the root (file:///absolute/path)")
		}
		if u.RawQuery != "" {
			return bad("a query (?…) names no file; encode '?' in a path as %%3F")
		}
	}
	return nil
}
