// Package trove is the Go SDK of Trove: versioned ML artifacts and their
// lineage.
//
// A run (one step of a pipeline) logs artifacts as outputs and uses them as
// inputs; Trove versions each artifact by content (v0, v1, …), keeps the
// "latest" alias on the newest version, deduplicates identical content and
// records the lineage graph:
//
//	run, err := trove.Init(ctx, trove.RunOptions{JobType: "preprocess"})
//	a := trove.NewArtifact("bike-dataset", "dataset")
//	a.AddDir("data/")
//	v, err := run.LogArtifact(ctx, a, "best")
//	...
//	run.Finish(ctx)
//
// The SDK works on the embedded store (a local data directory, the default)
// and, with TROVE_URL=http(s)://…, against a Trove server; the behaviour is
// the same.
package trove

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"os/user"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"

	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/cache"
	"github.com/troveml/trove/internal/client"
	"github.com/troveml/trove/internal/config"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/refs"
	"github.com/troveml/trove/internal/service"
)

// Environment variables the SDK reads when the matching Options field is
// empty.
const (
	EnvURL      = "TROVE_URL"
	EnvAPIKey   = "TROVE_API_KEY"
	EnvEntity   = "TROVE_ENTITY"
	EnvProject  = "TROVE_PROJECT"
	EnvCacheDir = "TROVE_CACHE_DIR"
	// EnvEncryptionKeyFile names the key file of an encrypted embedded
	// store (see Options.EncryptionKeyFile).
	EnvEncryptionKeyFile = "TROVE_ENCRYPTION_KEY_FILE"
	// EnvNoSync, set to a true value (1, true), opens an embedded store
	// without durability syncs (see Options.NoSync); trove server reads it
	// as the default of --no-sync.
	EnvNoSync = "TROVE_NO_SYNC"
)

// NoSyncFromEnv reports whether $TROVE_NO_SYNC asks for a store without
// durability syncs: unset or empty is false, else a value strconv.ParseBool
// takes (1, true, 0, false…); anything else is core.ErrInvalid.
func NoSyncFromEnv() (bool, error) {
	v := os.Getenv(EnvNoSync)
	if v == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, core.Errorf(core.ErrInvalid, "%s=%q: want 1 or 0 (true or false)", EnvNoSync, v)
	}
	return b, nil
}

// DefaultProject is the project used when none is given.
const DefaultProject = "uncategorized"

// Options configure a Client. Empty fields fall back to the environment and
// then to defaults.
type Options struct {
	// URL is where the store is: a directory or file:// URL for the embedded
	// store, or http(s)://host:port for a server. Default: $TROVE_URL, else
	// the embedded data directory (DefaultDataDir). A server address
	// without its scheme (host:port) is an error, never a directory: see
	// DataDir.
	URL string
	// APIKey authenticates to a server. Default: $TROVE_API_KEY.
	APIKey string
	// Entity and Project are the defaults for references and runs. Default:
	// $TROVE_ENTITY (else the OS user name) and $TROVE_PROJECT (else
	// "uncategorized").
	Entity  string
	Project string
	// CacheDir holds the stat cache and the blob cache. Default:
	// $TROVE_CACHE_DIR, else $XDG_CACHE_HOME/trove, else ~/.cache/trove.
	CacheDir string
	// EncryptionKeyFile is the key file of an embedded store whose blobs
	// are encrypted at rest, such as the data directory of a trove server
	// started with --encryption-key-file: the same file, in the same format
	// (32 raw bytes or 64 hex digits, mode 0600). With it the SDK encrypts
	// as that server does; without it, or with another key, opening such
	// a store fails and nothing is written, and a key for a store that
	// keeps its blobs in plain fails too. Ignored for a server, which has
	// its own. Default: $TROVE_ENCRYPTION_KEY_FILE.
	EncryptionKeyFile string
	// NoSync, for scratch stores, opens an embedded store without the
	// syncs that make every acknowledged commit survive a power loss
	// (blob files and their directories fsynced before the commit, SQLite
	// in synchronous(FULL)): faster, but a power loss or kernel crash may
	// lose the last commits or their blobs. A crash of the process loses
	// nothing either way. Ignored for a server (trove server --no-sync).
	// Default: $TROVE_NO_SYNC (1 or true turns syncs off).
	NoSync bool
	// Logger receives debug messages; nil keeps the SDK silent.
	Logger *slog.Logger
	// Progress, when set, is told about long transfers (hashing, uploads,
	// downloads). The CLI draws progress bars with it.
	Progress Progress
	// Notify, when set, receives one-line messages meant for a person
	// waiting on a command: that the server became unreachable and
	// requests are being retried (once per outage), and that it answers
	// again. Nil keeps the SDK silent; the CLI prints them on stderr.
	Notify func(msg string)
}

// Progress receives progress of a long transfer. Advance is called from
// several goroutines at once.
type Progress interface {
	// Begin starts a phase ("hashing", "uploading", "downloading") of total
	// bytes.
	Begin(phase string, total int64)
	// Advance reports n more bytes done in the current phase. n is
	// negative when a transfer starts over (an upload sent again after a
	// server restart): those bytes will be reported again.
	Advance(n int64)
	// End finishes the current phase.
	End()
}

// Client is a connection to a Trove store. It is safe for concurrent use.
type Client struct {
	api      service.API
	ingest   ingester             // nil unless blobs are local and can be ingested in one pass
	streamer service.BlobIngester // a server that takes large new blobs while they are hashed; nil embedded
	entity   string
	project  string
	cacheDir string
	url      string // the server's URL; "" for an embedded store
	log      *slog.Logger
	progress Progress
	notify   func(msg string) // nil: silent
	closers  []func() error

	statOnce sync.Once
	stat     *cache.StatCache // nil when the stat cache is unavailable

	blobsOnce sync.Once
	blobs     *cache.Blobs // nil when the blob cache is unavailable

	fetchMu  sync.Mutex
	fetching map[core.Digest]*fetchLock // one fetch per blob at a time, so duplicates hit the cache

	resolverOnce sync.Once
	resolver     *refs.Resolver // reference schemes; see references
}

// ingester stores a local file's bytes while hashing them, in one pass.
type ingester interface {
	Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error)
}

// Open connects to the store that opts (or the environment) names.
func Open(ctx context.Context, opts Options) (*Client, error) {
	c := &Client{log: opts.Logger, progress: opts.Progress, notify: opts.Notify}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	var err error
	c.project = firstNonEmpty(opts.Project, os.Getenv(EnvProject), DefaultProject)
	if err := core.ValidateProject(c.project); err != nil {
		return nil, fmt.Errorf("default project: %w", err)
	}
	if c.cacheDir = firstNonEmpty(opts.CacheDir, os.Getenv(EnvCacheDir)); c.cacheDir == "" {
		if c.cacheDir, err = cache.DefaultDir(); err != nil {
			return nil, err
		}
	}
	u := firstNonEmpty(opts.URL, os.Getenv(EnvURL))
	var cfg config.File
	if u == "" || isServerURL(u) {
		// trove login saves the server and its key; an explicit URL or
		// key still wins.
		if cfg, err = loadConfig(); err != nil {
			return nil, err
		}
		u = firstNonEmpty(u, cfg.URL)
	}
	if isServerURL(u) {
		key := firstNonEmpty(opts.APIKey, os.Getenv(EnvAPIKey), cfg.Key(u))
		if err := c.openRemote(ctx, u, key, opts.Entity); err != nil {
			return nil, err
		}
		return c, nil
	}
	if c.entity, err = defaultEntity(opts.Entity); err != nil {
		return nil, err
	}
	dir, err := DataDir(u)
	if err != nil {
		return nil, err
	}
	noSync := opts.NoSync
	if !noSync {
		if noSync, err = NoSyncFromEnv(); err != nil {
			return nil, err
		}
	}
	if err := c.openEmbedded(ctx, dir, firstNonEmpty(opts.EncryptionKeyFile, os.Getenv(EnvEncryptionKeyFile)), noSync); err != nil {
		return nil, err
	}
	return c, nil
}

// DefaultDataDir returns the embedded data directory used when TROVE_URL is
// unset: $XDG_DATA_HOME/trove, else ~/.local/share/trove.
func DefaultDataDir() (string, error) {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "trove"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", core.Errorf(core.ErrInvalid, "no data directory: set %s or HOME: %w", EnvURL, err)
	}
	return filepath.Join(home, ".local", "share", "trove"), nil
}

// DataDir returns the embedded data directory that a TROVE_URL value
// names, as an absolute path: "" is DefaultDataDir, a file:// URL its path,
// and anything without "://" a directory path (relative to the working
// directory) — except a server address missing its scheme. A value whose
// text up to the first '/' is HOST:PORT (HOST empty, a name of letters,
// digits, '-' and '.', or a bracketed IPv6 address; PORT one or more
// digits), such as "localhost:18080" or "10.0.0.5:8080/", is
// core.ErrInvalid suggesting http://. So are http(s):// URLs (servers, not
// directories) and other schemes. A directory really named like host:port
// is written ./data:1, as an absolute path, or as a file:// URL; Windows
// paths (C:\data, C:/data) never match, their part after ':' not being
// digits.
func DataDir(u string) (string, error) {
	if u == "" {
		return DefaultDataDir()
	}
	if strings.Contains(u, "://") {
		pu, err := url.Parse(u)
		if err != nil {
			return "", core.Errorf(core.ErrInvalid, "%s %q: %v", EnvURL, u, err)
		}
		if pu.Scheme != "file" {
			return "", core.Errorf(core.ErrInvalid, "%s %q: want a directory, file://, http:// or https://", EnvURL, u)
		}
		if pu.Host != "" && pu.Host != "localhost" {
			return "", core.Errorf(core.ErrInvalid, "%s %q: file URLs name a local path (file:///path)", EnvURL, u)
		}
		u = pu.Path
	} else if looksLikeHostPort(u) {
		return "", core.Errorf(core.ErrInvalid, "%s %q is a server address without a scheme: write http://%s (or https://); for a directory of that name write ./%s",
			EnvURL, u, strings.TrimRight(u, "/"), u)
	}
	return filepath.Abs(u)
}

// looksLikeHostPort reports whether a scheme-less TROVE_URL reads as
// host:port (see DataDir).
func looksLikeHostPort(u string) bool {
	first, _, _ := strings.Cut(u, "/")
	i := strings.LastIndexByte(first, ':')
	if i < 0 {
		return false
	}
	host, port := first[:i], first[i+1:]
	if port == "" {
		return false
	}
	for _, ch := range port {
		if ch < '0' || ch > '9' {
			return false
		}
	}
	if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		return len(host) > 2
	}
	for _, ch := range host {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '.') {
			return false
		}
	}
	return true
}

// openEmbedded opens the SQLite metadata and the file blob store of a data
// directory, creating them on first use. With keyFile the blobs are
// encrypted under the key in it; either way the store must record the same
// (blob.OpenChecked), as a server on the directory checks too.
func (c *Client) openEmbedded(ctx context.Context, dir, keyFile string, noSync bool) error {
	bopts := blob.Options{NoSync: noSync}
	if keyFile != "" {
		var err error
		if bopts.EncryptionKey, err = blob.LoadKey(keyFile); err != nil {
			return fmt.Errorf("%s: %w", EnvEncryptionKeyFile, err)
		}
	}
	if err := meta.PrivateDir(dir); err != nil {
		return core.Errorf(core.ErrInvalid, "data directory: %w", err)
	}
	m, err := meta.OpenSQLiteWith(ctx, filepath.Join(dir, "trove.db"), meta.Options{NoSync: noSync})
	if err != nil {
		return err
	}
	// Build the URL so that '#', '?' or '%' in the path stay part of it.
	blobURL := (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(dir, "blobs"))}).String()
	b, atRest, err := blob.OpenChecked(ctx, blobURL, bopts, m, EnvEncryptionKeyFile)
	if err != nil {
		m.Close()
		return err
	}
	if atRest.Plain > 0 {
		c.log.Warn("blobs stored in plain in an encrypted store (written without the key before stores recorded their key); they read as corrupt", "count", atRest.Plain)
	}
	svc := service.New(m, b, service.Options{Logger: c.log})
	c.api = svc
	c.ingest = b
	c.closers = append(c.closers, b.Close, m.Close)
	return nil
}

// isServerURL reports whether u names a Trove server rather than a data
// directory.
func isServerURL(u string) bool {
	return strings.HasPrefix(u, "http://") || strings.HasPrefix(u, "https://")
}

// loadConfig reads the user's config file (written by trove login).
func loadConfig() (config.File, error) {
	path, err := config.DefaultPath()
	if err != nil {
		return config.File{}, nil // no home: nothing was saved either
	}
	return config.Load(path)
}

// openRemote connects to a Trove server. The default entity is the one the
// key belongs to, unless one is given.
func (c *Client) openRemote(ctx context.Context, u, key, entity string) error {
	if key == "" {
		return core.Errorf(core.ErrUnauthenticated, "no API key for %s: set %s or run trove login", u, EnvAPIKey)
	}
	c.url = u
	cl, err := client.New(u, client.Options{APIKey: key, Logger: c.log, Notify: c.notify})
	if err != nil {
		return err
	}
	c.api = cl
	c.streamer = cl
	c.closers = append(c.closers, cl.Close)
	if entity = firstNonEmpty(entity, os.Getenv(EnvEntity)); entity != "" {
		if err := core.ValidateEntity(entity); err != nil {
			return fmt.Errorf("entity: %w", err)
		}
		c.entity = entity
		return nil
	}
	me, err := cl.WhoAmI(ctx)
	if err != nil {
		return err
	}
	c.entity = me.Name
	return nil
}

// Close releases the client's stores and caches.
func (c *Client) Close() error {
	var errs []error
	if c.stat != nil {
		errs = append(errs, c.stat.Close())
	}
	for _, f := range c.closers {
		errs = append(errs, f())
	}
	return errors.Join(errs...)
}

// Entity returns the client's default entity.
func (c *Client) Entity() string { return c.entity }

// Project returns the client's default project.
func (c *Client) Project() string { return c.project }

// Server returns the URL of the server c talks to, or "" when c works on an
// embedded store.
func (c *Client) Server() string { return c.url }

// statCache opens the stat cache on first use; it returns nil (and the SDK
// hashes everything) when the cache cannot be opened.
func (c *Client) statCache(ctx context.Context) *cache.StatCache {
	c.statOnce.Do(func() {
		if err := os.MkdirAll(c.cacheDir, 0o700); err != nil {
			c.log.Warn("stat cache disabled", "err", err)
			return
		}
		path := filepath.Join(c.cacheDir, "stat.db")
		sc, err := cache.OpenStatCache(ctx, path)
		if errors.Is(err, core.ErrCorrupt) {
			// The cache only saves work: start it afresh.
			c.log.Warn("stat cache is damaged; starting a new one", "path", path, "err", err)
			for _, suffix := range []string{"", "-wal", "-shm"} {
				os.Remove(path + suffix)
			}
			sc, err = cache.OpenStatCache(ctx, path)
		}
		if err != nil {
			c.log.Warn("stat cache disabled", "err", err)
			return
		}
		c.stat = sc
	})
	return c.stat
}

// blobCache opens the blob cache on first use; nil when it cannot be
// opened. It serves stores that are not on this machine: an embedded
// store's blobs are local already, and caching them would double the disk
// they take.
func (c *Client) blobCache() *cache.Blobs {
	c.blobsOnce.Do(func() {
		b, err := cache.OpenBlobs(filepath.Join(c.cacheDir, "blobs"), cache.DefaultLimit)
		if err != nil {
			c.log.Warn("blob cache disabled", "err", err)
			return
		}
		c.blobs = b
	})
	return c.blobs
}

// openBlob opens a blob for reading, verified: straight from a local store,
// else through the blob cache, fetching it into the cache on a miss.
func (c *Client) openBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	if c.ingest != nil {
		return c.api.GetBlob(ctx, d)
	}
	bc := c.blobCache()
	if bc == nil {
		return c.api.GetBlob(ctx, d)
	}
	if rc, _, err := bc.Open(ctx, d); err == nil {
		return rc, nil
	}
	// Entries with the same content are fetched in parallel: let the first
	// fetch fill the cache and the others read it.
	unlock := c.lockFetch(d)
	defer unlock()
	if rc, _, err := bc.Open(ctx, d); err == nil {
		return rc, nil
	}
	rc, err := c.api.GetBlob(ctx, d)
	if err != nil {
		return nil, err
	}
	err = bc.Put(ctx, d, rc)
	rc.Close()
	if err != nil {
		return nil, err
	}
	if rc, _, err := bc.Open(ctx, d); err == nil {
		return rc, nil
	}
	// Not kept (larger than the cache, or evicted at once): read it directly.
	return c.api.GetBlob(ctx, d)
}

// fetchLock is the lock of one blob's fetch and the number of its users.
type fetchLock struct {
	mu    sync.Mutex
	users int // guarded by Client.fetchMu
}

// lockFetch serializes fetches of blob d and returns the unlock function.
func (c *Client) lockFetch(d core.Digest) func() {
	c.fetchMu.Lock()
	if c.fetching == nil {
		c.fetching = make(map[core.Digest]*fetchLock)
	}
	l := c.fetching[d]
	if l == nil {
		l = &fetchLock{}
		c.fetching[d] = l
	}
	l.users++
	c.fetchMu.Unlock()
	l.mu.Lock()
	return func() {
		l.mu.Unlock()
		c.fetchMu.Lock()
		if l.users--; l.users == 0 {
			delete(c.fetching, d)
		}
		c.fetchMu.Unlock()
	}
}

// qualify parses a reference and fills the client's default entity and
// project.
func (c *Client) qualify(ref string) (core.Ref, error) {
	r, err := core.ParseRef(ref)
	if err != nil {
		return core.Ref{}, err
	}
	return r.WithDefaults(c.entity, c.project), nil
}

// Artifact returns the version a reference names:
// [[entity/]project/]name[:vN|:alias], latest when no version is given.
func (c *Client) Artifact(ctx context.Context, ref string) (*Version, error) {
	r, err := c.qualify(ref)
	if err != nil {
		return nil, err
	}
	v, err := c.api.Artifact(ctx, r)
	if err != nil {
		return nil, err
	}
	return c.newVersion(v), nil
}

// ArtifactVersions returns the versions of an artifact ([[entity/]project/]
// name), oldest first.
func (c *Client) ArtifactVersions(ctx context.Context, name string) ([]*Version, error) {
	r, err := c.qualify(name)
	if err != nil {
		return nil, err
	}
	return c.versions(c.api.ArtifactVersions(ctx, r))
}

// Collections lists the artifacts of a project ("" = the default project),
// optionally of one type.
func (c *Client) Collections(ctx context.Context, project, typ string) ([]Collection, error) {
	return c.api.Collections(ctx, c.entity, firstNonEmpty(project, c.project), typ)
}

// Run returns a run of the default project by id or display name.
func (c *Client) Run(ctx context.Context, idOrName string) (*Run, error) {
	r, err := c.api.GetRun(ctx, c.entity, c.project, idOrName)
	if err != nil {
		return nil, err
	}
	return c.newRun(r), nil
}

// Runs lists the runs of a project ("" = the default project) in start order.
func (c *Client) Runs(ctx context.Context, project string) ([]*Run, error) {
	return c.runs(c.api.ListRuns(ctx, c.entity, firstNonEmpty(project, c.project)))
}

// LineageOptions shape a lineage query.
type LineageOptions struct {
	Direction Direction // "" means Both
	// Depth keeps the nodes at most Depth edges away from the start along
	// Direction (1 downstream of a dataset: the runs that used it, not what
	// they logged); 0 means unlimited.
	Depth int
}

// Lineage returns the lineage graph around start: an artifact reference, or
// "run:ID" for a run. See Graph, Node and Edge for what it holds.
func (c *Client) Lineage(ctx context.Context, start string, opts LineageOptions) (Graph, error) {
	q := service.LineageRequest{Direction: opts.Direction, Depth: opts.Depth}
	if id, ok := strings.CutPrefix(start, "run:"); ok {
		r, err := c.api.GetRun(ctx, c.entity, c.project, id)
		if err != nil {
			return Graph{}, err
		}
		q.RunID = r.ID
	} else {
		r, err := c.qualify(start)
		if err != nil {
			return Graph{}, err
		}
		q.Version = &r
	}
	return c.api.Lineage(ctx, q)
}

// Diff compares two versions.
func (c *Client) Diff(ctx context.Context, from, to string) (Diff, error) {
	a, err := c.qualify(from)
	if err != nil {
		return Diff{}, err
	}
	b, err := c.qualify(to)
	if err != nil {
		return Diff{}, err
	}
	return c.api.Diff(ctx, a, b)
}

// defaultEntity picks the entity: the option, $TROVE_ENTITY, or the OS user
// name made into a valid name.
func defaultEntity(opt string) (string, error) {
	if e := firstNonEmpty(opt, os.Getenv(EnvEntity)); e != "" {
		if err := core.ValidateEntity(e); err != nil {
			return "", fmt.Errorf("entity: %w", err)
		}
		return e, nil
	}
	name := os.Getenv("USER")
	if u, err := user.Current(); err == nil && u.Username != "" {
		name = u.Username
	}
	if runtime.GOOS == "windows" {
		if _, after, ok := strings.Cut(name, `\`); ok {
			name = after
		}
	}
	b := []byte(name)
	for i, ch := range b {
		if !(ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '.' || ch == '_' || ch == '-') {
			b[i] = '-'
		}
	}
	name = string(b)
	if core.ValidateEntity(name) != nil {
		name = "local"
	}
	return name, nil
}

func firstNonEmpty(ss ...string) string {
	for _, s := range ss {
		if s != "" {
			return s
		}
	}
	return ""
}

// references returns the resolver of reference URIs, made on first use.
// References are resolved and fetched here, by the client, with the
// credentials of its environment; the store only keeps their entries.
func (c *Client) references() *refs.Resolver {
	c.resolverOnce.Do(func() { c.resolver = refs.Default() })
	return c.resolver
}
