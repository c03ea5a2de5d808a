package refs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"github.com/troveml/trove/internal/core"
)

// httpScheme resolves http:// and https:// references: always one object,
// identified by its ETag (else its Last-Modified time, else its URL alone)
// and Content-Length.
//
// An answer with neither ETag nor Last-Modified cannot be pinned: a later
// change of the same size goes unnoticed (see Pinned). An HTML answer to a
// URL that does not name an HTML file is refused unless Options.AllowHTML:
// it is most likely a directory listing or a login page, not the data.
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
	if err := checkHTML(resp, u, opts, what); err != nil {
		return nil, err
	}
	etag := resp.Header.Get("ETag")
	lastMod := lastModified(resp)
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
			etag, lastMod = resp.Header.Get("ETag"), lastModified(resp)
		}
		if size, err = io.Copy(io.Discard, ctxReader{ctx, resp.Body}); err != nil {
			return nil, netErr(err, what)
		}
	}
	o := Object{URI: uri, Size: size}
	switch {
	case etag != "":
		o.Digest = IdentityDigest("http", uri, etag, strconv.FormatInt(size, 10))
		o.Extra = map[string]string{"etag": etag}
	case lastMod != "":
		o.Digest = IdentityDigest("http", uri, "", strconv.FormatInt(size, 10), "last-modified", lastMod)
		o.Extra = map[string]string{"last_modified": lastMod}
	default:
		o.Digest = IdentityDigest("http", uri, "", strconv.FormatInt(size, 10))
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
	etag, lastMod := e.Extra["etag"], e.Extra["last_modified"]
	hdr := http.Header{}
	// If-Match compares strongly: a weak ETag never matches, so it is
	// checked on the response instead.
	if etag != "" && !strings.HasPrefix(etag, "W/") {
		hdr.Set("If-Match", etag)
	}
	if etag == "" && lastMod != "" {
		hdr.Set("If-Unmodified-Since", lastMod)
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
	case resp.StatusCode == http.StatusPreconditionFailed && etag == "" && lastMod != "":
		return fail(changed(e, "it was modified after %s", lastMod))
	case resp.StatusCode == http.StatusPreconditionFailed:
		return fail(changed(e, "the server no longer has ETag %s", etag))
	case resp.StatusCode/100 != 2:
		return fail(statusErr(resp, what))
	case etag != "" && got != etag:
		if got == "" {
			got = "none"
		}
		return fail(changed(e, "its ETag is %s, %s when it was logged", got, etag))
	case etag == "" && lastMod != "" && lastModified(resp) != lastMod:
		got := lastModified(resp)
		if got == "" {
			got = "none"
		}
		return fail(changed(e, "its Last-Modified is %s, %s when it was logged", got, lastMod))
	case resp.ContentLength >= 0 && resp.ContentLength != e.Size:
		return fail(changed(e, "its size is %d bytes, %d when it was logged", resp.ContentLength, e.Size))
	}
	return &verifier{rc: resp.Body, e: e}, nil
}

// Pinned reports whether a downloaded reference entry can be checked to be
// the object that was logged: false for an http(s) reference logged with
// checksums whose server sent neither ETag nor Last-Modified, where only
// the size is checked. Logging such a reference is allowed, with a warning.
func Pinned(e core.Entry) bool {
	u, err := url.Parse(e.Ref)
	if err != nil || (!strings.EqualFold(u.Scheme, "http") && !strings.EqualFold(u.Scheme, "https")) {
		return true
	}
	if e.Digest == URIDigest(e.Ref) {
		return true // logged without checksums: nothing was meant to be pinned
	}
	return e.Extra["etag"] != "" || e.Extra["last_modified"] != ""
}

// lastModified is resp's Last-Modified header when it holds a valid HTTP
// date, normalised to the IMF-fixdate form, else "".
func lastModified(resp *http.Response) string {
	v := resp.Header.Get("Last-Modified")
	if v == "" {
		return ""
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return ""
	}
	return t.UTC().Format(http.TimeFormat)
}

// htmlNames are the extensions of URLs that name an HTML file on purpose.
var htmlNames = []string{".html", ".htm", ".xhtml", ".shtml"}

// checkHTML refuses an HTML answer to a URL that does not name an HTML
// file: a directory listing (http://host/data/), an index or login page is
// almost always a mistaken reference to the files behind it. opts.AllowHTML
// takes it anyway.
func checkHTML(resp *http.Response, u *url.URL, opts Options, what string) error {
	if opts.AllowHTML {
		return nil
	}
	ct := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Type")))
	if !strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(ct, "application/xhtml+xml") {
		return nil
	}
	base := strings.ToLower(path.Base(u.Path))
	for _, ext := range htmlNames {
		if strings.HasSuffix(base, ext) {
			return nil
		}
	}
	return core.Errorf(core.ErrInvalid, "%s: the server answered with an HTML page (%s), most likely a directory listing or a login page, not the data; reference each file instead, or allow the page (--allow-html; AllowHTML() in Go; allow_html=True in Python)", what, resp.Header.Get("Content-Type"))
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
