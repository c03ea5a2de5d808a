// Package client implements service.API, and account management, against a
// Trove server over HTTP. Errors keep their kinds across the wire, so
// errors.Is(err, core.ErrNotFound) works as it does in-process; requests are
// retried through restarts and failovers of the server as far as they can be
// without doing anything twice; blob bytes are streamed, never held whole,
// and verified on the way down.
package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// Options configure a Client.
type Options struct {
	// APIKey is sent as Authorization: Bearer on every API request.
	APIKey string
	// HTTPClient carries the requests; nil means a client tuned for many
	// parallel transfers to one server. Its redirect policy is not used:
	// the Client follows redirects itself.
	HTTPClient *http.Client
	// Logger receives debug messages about retries; nil discards them.
	Logger *slog.Logger
	// RetryFor is how long a request is retried while the server is
	// unreachable or answers 502, 503 or 504; 0 means DefaultRetryFor, a
	// negative value disables retries. A server that cannot be reached
	// before it has answered once is not waited for: the request fails at
	// once, since a wrong URL or a server that is not running will not
	// come right by itself.
	RetryFor time.Duration
	// Notify, when set, is told in one line meant for a person when
	// requests start being retried because the server became unreachable
	// (once per outage, not per request) and when it answers again. Nil
	// keeps the client silent; the CLI prints the lines on stderr. It may
	// be called from several goroutines.
	Notify func(msg string)
}

// DefaultRetryFor rides through a server restart or a replica failover.
const DefaultRetryFor = 60 * time.Second

// Backoff between retries: exponential from minBackoff, capped at
// maxBackoff, with jitter so that many clients do not retry in lockstep.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 5 * time.Second
)

// Client talks to one Trove server. It is safe for concurrent use.
type Client struct {
	base     *url.URL // the server, without trailing slash
	key      string
	hc       *http.Client // API requests: redirects are not followed
	own      *http.Transport
	log      *slog.Logger
	retryFor time.Duration
	notify   func(msg string) // never nil

	// answered is set once the server has answered a request: from then on
	// a failure to connect is an outage worth riding through.
	answered atomic.Bool
	// outage is set while requests are retried because the server cannot
	// be reached, so Notify hears of an outage once.
	outage atomic.Bool

	// presign is -1 once the server said it never hands out presigned
	// uploads; blobs then go straight to it without asking where.
	presign atomic.Int32
}

var _ service.API = (*Client)(nil)

// New returns a client of the server at baseURL (http://host:port, maybe
// with a path prefix). It does not contact the server.
func New(baseURL string, opts Options) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, core.Errorf(core.ErrInvalid, "server URL %q: want http(s)://host[:port]", baseURL)
	}
	u.RawQuery, u.Fragment = "", ""
	c := &Client{base: u, key: opts.APIKey, log: opts.Logger, retryFor: opts.RetryFor, notify: opts.Notify}
	if c.notify == nil {
		c.notify = func(string) {}
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.retryFor == 0 {
		c.retryFor = DefaultRetryFor
	}
	var hc http.Client
	if opts.HTTPClient != nil {
		hc = *opts.HTTPClient
	} else {
		c.own = newTransport()
		hc.Transport = c.own
	}
	hc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	c.hc = &hc
	return c, nil
}

// newTransport is http.DefaultTransport tuned for a client that uploads and
// downloads many blobs in parallel to one server (or object store).
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialContext = (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 15 * time.Second}).DialContext
	t.MaxIdleConns = 256
	t.MaxIdleConnsPerHost = 64
	t.IdleConnTimeout = 90 * time.Second
	// Blob uploads to the server ask before sending their body, so a blob
	// the server already has is not sent at all.
	t.ExpectContinueTimeout = 2 * time.Second
	return t
}

// Close releases idle connections.
func (c *Client) Close() error {
	if c.own != nil {
		c.own.CloseIdleConnections()
	} else {
		c.hc.CloseIdleConnections()
	}
	return nil
}

// URL returns the server's base URL.
func (c *Client) URL() string { return c.base.String() }

// retry says when a request may be sent again.
type retry int

const (
	// retryUnsent: only when nothing of the request reached the server.
	retryUnsent retry = iota
	// retryIdempotent: also after a broken connection and on 502/503/504,
	// because doing it twice is harmless.
	retryIdempotent
)

// call is one API request.
type call struct {
	method string
	path   string // under the base URL, already escaped (see pathf)
	query  url.Values
	body   any // encoded as the JSON body when not nil
	retry  retry
	out    any // the JSON answer is decoded into it when not nil
	// retried, when not nil, is set when the request was sent more than
	// once (so a conflict may be the first try's doing).
	retried *bool
	// status, when not nil, is set to the status of a successful answer.
	status *int
}

// do sends an API call, retrying as its retry mode allows, and decodes the
// answer or the error.
func (c *Client) do(ctx context.Context, cl call) error {
	var body []byte
	if cl.body != nil {
		var err error
		if body, err = json.Marshal(cl.body); err != nil {
			return core.Errorf(core.ErrInvalid, "encoding the request: %w", err)
		}
	}
	attempts := 0
	newReq := func(ctx context.Context) (*http.Request, error) {
		attempts++
		var r io.Reader
		if body != nil {
			r = bytes.NewReader(body)
		}
		req, err := c.newRequest(ctx, cl.method, cl.path, cl.query, r)
		if err == nil && body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
	defer func() {
		if cl.retried != nil {
			*cl.retried = attempts > 1
		}
	}()
	for broken := 0; ; broken++ {
		resp, err := c.send(ctx, cl.retry, newReq)
		if err != nil {
			return err
		}
		if resp.StatusCode >= 300 {
			defer drain(resp.Body)
			return c.responseError(resp)
		}
		// The answer is read whole before it is decoded (as the decoder
		// would anyway), so that an answer cut off by a dying server can
		// be asked for again.
		if cl.status != nil {
			*cl.status = resp.StatusCode
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			err = core.Errorf(core.ErrUnavailable, "%s %s: reading the answer of %s: %w", cl.method, cl.path, c.base.Redacted(), err)
			if cl.retry != retryIdempotent || broken == maxResumes || ctx.Err() != nil {
				return err
			}
			c.log.Debug("retrying", "method", cl.method, "path", cl.path, "reason", err)
			continue
		}
		if cl.out == nil || resp.StatusCode == http.StatusNoContent {
			return nil
		}
		if err := json.Unmarshal(b, cl.out); err != nil {
			return fmt.Errorf("%s %s: decoding the answer of %s: %w", cl.method, cl.path, c.base.Redacted(), err)
		}
		return nil
	}
}

// newRequest builds an API request with the API key.
func (c *Client) newRequest(ctx context.Context, method, path string, query url.Values, body io.Reader) (*http.Request, error) {
	u := c.base.String() + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "%s %s: %w", method, path, err)
	}
	if c.key != "" {
		req.Header.Set("Authorization", "Bearer "+c.key)
	}
	req.Header.Set("Accept", "application/json")
	return req, nil
}

// errNoReplay is returned by a request builder that cannot build its request
// again (a streamed body that was partly sent and cannot be rewound).
var errNoReplay = errors.New("the request body cannot be sent again")

// send sends the request newReq builds, retrying with backoff for up to
// RetryFor while the server cannot be reached and, for idempotent requests,
// while the connection breaks or the server answers 502, 503 or 504. Before
// the server has answered once, a failure to connect is returned at once.
// The caller closes the response body.
func (c *Client) send(ctx context.Context, mode retry, newReq func(ctx context.Context) (*http.Request, error)) (*http.Response, error) {
	var (
		deadline time.Time
		lastErr  error // of the previous attempt
	)
	for attempt := 0; ; attempt++ {
		req, err := newReq(ctx)
		if errors.Is(err, errNoReplay) && lastErr != nil {
			return nil, lastErr
		}
		if err != nil {
			return nil, err
		}
		var sent atomic.Bool
		trace := &httptrace.ClientTrace{
			// The transport may try several connections; only the last
			// one counts.
			GetConn:      func(string) { sent.Store(false) },
			WroteHeaders: func() { sent.Store(true) },
		}
		resp, err := c.hc.Do(req.WithContext(httptrace.WithClientTrace(req.Context(), trace)))
		var why string
		switch {
		case err != nil && ctx.Err() != nil:
			return nil, ctx.Err()
		case err != nil:
			lastErr = c.transportError(req, err)
			if core.KindOf(lastErr) == core.ErrUnavailable && (!sent.Load() || mode == retryIdempotent) && !permanent(err) && c.answered.Load() {
				why = cause(err)
			}
		case mode == retryIdempotent && retryableStatus(resp.StatusCode):
			c.answered.Store(true)
			why = resp.Status
			lastErr = statusError(resp.StatusCode, fmt.Sprintf("%s %s: %s from %s", req.Method, req.URL.Redacted(), resp.Status, req.URL.Host))
		default:
			c.answered.Store(true)
			if c.outage.CompareAndSwap(true, false) {
				c.notify(fmt.Sprintf("server %s answers again", c.base.Redacted()))
			}
			return resp, nil
		}
		if attempt == 0 {
			deadline = time.Now().Add(c.retryFor)
		}
		wait := backoff(attempt)
		if why == "" || c.retryFor < 0 || time.Now().Add(wait).After(deadline) {
			if err == nil {
				return resp, nil // the caller turns the status into an error
			}
			if attempt > 0 && why != "" {
				return nil, &core.Error{Kind: core.ErrUnavailable, Msg: fmt.Sprintf("%s; gave up after retrying for %s", lastErr, seconds(c.retryFor)), Err: lastErr}
			}
			return nil, lastErr
		}
		if resp != nil {
			drain(resp.Body)
		}
		// A request broken off in flight is often a connection the server
		// dropped, not the server going away: only a retry of it that
		// fails too, a failure to connect or a 502/503/504 count as an
		// outage.
		if (attempt > 0 || err == nil || !sent.Load()) && c.outage.CompareAndSwap(false, true) {
			state := "unreachable"
			if err == nil {
				state = "unavailable"
			}
			c.notify(fmt.Sprintf("server %s %s (%s); retrying for up to %s…", c.base.Redacted(), state, why, seconds(c.retryFor)))
		}
		c.log.Debug("retrying", "method", req.Method, "url", req.URL.Redacted(), "attempt", attempt+1, "reason", why, "wait", wait)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
	}
}

// seconds prints a duration as people read a timeout: "60s", not "1m0s".
func seconds(d time.Duration) string {
	if d%time.Second == 0 {
		return fmt.Sprintf("%ds", d/time.Second)
	}
	return d.String()
}

// cause says in a few words why a request failed on the network:
// "connection refused", "no such host", "no route to host"…
func cause(err error) string {
	var dns *net.DNSError
	switch {
	case errors.As(err, &dns) && dns.IsNotFound:
		return "no such host " + dns.Name
	case errors.As(err, &dns):
		return "cannot resolve " + dns.Name + ": " + dns.Err
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.EHOSTUNREACH):
		return "no route to host"
	case errors.Is(err, syscall.ENETUNREACH):
		return "network is unreachable"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection reset"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "connection closed"
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return "timed out"
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}

// permanent reports whether a transport error will not go away by trying
// again (the server's certificate is not trusted).
func permanent(err error) bool {
	var cv *tls.CertificateVerificationError
	var ua x509.UnknownAuthorityError
	var hn x509.HostnameError
	return errors.As(err, &cv) || errors.As(err, &ua) || errors.As(err, &hn)
}

// retryableStatus reports whether a status means the server (or the proxy in
// front of it) is temporarily unable to answer.
func retryableStatus(code int) bool {
	return code == http.StatusBadGateway || code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout
}

// backoff returns the wait before retry attempt+1: exponential with jitter
// in [d/2, d).
func backoff(attempt int) time.Duration {
	d := maxBackoff
	if attempt < 16 {
		d = min(maxBackoff, minBackoff<<attempt)
	}
	return d/2 + rand.N(d/2)
}

// transportError makes a failed request core.ErrUnavailable, naming the
// server, unless it failed for a reason of its own (a body that did not
// match its declared size).
func (c *Client) transportError(req *http.Request, err error) error {
	var k *core.Error
	if errors.As(err, &k) {
		return k
	}
	host := c.base.Redacted()
	if req.URL.Host != c.base.Host {
		host = req.URL.Scheme + "://" + req.URL.Host // a presigned object-store URL
	}
	return &core.Error{Kind: core.ErrUnavailable, Msg: fmt.Sprintf("server %s unreachable: %s (%s %s)", host, cause(err), req.Method, req.URL.Path), Err: err}
}

// maxErrorBody bounds how much of an error answer is read.
const maxErrorBody = 1 << 20

// responseError rebuilds the error an answer carries, with its kind, so that
// errors.Is works as it does in-process. Answers that are not Trove's (a
// proxy's 502 page) get a kind from their status.
func (c *Client) responseError(resp *http.Response) error {
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var eb wire.ErrorBody
	if json.Unmarshal(b, &eb) == nil && eb.Error.Code != "" {
		if kind := core.KindFromCode(eb.Error.Code); kind != nil {
			return &core.Error{Kind: kind, Msg: eb.Error.Message}
		}
		return fmt.Errorf("trove server %s: %s", c.base.Redacted(), eb.Error.Message)
	}
	return statusError(resp.StatusCode, fmt.Sprintf("%s %s: %s from %s", resp.Request.Method, resp.Request.URL.Redacted(), resp.Status, resp.Request.URL.Host))
}

// statusError gives an answer without a Trove error body a kind by its
// status.
func statusError(code int, msg string) error {
	var kind error
	switch code {
	case http.StatusBadRequest:
		kind = core.ErrInvalid
	case http.StatusUnauthorized:
		kind = core.ErrUnauthenticated
	case http.StatusForbidden:
		kind = core.ErrPermission
	case http.StatusNotFound:
		kind = core.ErrNotFound
	case http.StatusConflict:
		kind = core.ErrConflict
	case http.StatusRequestEntityTooLarge:
		kind = core.ErrTooLarge
	case http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusInsufficientStorage:
		kind = core.ErrUnavailable
	default:
		return errors.New(msg)
	}
	return &core.Error{Kind: kind, Msg: msg}
}

// drain reads what is left of a small body and closes it, so the connection
// can be reused.
func drain(rc io.ReadCloser) {
	io.Copy(io.Discard, io.LimitReader(rc, 64<<10))
	rc.Close()
}

// pathf builds an API path: each argument is one path segment, escaped so
// that any name (even "..", or one with '/') stays one segment and reaches
// the server unchanged. An empty segment cannot be expressed and is
// core.ErrInvalid, named by what.
func pathf(format string, segs ...seg) (string, error) {
	args := make([]any, len(segs))
	for i, s := range segs {
		if s.v == "" {
			return "", core.Errorf(core.ErrInvalid, "%s is empty", s.what)
		}
		e := url.PathEscape(s.v)
		if e == "." || e == ".." {
			// A dot segment would be cleaned away by the server's router.
			e = strings.ReplaceAll(e, ".", "%2E")
		}
		args[i] = e
	}
	return fmt.Sprintf(format, args...), nil
}

// seg is a path segment and what it names, for the error when it is empty.
type seg struct{ what, v string }
