package server

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/troveml/trove/internal/core"
)

// ListenConfig says where and how Serve listens.
type ListenConfig struct {
	// Addr is the host:port to listen on; ignored when Listener is set.
	Addr string
	// Listener, when set, is used instead of listening on Addr (so a caller
	// can learn the port of ":0" before serving). Serve closes it.
	Listener net.Listener
	// TLSCert and TLSKey are PEM files; both empty means plain HTTP.
	TLSCert, TLSKey string
	// ShutdownTimeout is how long in-flight requests may take to finish
	// once ctx is done; 0 means DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
}

// DefaultShutdownTimeout is the default of ListenConfig.ShutdownTimeout.
const DefaultShutdownTimeout = 30 * time.Second

// Timeouts of the HTTP server. There is no overall read or write timeout:
// blob bodies stream for as long as they take.
const (
	readHeaderTimeout = 10 * time.Second
	idleTimeout       = 2 * time.Minute
)

// Serve serves srv until ctx is done, then shuts down gracefully: it stops
// accepting connections and lets in-flight requests finish, for up to
// ShutdownTimeout, after which it closes the remaining connections and
// reports that it had to. It returns nil after a clean shutdown.
func Serve(ctx context.Context, srv *Server, cfg ListenConfig) error {
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" || cfg.TLSKey != "" {
		pair, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			if cfg.Listener != nil {
				cfg.Listener.Close()
			}
			return core.Errorf(core.ErrInvalid, "server: TLS certificate and key: %w", err)
		}
		tlsConfig = &tls.Config{Certificates: []tls.Certificate{pair}, MinVersion: tls.VersionTLS12}
	}
	ln := cfg.Listener
	if ln == nil {
		var err error
		if ln, err = net.Listen("tcp", cfg.Addr); err != nil {
			return core.Errorf(core.ErrUnavailable, "server: listen on %s: %w", cfg.Addr, err)
		}
	}
	timeout := cfg.ShutdownTimeout
	if timeout <= 0 {
		timeout = DefaultShutdownTimeout
	}
	hs := &http.Server{
		Handler:           srv.Handler(),
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(srv.log.Handler(), slog.LevelWarn),
		// Requests must outlive ctx: shutting down waits for them instead
		// of cancelling them.
		BaseContext: func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
		TLSConfig:   tlsConfig,
	}
	errc := make(chan error, 1)
	go func() {
		if tlsConfig != nil {
			errc <- hs.ServeTLS(ln, "", "")
		} else {
			errc <- hs.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return core.Errorf(core.ErrUnavailable, "server: %w", err)
	case <-ctx.Done():
	}
	srv.log.Info("shutting down: waiting for in-flight requests", "timeout", timeout.String())
	sctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := hs.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		hs.Close()
		err = core.Errorf(core.ErrUnavailable, "server: in-flight requests still running after %s were cut off", timeout)
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}
