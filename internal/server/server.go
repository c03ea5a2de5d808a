// Package server serves service.API over HTTP: JSON under /api/v1 (described
// by the OpenAPI document at /api/v1/openapi.json), blob bytes streamed or
// redirected to presigned object-store URLs, account management, and the
// operational endpoints /healthz, /readyz and /metrics.
//
// Handlers return results; one wrapper authenticates, writes the result or
// the error as JSON, and records metrics and the access log.
package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/blob"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// Options configure a Server.
type Options struct {
	// Service is the unrestricted service; each request sees it through
	// Auth.Guard. Required.
	Service service.API
	// Auth authenticates API keys and restricts the service. Required.
	Auth Auth
	// Presigner, when set, moves blob bytes straight between clients and the
	// object store; nil streams them through the server.
	Presigner blob.Presigner
	// PresignTTL is how long presigned URLs stay valid; 0 means
	// DefaultPresignTTL.
	PresignTTL time.Duration
	// Logger receives the access log and errors; nil discards them.
	Logger *slog.Logger
	// Registerer receives the server's metrics; nil means a new registry.
	// /metrics serves it when it is also a prometheus.Gatherer, else the
	// default gatherer.
	Registerer prometheus.Registerer
	// Ready reports whether the server can serve (database and object store
	// reachable, database not damaged), for /readyz, which answers 503 with
	// the error's message otherwise; nil means always ready.
	Ready func(ctx context.Context) error
	// MaxJSONBytes bounds JSON request bodies; 0 means DefaultMaxJSONBytes.
	MaxJSONBytes int64
	// UI, when set, serves everything outside /api/, /healthz, /readyz and
	// /metrics (the web UI).
	UI http.Handler
	// SessionTTL is how long a browser session lasts (see session.go);
	// 0 means authz.DefaultSessionTTL.
	SessionTTL time.Duration
}

// Defaults of Options.
const (
	// DefaultMaxJSONBytes admits manifests of several hundred thousand
	// entries.
	DefaultMaxJSONBytes = 64 << 20
	// DefaultPresignTTL leaves time for a multi-gigabyte transfer on a slow
	// link to start.
	DefaultPresignTTL = time.Hour
)

// maxPresignedPut is the largest blob a client uploads with one presigned
// PUT: S3 refuses single PUTs above 5 GiB, so bigger blobs go through the
// server, whose blob store uploads them in parts.
const maxPresignedPut = 5 << 30

// Server is the HTTP front of a service. It is safe for concurrent use.
type Server struct {
	svc       service.API
	auth      Auth
	presigner blob.Presigner
	ttl       time.Duration
	log       *slog.Logger
	ready     func(ctx context.Context) error
	maxJSON   int64
	metrics   *metrics
	mux       *http.ServeMux
	// sessions is Auth's ability to keep browser sessions, nil without.
	sessions   SessionAuth
	sessionTTL time.Duration
}

// New returns a server for opts.
func New(opts Options) (*Server, error) {
	if opts.Service == nil {
		return nil, core.Errorf(core.ErrInvalid, "server: no service")
	}
	if opts.Auth == nil {
		return nil, core.Errorf(core.ErrInvalid, "server: no authentication")
	}
	s := &Server{
		svc:       opts.Service,
		auth:      opts.Auth,
		presigner: opts.Presigner,
		ttl:       opts.PresignTTL,
		log:       opts.Logger,
		ready:     opts.Ready,
		maxJSON:   opts.MaxJSONBytes,
	}
	if s.ttl <= 0 {
		s.ttl = DefaultPresignTTL
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.maxJSON <= 0 {
		s.maxJSON = DefaultMaxJSONBytes
	}
	s.sessions, _ = opts.Auth.(SessionAuth)
	if s.sessionTTL = opts.SessionTTL; s.sessionTTL <= 0 {
		s.sessionTTL = authz.DefaultSessionTTL
	}
	var err error
	if s.metrics, err = newMetrics(opts.Registerer); err != nil {
		return nil, err
	}
	s.mux = http.NewServeMux()
	for _, rt := range s.routes() {
		s.mux.Handle(rt.pattern(), s.instrument(rt.pattern(), false, rt.blob, s.api(rt)))
	}
	s.mux.Handle("GET /healthz", s.instrument("GET /healthz", true, false, http.HandlerFunc(healthz)))
	s.mux.Handle("GET /readyz", s.instrument("GET /readyz", true, false, http.HandlerFunc(s.readyz)))
	s.mux.Handle("GET /metrics", s.instrument("GET /metrics", true, false, s.metrics.handler()))
	s.mux.Handle("/api/", s.instrument("/api/", false, false, s.api(route{fn: s.noRoute})))
	if opts.UI != nil {
		s.mux.Handle("/", s.instrument("/", true, false, opts.UI))
	}
	return s, nil
}

// Handler returns the server's HTTP handler.
func (s *Server) Handler() http.Handler { return s.mux }

// route is one API endpoint.
type route struct {
	method string
	path   string // a ServeMux path pattern under /api/v1
	public bool   // served without an API key
	blob   bool   // moves blob bytes (counted by the blob byte metrics)
	fn     handlerFunc
}

func (rt route) pattern() string { return rt.method + " " + rt.path }

// handlerFunc handles an API request and returns its result (see respond)
// or an error; it never writes to the response itself.
type handlerFunc func(r *http.Request, c *caller) (any, error)

// caller is the authenticated caller of a request and the service as it may
// see it.
type caller struct {
	p   authz.Principal
	api service.API
}

// Results of a handlerFunc other than a value to write as JSON with 200.
type (
	// noContent answers 204.
	noContent struct{}
	// created answers 201 with v.
	created struct{ v any }
	// redirect answers 307 to a URL outside the API (a presigned URL).
	redirect struct{ url string }
)

// api wraps a route's handler: it authenticates the caller, runs the
// handler and writes its result or error.
func (s *Server) api(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := infoOf(r.Context())
		c := &caller{}
		if !rt.public {
			p, err := s.authenticate(r)
			if err != nil {
				info.status = writeError(w, r, err, info.id)
				info.err = err
				return
			}
			info.user = p.User.Name
			c.p, c.api = p, s.auth.Guard(s.svc, p)
		}
		res, err := rt.fn(r, c)
		if err != nil {
			info.err = err
			info.status = writeError(w, r, err, info.id)
			return
		}
		s.respond(w, r, res)
	})
}

// authenticate returns the caller of r: the owner of its bearer key or,
// for a request without an Authorization header, of its session cookie.
func (s *Server) authenticate(r *http.Request) (authz.Principal, error) {
	if token, ok := s.sessionToken(r); ok && r.Header.Get("Authorization") == "" {
		return s.authenticateSession(r, token)
	}
	key, err := bearerKey(r)
	if err != nil {
		return authz.Principal{}, err
	}
	return s.auth.Authenticate(r.Context(), key)
}

// respond writes a handler's result.
func (s *Server) respond(w http.ResponseWriter, r *http.Request, res any) {
	switch v := res.(type) {
	case noContent:
		w.WriteHeader(http.StatusNoContent)
	case created:
		writeJSON(w, http.StatusCreated, v.v)
	case redirect:
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, v.url, http.StatusTemporaryRedirect)
	case *blobStream:
		s.streamBlob(w, r, v)
	case stream:
		v.serve(s, w, r)
	case withCookie:
		http.SetCookie(w, v.cookie)
		s.respond(w, r, v.res)
	default:
		writeJSON(w, http.StatusOK, v)
	}
}

// noRoute answers requests under /api/ that match no route: 405 when the
// path exists with other methods, else 404.
func (s *Server) noRoute(r *http.Request, _ *caller) (any, error) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pat := s.mux.Handler(probe); pat != "" && pat != "/api/" && pat != "/" {
			allow = append(allow, m)
		}
	}
	if len(allow) > 0 {
		return nil, &methodError{allow: strings.Join(allow, ", ")}
	}
	return nil, core.Errorf(core.ErrNotFound, "no API route %s %s (see /api/v1/openapi.json)", r.Method, r.URL.Path)
}

func healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readyzTimeout bounds the readiness check, so a hung database makes the
// probe fail instead of hang.
const readyzTimeout = 5 * time.Second

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	if s.ready != nil {
		ctx, cancel := context.WithTimeout(r.Context(), readyzTimeout)
		defer cancel()
		if err := s.ready(ctx); err != nil {
			s.log.Warn("not ready", "err", err)
			// Always 503, whatever the reason: a damaged database
			// (code "corrupt") is as much a reason not to send traffic
			// as an unreachable one.
			code := core.Code(core.ErrUnavailable)
			if errors.Is(err, core.ErrCorrupt) {
				code = core.Code(core.ErrCorrupt)
			}
			writeJSON(w, http.StatusServiceUnavailable, wire.ErrorBody{Error: wire.ErrorDetail{Code: code, Message: "not ready: " + err.Error()}})
			return
		}
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// requestInfo is what the access log and the metrics learn about a request
// while it is handled.
type requestInfo struct {
	id      string
	user    string
	status  int   // set when an error was written; else the recorder knows
	err     error // the handler's error
	aborted bool  // the response was cut off midway
}

type infoKey struct{}

func infoOf(ctx context.Context) *requestInfo {
	if i, ok := ctx.Value(infoKey{}).(*requestInfo); ok {
		return i
	}
	return &requestInfo{}
}

// instrument wraps a route's handler with the request id, panic recovery,
// metrics and the access log. Quiet routes (probes, metrics) log successes
// at debug level; blob routes count their bytes.
func (s *Server) instrument(pattern string, quiet, blob bool, h http.Handler) http.Handler {
	m := s.metrics.forRoute(pattern, blob)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		info := &requestInfo{id: requestID(r)}
		w.Header().Set("X-Request-Id", info.id)
		rec := &recorder{ResponseWriter: w}
		// A copy of the request carries the counting body: net/http looks
		// at the original's body type to decide whether to answer an
		// unread "Expect: 100-continue" body by closing the connection
		// rather than reading it.
		r = r.WithContext(context.WithValue(r.Context(), infoKey{}, info))
		var in *countingBody
		if r.Body != nil && r.Body != http.NoBody {
			in = &countingBody{ReadCloser: r.Body}
			r.Body = in
		}
		s.metrics.inFlight.Inc()
		defer func() {
			s.metrics.inFlight.Dec()
			abort := false
			if p := recover(); p != nil {
				abort = p == http.ErrAbortHandler || rec.wrote
				if p != http.ErrAbortHandler {
					info.err = fmt.Errorf("panic: %v", p)
					s.log.Error("panic in handler", "route", pattern, "request_id", info.id, "panic", p, "stack", string(debug.Stack()))
					if !rec.wrote {
						info.status = writeError(rec, r, info.err, info.id)
					}
				}
			}
			status := rec.status
			if info.status != 0 {
				status = info.status
			}
			if status == 0 {
				status = http.StatusOK
			}
			var bytesIn int64
			if in != nil {
				bytesIn = in.n
			}
			d := time.Since(start)
			code := strconv.Itoa(status)
			if abort || info.aborted {
				code = "aborted"
			}
			m.observe(methodLabel(r.Method), code, d, bytesIn, rec.n)
			level := slog.LevelInfo
			switch {
			case code == "aborted" || status >= 500 && status != statusClientClosed:
				level = slog.LevelError
			case quiet && status < 400:
				level = slog.LevelDebug
			}
			attrs := []slog.Attr{
				slog.String("method", r.Method), slog.String("route", pattern), slog.String("path", r.URL.Path),
				slog.String("status", code), slog.Int64("bytes_in", bytesIn), slog.Int64("bytes_out", rec.n),
				slog.Duration("duration", d), slog.String("user", info.user), slog.String("request_id", info.id),
			}
			if info.err != nil {
				attrs = append(attrs, slog.String("err", info.err.Error()))
			}
			s.log.LogAttrs(r.Context(), level, "http request", attrs...)
			if abort {
				// Let net/http drop the connection: the response is cut.
				panic(http.ErrAbortHandler)
			}
		}()
		h.ServeHTTP(rec, r)
	})
}

// methodLabel bounds the method label of the metrics to the methods the API
// knows.
func methodLabel(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return m
	}
	return "other"
}

// requestID returns the caller's X-Request-Id when it looks sane (so a
// request can be followed through a proxy), else a new random one.
func requestID(r *http.Request) string {
	if id := r.Header.Get("X-Request-Id"); id != "" && len(id) <= 64 {
		ok := true
		for i := 0; i < len(id); i++ {
			if c := id[i]; c <= ' ' || c > '~' {
				ok = false
				break
			}
		}
		if ok {
			return id
		}
	}
	var b [8]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// recorder remembers the status and counts the bytes of a response.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
	wrote  bool
}

func (w *recorder) WriteHeader(code int) {
	if !w.wrote && code >= 200 {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *recorder) Write(p []byte) (int, error) {
	if !w.wrote {
		w.status, w.wrote = http.StatusOK, true
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}

// Flush lets streamed responses reach the client without buffering.
func (w *recorder) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// Unwrap gives http.ResponseController the underlying writer.
func (w *recorder) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n += int64(n)
	return n, err
}
