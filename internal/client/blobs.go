package client

import (
	"bytes"
	"context"
	"errors"
	"hash"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/wire"
)

// Blob transfers. Bytes are streamed, never held whole: uploads go to a
// presigned object-store URL or to the server, downloads come from either,
// are verified against their digest while they stream, and resume where
// they broke off.

// offsetHeader tells at which byte of the blob a download's body starts.
const offsetHeader = "Trove-Blob-Offset"

func blobPath(d core.Digest, rest string) (string, error) {
	if d.IsZero() {
		return "", core.Errorf(core.ErrInvalid, "blob digest is empty")
	}
	return "/api/v1/blobs/" + d.String() + rest, nil
}

// PutBlob implements service.API. It asks the server where to send the
// bytes — nowhere when the blob is stored, else a presigned object-store
// URL or the server itself — and streams them there. The upload is retried
// like an idempotent request (a blob is stored under its digest once,
// however often it is sent) when r can be rewound (an io.Seeker) or nothing
// of it was read yet.
func (c *Client) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	p, err := blobPath(d, "")
	if err != nil {
		return err
	}
	src, err := newBodySource(r, size)
	if err != nil {
		return err
	}
	if size >= 0 && c.presign.Load() >= 0 {
		var t wire.UploadTarget
		up, _ := blobPath(d, "/upload")
		if err := c.do(ctx, call{method: http.MethodPost, path: up, body: wire.UploadRequest{Size: size}, retry: retryIdempotent, out: &t}); err != nil {
			return err
		}
		switch {
		case t.Stored:
			return nil
		case t.URL != "":
			return c.putPresigned(ctx, d, src, t)
		case !t.Presigns:
			// This server never presigns: from now on, send blobs
			// straight to it without asking.
			c.presign.Store(-1)
		}
	}
	resp, err := c.send(ctx, retryIdempotent, func(ctx context.Context) (*http.Request, error) {
		body, err := src.next(ctx)
		if err != nil {
			return nil, err
		}
		req, err := c.newRequest(ctx, http.MethodPut, p, nil, body)
		if err != nil {
			return nil, err
		}
		src.prepare(req)
		// The server answers before reading the body when it has the
		// blob already, and the body is then not sent at all.
		if size != 0 {
			req.Header.Set("Expect", "100-continue")
		}
		return req, nil
	})
	if err := src.failed(err); err != nil {
		return err
	}
	defer drain(resp.Body)
	if resp.StatusCode >= 300 {
		return c.responseError(resp)
	}
	return nil
}

// putPresigned uploads a blob to a presigned object-store URL, without the
// API key.
func (c *Client) putPresigned(ctx context.Context, d core.Digest, src *bodySource, t wire.UploadTarget) error {
	resp, err := c.send(ctx, retryIdempotent, func(ctx context.Context) (*http.Request, error) {
		body, err := src.next(ctx)
		if err != nil {
			return nil, err
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, t.URL, body)
		if err != nil {
			return nil, core.Errorf(core.ErrInvalid, "presigned upload URL: %w", err)
		}
		for k, vs := range t.Headers {
			req.Header[http.CanonicalHeaderKey(k)] = vs
		}
		src.prepare(req)
		return req, nil
	})
	if err := src.failed(err); err != nil {
		return err
	}
	defer drain(resp.Body)
	if resp.StatusCode < 300 {
		return nil
	}
	b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	msg := "upload of blob " + d.String() + " to the object store: " + resp.Status + ": " + strings.TrimSpace(string(b))
	if resp.StatusCode == http.StatusBadRequest && (bytes.Contains(b, []byte("Digest")) || bytes.Contains(b, []byte("Checksum"))) {
		return core.Errorf(core.ErrCorrupt, "%s", msg)
	}
	return statusError(resp.StatusCode, msg)
}

// bodySource hands out the body of each attempt of an upload: the reader
// itself the first time, then the reader rewound, when it can be.
type bodySource struct {
	r      io.Reader
	size   int64
	seeker io.Seeker
	start  int64        // position of seeker when the upload began
	last   *attemptBody // the previous attempt's body

	mu  sync.Mutex
	err error // a size mismatch found while reading
}

func newBodySource(r io.Reader, size int64) (*bodySource, error) {
	s := &bodySource{r: r, size: size}
	if sk, ok := r.(io.Seeker); ok {
		if pos, err := sk.Seek(0, io.SeekCurrent); err == nil {
			s.seeker, s.start = sk, pos
		}
	}
	if size == 0 {
		// An empty body is sent as none; make sure it is empty.
		var one [1]byte
		if n, _ := io.ReadFull(r, one[:]); n > 0 {
			return nil, core.Errorf(core.ErrCorrupt, "blob is longer than the declared 0 bytes")
		}
	}
	return s, nil
}

// next returns the body of the next attempt, or errNoReplay.
func (s *bodySource) next(ctx context.Context) (io.Reader, error) {
	if s.size == 0 {
		return http.NoBody, nil
	}
	if prev := s.last; prev != nil {
		if !prev.retire() {
			if s.seeker == nil {
				return nil, errNoReplay
			}
			// The transport closes a failed attempt's body, perhaps in the
			// background; it must be done reading before the reader is
			// rewound.
			select {
			case <-prev.done:
			case <-ctx.Done():
				return nil, ctx.Err()
			}
			if _, err := s.seeker.Seek(s.start, io.SeekStart); err != nil {
				return nil, errNoReplay
			}
		}
	}
	s.last = &attemptBody{src: s, left: s.size, done: make(chan struct{})}
	return s.last, nil
}

// prepare sets the request's declared length.
func (s *bodySource) prepare(req *http.Request) {
	if s.size > 0 {
		req.ContentLength = s.size
	} else if s.size < 0 {
		req.ContentLength = -1
	}
}

// mismatch records that the reader did not have the declared size.
func (s *bodySource) mismatch(format string, args ...any) error {
	err := core.Errorf(core.ErrCorrupt, format, args...)
	s.mu.Lock()
	s.err = err
	s.mu.Unlock()
	return err
}

// failed turns the error of a failed upload into the one to return: a body
// that did not have its declared size is the caller's error, not the
// network's.
func (s *bodySource) failed(err error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return s.err
	}
	return err
}

// attemptBody is one attempt's view of the upload's reader. It enforces the
// declared size, so that a short or long reader fails the upload before the
// server could accept a wrong body. The transport reads it from one
// goroutine and may close it from another.
type attemptBody struct {
	src  *bodySource
	left int64 // bytes still expected; negative when the size is unknown

	mu      sync.Mutex
	n       int64 // bytes read
	reading bool
	closed  bool
	done    chan struct{} // closed once closed and no read is in progress
	once    sync.Once
}

func (b *attemptBody) Read(p []byte) (int, error) {
	b.mu.Lock()
	if b.closed {
		b.mu.Unlock()
		return 0, errors.New("read after close")
	}
	b.reading = true
	b.mu.Unlock()
	n, err := b.read(p)
	b.mu.Lock()
	b.n += int64(n)
	b.reading = false
	if b.closed {
		b.once.Do(func() { close(b.done) })
	}
	b.mu.Unlock()
	return n, err
}

func (b *attemptBody) read(p []byte) (int, error) {
	if b.left < 0 {
		return b.src.r.Read(p)
	}
	if b.left == 0 {
		return 0, b.atEnd()
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.src.r.Read(p)
	b.left -= int64(n)
	switch {
	case b.left == 0:
		// Check for excess bytes before handing out the last ones, so the
		// server never receives a complete body of the wrong blob.
		if err := b.atEnd(); err != io.EOF {
			return 0, err
		}
		return n, nil
	case err == io.EOF:
		return n, b.src.mismatch("blob is shorter (%d bytes) than the declared %d bytes", b.src.size-b.left, b.src.size)
	}
	return n, err
}

// atEnd is called when the declared size was read: io.EOF if the reader is
// exhausted too, else a size mismatch.
func (b *attemptBody) atEnd() error {
	var one [1]byte
	for {
		n, err := b.src.r.Read(one[:])
		if n > 0 {
			return b.src.mismatch("blob is longer than the declared %d bytes", b.src.size)
		}
		if err != nil {
			return err
		}
	}
}

func (b *attemptBody) Close() error {
	b.mu.Lock()
	b.closed = true
	if !b.reading {
		b.once.Do(func() { close(b.done) })
	}
	b.mu.Unlock()
	return nil
}

// retire ends an attempt, for the next one to take over the reader. It
// reports whether the attempt read nothing, so the reader needs no
// rewinding.
func (b *attemptBody) retire() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.n == 0 && !b.reading {
		b.closed = true
		b.once.Do(func() { close(b.done) })
		return true
	}
	return false
}

// GetBlob implements service.API. The reader verifies the bytes against d
// as they stream and returns core.ErrCorrupt instead of io.EOF when they do
// not match; a download that breaks off resumes where it stopped.
func (c *Client) GetBlob(ctx context.Context, d core.Digest) (io.ReadCloser, error) {
	if _, err := blobPath(d, ""); err != nil {
		return nil, err
	}
	br := &blobReader{c: c, ctx: ctx, d: d, h: core.NewHash()}
	if err := br.open(); err != nil {
		return nil, err
	}
	return br, nil
}

// maxResumes bounds how often a download resumes without making progress.
const maxResumes = 5

// blobReader is a verified, resuming download.
type blobReader struct {
	c       *Client
	ctx     context.Context
	d       core.Digest
	h       hash.Hash
	n       int64 // bytes read and hashed
	body    io.ReadCloser
	resumes int   // resumes since the last progress
	err     error // sticky: io.EOF once verified, or the failure
}

// open requests the blob from byte br.n on.
func (br *blobReader) open() error {
	c := br.c
	p, _ := blobPath(br.d, "")
	resp, err := c.send(br.ctx, retryIdempotent, func(ctx context.Context) (*http.Request, error) {
		var q url.Values
		if br.n > 0 {
			q = url.Values{"offset": {strconv.FormatInt(br.n, 10)}}
		}
		return c.newRequest(ctx, http.MethodGet, p, q, nil)
	})
	if err != nil {
		return err
	}
	var start int64
	switch {
	case resp.StatusCode == http.StatusTemporaryRedirect:
		loc, err := resp.Location()
		drain(resp.Body)
		if err != nil {
			return core.Errorf(core.ErrUnavailable, "blob %s: bad redirect from %s: %w", br.d, c.base.Redacted(), err)
		}
		// A new request, not a followed redirect: the object store must
		// not see the API key, whatever its host.
		if resp, err = c.send(br.ctx, retryIdempotent, func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, loc.String(), nil)
			if err == nil && br.n > 0 {
				req.Header.Set("Range", "bytes="+strconv.FormatInt(br.n, 10)+"-")
			}
			return req, err
		}); err != nil {
			return err
		}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusPartialContent:
			start = br.n
		default:
			b, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
			drain(resp.Body)
			return statusError(resp.StatusCode, "download of blob "+br.d.String()+" from the object store: "+resp.Status+": "+strings.TrimSpace(string(b)))
		}
	case resp.StatusCode == http.StatusOK:
		if v := resp.Header.Get(offsetHeader); v != "" {
			start, _ = strconv.ParseInt(v, 10, 64)
		}
	default:
		defer drain(resp.Body)
		return c.responseError(resp)
	}
	if start > br.n || start < 0 {
		drain(resp.Body)
		return core.Errorf(core.ErrUnavailable, "blob %s: asked for bytes from %d, got them from %d", br.d, br.n, start)
	}
	if skip := br.n - start; skip > 0 {
		if _, err := io.CopyN(io.Discard, resp.Body, skip); err != nil {
			drain(resp.Body)
			return core.Errorf(core.ErrUnavailable, "blob %s: skipping to byte %d: %w", br.d, br.n, err)
		}
	}
	br.body = resp.Body
	return nil
}

func (br *blobReader) Read(p []byte) (int, error) {
	for br.err == nil {
		n, err := br.body.Read(p)
		br.h.Write(p[:n])
		br.n += int64(n)
		if n > 0 {
			br.resumes = 0
		}
		switch {
		case err == nil:
			return n, nil
		case err == io.EOF:
			if got := core.DigestFromHash(br.h); got != br.d {
				br.err = core.Errorf(core.ErrCorrupt, "blob %s is corrupt: its %d bytes hash to %s", br.d, br.n, got)
			} else {
				br.err = io.EOF
			}
			return n, br.err
		case br.ctx.Err() != nil:
			br.err = br.ctx.Err()
			return n, br.err
		}
		// The connection broke: pick up where it stopped.
		br.body.Close()
		br.resumes++
		if br.resumes > maxResumes {
			br.err = core.Errorf(core.ErrUnavailable, "blob %s: download from %s keeps breaking off: %w", br.d, br.c.base.Redacted(), err)
			return n, br.err
		}
		br.c.log.Debug("resuming download", "blob", br.d, "offset", br.n, "err", err)
		if oerr := br.open(); oerr != nil {
			br.err = oerr
			br.body = io.NopCloser(strings.NewReader(""))
			return n, br.err
		}
		if n > 0 {
			return n, nil
		}
	}
	return 0, br.err
}

func (br *blobReader) Close() error { return br.body.Close() }
