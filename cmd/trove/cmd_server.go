package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove"
	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/meta"
	"github.com/troveml/trove/internal/server"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/web"
)

// serverOptions are the flags of trove server.
type serverOptions struct {
	addr, data, db, blobs string
	tlsCert, tlsKey       string
	encryptionKeyFile     string
	noPresign             bool
	noSync                bool
	logFormat, logLevel   string
	shutdownTimeout       time.Duration
	demo                  bool
	gcInterval            time.Duration
	dbCheckInterval       time.Duration
	pendingTTL            time.Duration
}

func newServerCmd(g *globals) *cobra.Command {
	var o serverOptions
	cmd := &cobra.Command{
		Use:   "server",
		Short: "Serve the store over HTTP: the web UI and the API under /api/v1",
		Long: `Serve a Trove store over HTTP: the web UI, to browse projects, artifacts,
runs and their lineage graphs, and the API, so that SDKs and CLIs elsewhere use
the store with TROVE_URL=http://HOST:PORT and TROVE_API_KEY.

Open http://HOST:PORT in a browser and sign in with an API key: the browser
keeps a session cookie, not the key. With --demo the server fills the store,
as it starts, with the example pipelines of the user admin: projects "mnist"
(a dataset, a training run, its model, an evaluation) and "zoo" (six runs
logging one dataset version, a model trained on it, its evaluation). It does
so once: starting again with --demo changes nothing. To try Trove:

  trove server --demo --data /tmp/trove-demo

then open the address it prints and sign in with the key in
/tmp/trove-demo/admin-api-key.

By default the store is the embedded one in --data (SQLite in DATA/trove.db,
blobs under DATA/blobs). For several replicas behind a load balancer, point
every replica at one PostgreSQL database and one S3-compatible bucket:

  trove server --db postgres://user@db:5432/trove \
    --blobs 's3://bucket?endpoint=http://s3:9000&region=us-east-1'

With S3, clients upload and download blob bytes straight to and from the
bucket through presigned URLs (turn off with --no-presign). Credentials come
from the standard AWS environment variables and files.

With --encryption-key-file KEY, file blobs are encrypted at rest. The store
records whether its blobs are encrypted, and the key's id: a start with
another key or without one is refused, and so is a key for a store that keeps
its blobs in plain. Embedded CLIs and SDKs on the same data directory give the
key with TROVE_ENCRYPTION_KEY_FILE. Trove does not encrypt S3 blobs: use the
bucket's server-side encryption.

Every acknowledged commit is durable: file blobs and the directories that
received them are fsynced, once per commit, before the metadata commit, and
SQLite runs in WAL with synchronous(FULL). For a scratch store, --no-sync (or
TROVE_NO_SYNC=1) skips those syncs: faster, but a power loss may lose the last
commits or their blobs (a crash of the process still loses nothing).

On first start the server creates the site administrator "admin" and writes its
API key to DATA/admin-api-key (mode 0600). Create more users with
  TROVE_URL=http://HOST:PORT TROVE_API_KEY=$(cat DATA/admin-api-key) trove user create NAME

Also served: /healthz, /readyz, /metrics (Prometheus) and the OpenAPI document
at /api/v1/openapi.json. /readyz answers 503 while the metadata database cannot
be reached or is damaged: the server checks it (SQLite: PRAGMA quick_check;
PostgreSQL: its catalog) as it starts, every --db-check-interval, and whenever a
query meets damage.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runServer(cmd.Context(), g, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	f.StringVar(&o.data, "data", "", "data directory (default $TROVE_URL when it is a directory, else ~/.local/share/trove)")
	f.StringVar(&o.db, "db", "", "metadata database: postgres://… or sqlite:///path (default DATA/trove.db)")
	f.StringVar(&o.blobs, "blobs", "", "blob store: s3://bucket?endpoint=…&region=… or file:///dir (default DATA/blobs)")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this certificate (PEM)")
	f.StringVar(&o.tlsKey, "tls-key", "", "the private key of --tls-cert (PEM)")
	f.StringVar(&o.encryptionKeyFile, "encryption-key-file", "", "encrypt file blobs at rest with AES-256-GCM under the 32-byte key in this file (mode 0600; 32 raw bytes or 64 hex digits; default $TROVE_ENCRYPTION_KEY_FILE)")
	f.BoolVar(&o.noPresign, "no-presign", false, "carry blob bytes through the server even when the blob store could presign URLs")
	f.BoolVar(&o.noSync, "no-sync", false, "scratch stores only: skip the fsyncs that make every acknowledged commit survive a power loss (file blobs and their directories, SQLite synchronous FULL); a process crash still loses nothing (default $TROVE_NO_SYNC)")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	nonEmpty(f, "data", "db", "blobs", "tls-cert", "tls-key", "encryption-key-file")
	f.DurationVar(&o.shutdownTimeout, "shutdown-timeout", 30*time.Second, "how long in-flight requests may take to finish on shutdown")
	f.BoolVar(&o.demo, "demo", false, "fill the store with the demo projects admin/mnist and admin/zoo as the server starts (once)")
	f.DurationVar(&o.gcInterval, "gc-interval", time.Hour, "collect garbage (free blobs only deleted versions held) this often; 0 = never (trove gc runs it by hand)")
	f.DurationVar(&o.dbCheckInterval, "db-check-interval", 6*time.Hour, "check the metadata database for damage (SQLite quick_check, PostgreSQL catalog) at start and this often, failing /readyz on damage; 0 = at start only")
	o.pendingTTL = service.DefaultPendingTTL
	f.Var((*ttlValue)(&o.pendingTTL), "pending-ttl", "abandon a distributed artifact nobody upserted to for this long (e.g. 7d), so that GC can free its blobs; 0 = never")
	return cmd
}

// announcer tells the operator what the server is doing as it starts and
// stops: a line "trove: …" on stderr, meant for a person, or with
// --log-format json a log record like every other, so that stderr is JSON
// lines from the first line to the last.
type announcer struct {
	g    *globals
	log  *slog.Logger // JSON records at any level; nil for text lines
	json bool
}

// line says text, or logs msg with attrs as one JSON record.
func (a announcer) line(text, msg string, attrs ...any) {
	if a.json {
		a.log.Info(msg, attrs...)
		return
	}
	fmt.Fprintf(a.g.stderr, "trove: %s\n", text)
}

// serverLogger builds the server's slog logger on stderr.
func serverLogger(g *globals, format, level string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, core.Errorf(core.ErrInvalid, "--log-level %q: want debug, info, warn or error", level)
	}
	ho := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(g.stderr, ho)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(g.stderr, ho)), nil
	}
	return nil, core.Errorf(core.ErrInvalid, "--log-format %q: want text or json", format)
}

// serverDataDir picks the data directory: --data, a directory TROVE_URL
// names, or the default.
func serverDataDir(flag string) (string, error) {
	if flag != "" {
		return filepath.Abs(flag)
	}
	if u := os.Getenv(trove.EnvURL); u != "" && !strings.HasPrefix(u, "http://") && !strings.HasPrefix(u, "https://") {
		return trove.DataDir(u)
	}
	return trove.DefaultDataDir()
}

func runServer(ctx context.Context, g *globals, o serverOptions) error {
	log, err := serverLogger(g, o.logFormat, o.logLevel)
	if err != nil {
		return err
	}
	say := announcer{g: g}
	if o.logFormat == "json" {
		// Announcements show at any --log-level, as the text lines do.
		say.json, say.log = true, slog.New(slog.NewJSONHandler(g.stderr, nil))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return core.Errorf(core.ErrInvalid, "--tls-cert and --tls-key go together")
	}
	data, err := serverDataDir(o.data)
	if err != nil {
		return err
	}
	if err := meta.PrivateDir(data); err != nil {
		return core.Errorf(core.ErrInvalid, "data directory: %w", err)
	}
	if o.db == "" {
		o.db = filepath.Join(data, "trove.db")
	}
	if o.blobs == "" {
		o.blobs = (&url.URL{Scheme: "file", Path: filepath.ToSlash(filepath.Join(data, "blobs"))}).String()
	}
	if !o.noSync {
		if o.noSync, err = trove.NoSyncFromEnv(); err != nil {
			return err
		}
	}
	bopts := blob.Options{NoSync: o.noSync}
	if o.encryptionKeyFile == "" {
		o.encryptionKeyFile = os.Getenv(trove.EnvEncryptionKeyFile)
	}
	if o.encryptionKeyFile != "" {
		if bopts.EncryptionKey, err = blob.LoadKey(o.encryptionKeyFile); err != nil {
			return err
		}
	}

	m, err := meta.OpenWith(ctx, o.db, meta.Options{NoSync: o.noSync})
	if err != nil {
		return err
	}
	defer m.Close()
	// The store records whether its blobs are encrypted and under which
	// key: a server with the wrong key, or none, refuses to start rather
	// than call every blob corrupt or write blobs the others cannot read.
	b, atRest, err := blob.OpenChecked(ctx, o.blobs, bopts, m, "--encryption-key-file")
	if err != nil {
		return err
	}
	defer b.Close()
	if atRest.Plain > 0 {
		log.Warn("blobs stored in plain in an encrypted store (written without the key before stores recorded their key); they read as corrupt, trove verify lists them",
			"count", atRest.Plain)
	}

	pendingTTL := o.pendingTTL
	switch {
	case pendingTTL < 0:
		return core.Errorf(core.ErrInvalid, "--pending-ttl %v: want 0 (never) or more", pendingTTL)
	case pendingTTL == 0:
		pendingTTL = -1 // never (service.Options' 0 is the default)
	}
	svc := service.New(m, b, service.Options{Logger: log, PendingTTL: pendingTTL})
	auth := server.NewAuth(m)
	created, keyFile, err := auth.Accounts().Bootstrap(ctx, data)
	if err != nil {
		return err
	}
	if created {
		say.line(fmt.Sprintf("created user admin; its API key is in %s", keyFile), "created user admin", "user", authz.AdminUser, "key_file", keyFile)
	}
	sopts := server.Options{
		Service: svc,
		Auth:    auth,
		Logger:  log,
		UI:      web.Handler(),
		Ready: func(ctx context.Context) error {
			if err := m.Ping(ctx); err != nil {
				return err
			}
			// The last integrity check's verdict (see WatchIntegrity below).
			if err := m.Health(); err != nil {
				return err
			}
			return b.Ping(ctx)
		},
	}
	if b.CanPresign() && !o.noPresign {
		sopts.Presigner = b
	}
	srv, err := server.New(sopts)
	if err != nil {
		return err
	}
	// Listen before saying so, and say where: with --addr 127.0.0.1:0 the
	// kernel picks the port.
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return core.Errorf(core.ErrUnavailable, "listening on %s: %w", o.addr, err)
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	addr := fmt.Sprintf("%s://%s", scheme, ln.Addr())
	say.line(fmt.Sprintf("serving %s (metadata %s, blobs %s)", addr, redact(o.db), redact(o.blobs)),
		"serving", "url", addr, "metadata", redact(o.db), "blobs", redact(o.blobs))
	signIn, keyAttrs := "", []any{}
	if _, err := os.Stat(keyFile); err == nil {
		signIn, keyAttrs = fmt.Sprintf(" (the admin key is in %s)", keyFile), []any{"admin_key_file", keyFile}
	}
	say.line(fmt.Sprintf("open %s in a browser and sign in with an API key%s", browseURL(scheme, ln.Addr()), signIn),
		"web UI", append([]any{"url", browseURL(scheme, ln.Addr())}, keyAttrs...)...)

	grp, gctx := errgroup.WithContext(ctx)
	grp.Go(func() error {
		return server.Serve(gctx, srv, server.ListenConfig{
			Listener: ln, TLSCert: o.tlsCert, TLSKey: o.tlsKey, ShutdownTimeout: o.shutdownTimeout,
		})
	})
	grp.Go(func() error { return sweepTemp(gctx, b, log) })
	grp.Go(func() error { return sweepExpired(gctx, svc, log) })
	grp.Go(func() error { return srv.CollectGarbage(gctx, o.gcInterval) })
	grp.Go(func() error { return m.WatchIntegrity(gctx, o.dbCheckInterval, log) })
	if o.demo {
		// Seeding goes through a server of its own on the same store, so
		// that its requests stay out of the access log and the metrics;
		// this one serves meanwhile.
		dopts := sopts
		dopts.Logger, dopts.UI = nil, nil
		seeder, err := server.New(dopts)
		if err != nil {
			return err
		}
		grp.Go(func() error {
			n, err := seedServerDemo(gctx, seeder.Handler(), svc, auth.Accounts(), m, log)
			if err != nil {
				if gctx.Err() != nil {
					return nil // shutting down: the cause is reported elsewhere
				}
				return fmt.Errorf("demo data: %w", err)
			}
			say.line(fmt.Sprintf("demo data ready in %[1]s/%[2]s and %[1]s/%[3]s (%[4]s)", authz.AdminUser, demoMnistProject, demoZooProject, runsAdded(n)),
				"demo data ready", "projects", []string{authz.AdminUser + "/" + demoMnistProject, authz.AdminUser + "/" + demoZooProject}, "runs", n)
			return nil
		})
	}
	err = grp.Wait()
	if ctx.Err() != nil {
		// Ctrl-C or SIGTERM: a clean shutdown, not a failure.
		say.line("server stopped", "server stopped")
		return nil
	}
	return err
}

// sweepTemp removes, every hour, temporary blob files that interrupted
// uploads left behind more than a day ago.
func sweepTemp(ctx context.Context, b *blob.Bucket, log *slog.Logger) error {
	t := time.NewTicker(time.Hour)
	defer t.Stop()
	for {
		if n, err := b.CleanTemp(ctx, 24*time.Hour); err != nil && ctx.Err() == nil {
			log.Warn("cleaning temporary blobs", "err", err)
		} else if n > 0 {
			log.Info("removed temporary blobs of interrupted uploads", "count", n)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// browseURL is the address to open in a browser: the listener's, with a
// wildcard host (0.0.0.0, ::) made localhost.
func browseURL(scheme string, addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if ip := net.ParseIP(host); err == nil && ip != nil && ip.IsUnspecified() {
		return scheme + "://" + net.JoinHostPort("localhost", port)
	}
	return scheme + "://" + addr.String()
}

// redact hides a password in a URL before it is printed.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	return u.Redacted()
}
