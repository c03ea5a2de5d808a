package refs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// httpScheme resolves http:// and https:// references: always one object,
// identified by its ETag (else its URL) and Content-Length.
type httpScheme struct {
	c *http.Client
}

// NewHTTP returns the http:// and https:// scheme; nil client means
// http.DefaultClient. It is safe for concurrent use.
func NewHTTP(c *http.Client) Scheme {
	if c == nil {
		c = http.DefaultClient
	}
	return &httpScheme{c: c}
}

// checkHTTP refuses what is no fetchable URL, and credentials: Trove stores
// the URI, and nothing secret may be stored.
func checkHTTP(u *url.URL) error {
	switch {
	case !strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https"):
		return core.Errorf(core.ErrInvalid, "reference %.200q: not an http(s) URL", u.Redacted())
	case u.Host == "":
		return core.Errorf(core.ErrInvalid, "reference %.200q: want http(s)://host/path", u.Redacted())
	case u.User != nil:
		return core.Errorf(core.ErrInvalid, "reference %.200q: credentials in the URL would be stored with the artifact; serve it without them", u.Redacted())
	}
	return nil
}

func (h *httpScheme) List(ctx context.Context, u *url.URL, opts Options) ([]Object, error) {
	if err := checkHTTP(u); err != nil {
		return nil, err
	}
	uri := u.String()
	what := "reference " + uri
	resp, err := h.do(ctx, http.MethodHead, uri, nil, what)
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusMethodNotAllowed || resp.StatusCode == http.StatusNotImplemented {
		// A server that refuses HEAD: the headers of a GET, whose body is
		// read only when it is the only way to learn the size.
		if resp, err = h.do(ctx, http.MethodGet, uri, nil, what); err != nil {
			return nil, err
		}
		defer resp.Body.Close()
	}
	if err := statusErr(resp, what); err != nil {
		return nil, err
	}
	etag := resp.Header.Get("ETag")
	size := resp.ContentLength
	if size < 0 {
		// No Content-Length (chunked): count the bytes, streaming.
		if resp.Request.Method != http.MethodGet {
			if resp, err = h.do(ctx, http.MethodGet, uri, nil, what); err != nil {
				return nil, err
			}
			defer resp.Body.Close()
			if err := statusErr(resp, what); err != nil {
				return nil, err
			}
			etag = resp.Header.Get("ETag")
		}
		if size, err = io.Copy(io.Discard, ctxReader{ctx, resp.Body}); err != nil {
			return nil, netErr(err, what)
		}
	}
	o := Object{URI: uri, Size: size, Digest: IdentityDigest("http", uri, etag, strconv.FormatInt(size, 10))}
	if etag != "" {
		o.Extra = map[string]string{"etag": etag}
	}
	return []Object{o}, nil
}

func (h *httpScheme) Open(ctx context.Context, e core.Entry) (io.ReadCloser, error) {
	u, err := url.Parse(e.Ref)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: reference %.200q: %v", e.Path, e.Ref, err)
	}
	if err := checkHTTP(u); err != nil {
		return nil, core.Errorf(core.ErrInvalid, "entry %q: %w", e.Path, err)
	}
	etag := e.Extra["etag"]
	hdr := http.Header{}
	// If-Match compares strongly: a weak ETag never matches, so it is
	// checked on the response instead.
	if etag != "" && !strings.HasPrefix(etag, "W/") {
		hdr.Set("If-Match", etag)
	}
	what := fmt.Sprintf("entry %q: reference %s", e.Path, e.Ref)
	resp, err := h.do(ctx, http.MethodGet, e.Ref, hdr, what)
	if err != nil {
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		resp.Body.Close()
		return nil, err
	}
	if e.Digest == URIDigest(e.Ref) {
		// Logged without checksums: no ETag to hold it to, but the
		// recorded size still bounds what is read.
		if err := statusErr(resp, what); err != nil {
			return fail(err)
		}
		if resp.ContentLength >= 0 && resp.ContentLength != e.Size {
			return fail(changed(e, "its size is %d bytes, %d when it was logged", resp.ContentLength, e.Size))
		}
		return &verifier{rc: resp.Body, e: e}, nil
	}
	switch got := resp.Header.Get("ETag"); {
	case resp.StatusCode == http.StatusPreconditionFailed:
		return fail(changed(e, "the server no longer has ETag %s", etag))
	case resp.StatusCode/100 != 2:
		return fail(statusErr(resp, what))
	case etag != "" && got != etag:
		if got == "" {
			got = "none"
		}
		return fail(changed(e, "its ETag is %s, %s when it was logged", got, etag))
	case resp.ContentLength >= 0 && resp.ContentLength != e.Size:
		return fail(changed(e, "its size is %d bytes, %d when it was logged", resp.ContentLength, e.Size))
	}
	return &verifier{rc: resp.Body, e: e}, nil
}

// do sends one request; what names it in errors. Asking for the identity encoding keeps the
// transport from decompressing: sizes are those of the bytes served.
func (h *httpScheme) do(ctx context.Context, method, uri string, hdr http.Header, what string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, uri, nil)
	if err != nil {
		return nil, core.Errorf(core.ErrInvalid, "%s: %v", what, err)
	}
	for k, v := range hdr {
		req.Header[k] = v
	}
	req.Header.Set("Accept-Encoding", "identity")
	resp, err := h.c.Do(req)
	if err != nil {
		return nil, netErr(err, what)
	}
	return resp, nil
}

// statusErr is nil for a 2xx response, else an error of the status's kind.
func statusErr(resp *http.Response, what string) error {
	kind := core.ErrUnavailable
	switch c := resp.StatusCode; {
	case c/100 == 2:
		return nil
	case c == http.StatusNotFound || c == http.StatusGone:
		kind = core.ErrNotFound
	case c == http.StatusUnauthorized || c == http.StatusForbidden:
		kind = core.ErrPermission
	case c/100 == 4:
		kind = core.ErrInvalid
	}
	return core.Errorf(kind, "%s: the server answered %s", what, resp.Status)
}

// netErr gives a transport error its kind; cancellation stays as it is.
func netErr(err error, what string) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return core.Errorf(core.ErrUnavailable, "%s: %w", what, err)
}
