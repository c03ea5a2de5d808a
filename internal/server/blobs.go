package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/troveml/trove/internal/core"
)

// Blob routes. Bytes are streamed in both directions, never held whole;
// digests are verified by the service's blob store on the way in and by both
// the store and the client on the way out.

type (
	uploadRequest struct {
		Size int64 `json:"size"` // -1 when unknown
	}
	// uploadTarget tells a client where to send a blob's bytes.
	uploadTarget struct {
		// Stored: the blob is already stored; there is nothing to send.
		Stored bool `json:"stored"`
		// URL is a presigned URL to PUT the bytes to, with Headers and
		// Content-Length set; "" means PUT them to the blob's API URL.
		URL     string      `json:"url,omitempty"`
		Headers http.Header `json:"headers,omitempty"`
		// Presigns says whether this server ever hands out presigned
		// uploads; when not, clients may skip asking.
		Presigns bool `json:"presigns"`
	}
)

// offsetHeader answers a download that starts past the first byte (a client
// resuming a broken transfer) with the offset the body starts at.
const offsetHeader = "Trove-Blob-Offset"

// digestParam parses the {digest} path parameter.
func digestParam(r *http.Request) (core.Digest, error) {
	return core.ParseDigest(r.PathValue("digest"))
}

func (s *Server) missingBlobs(r *http.Request, c *caller) (any, error) {
	var req missingRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	missing, err := c.api.MissingBlobs(r.Context(), req.Digests)
	if err != nil {
		return nil, err
	}
	return missingResponse{Missing: nonNil(missing)}, nil
}

func (s *Server) uploadTarget(r *http.Request, c *caller) (any, error) {
	d, err := digestParam(r)
	if err != nil {
		return nil, err
	}
	var req uploadRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	// Asking through the guarded service applies the caller's upload rights
	// to presigned uploads too, and spares uploading what is stored.
	missing, err := c.api.MissingBlobs(r.Context(), []core.Digest{d})
	if err != nil {
		return nil, err
	}
	presigns := s.presigner != nil
	if len(missing) == 0 {
		return uploadTarget{Stored: true, Presigns: presigns}, nil
	}
	if !presigns || req.Size < 0 || req.Size > maxPresignedPut {
		return uploadTarget{Presigns: presigns}, nil
	}
	u, h, err := s.presigner.PresignPut(r.Context(), d, req.Size, s.ttl)
	if err != nil {
		return nil, err
	}
	return uploadTarget{URL: u, Headers: h, Presigns: true}, nil
}

func (s *Server) putBlob(r *http.Request, c *caller) (any, error) {
	d, err := digestParam(r)
	if err != nil {
		return nil, err
	}
	// The declared size is the Content-Length (-1 for a chunked body); the
	// store refuses a body of another length or digest.
	if err := c.api.PutBlob(r.Context(), d, r.ContentLength, requestBody{r.Body}); err != nil {
		return nil, err
	}
	return noContent{}, nil
}

// requestBody gives the errors of reading a request body (a client that
// hung up or sent a short body) a kind, so they are not taken for server
// failures.
type requestBody struct{ r io.Reader }

func (b requestBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF {
		err = core.Errorf(core.ErrInvalid, "reading the request body: %w", err)
	}
	return n, err
}

// blobStream is a handler result: a blob to stream from offset on.
type blobStream struct {
	rc     io.ReadCloser
	offset int64
}

func (s *Server) getBlob(r *http.Request, c *caller) (any, error) {
	d, err := digestParam(r)
	if err != nil {
		return nil, err
	}
	var offset int64
	if v := r.URL.Query().Get("offset"); v != "" {
		if offset, err = strconv.ParseInt(v, 10, 64); err != nil || offset < 0 {
			return nil, core.Errorf(core.ErrInvalid, "query parameter offset %.40q: want a byte count", v)
		}
	}
	if s.presigner != nil {
		// The object store serves the bytes; the client verifies them and
		// asks it for the range it lacks.
		if err := s.auth.CanReadBlob(r.Context(), c.p, d); err != nil {
			return nil, err
		}
		u, err := s.presigner.PresignGet(r.Context(), d, s.ttl)
		if err != nil {
			return nil, err
		}
		return redirect{u}, nil
	}
	rc, err := c.api.GetBlob(r.Context(), d)
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		// The skipped bytes still pass through the store's verifier, which
		// checks the whole blob at its end.
		if _, err := io.CopyN(io.Discard, rc, offset); err != nil {
			rc.Close()
			if err == io.EOF {
				return nil, core.Errorf(core.ErrInvalid, "offset %d is past the end of blob %s", offset, d)
			}
			return nil, err
		}
	}
	return &blobStream{rc: rc, offset: offset}, nil
}

// streamBlob writes a blob. Once the status is sent an error can no longer
// be reported, so a failed read drops the connection: the client sees a
// truncated body and resumes or retries. A corrupt blob ends normally:
// the client's own digest check reports it as corrupt.
func (s *Server) streamBlob(w http.ResponseWriter, r *http.Request, b *blobStream) {
	defer b.rc.Close()
	info := infoOf(r.Context())
	h := w.Header()
	h.Set("Content-Type", "application/octet-stream")
	h.Set(offsetHeader, strconv.FormatInt(b.offset, 10))
	w.WriteHeader(http.StatusOK)
	ew := &errWriter{w: w}
	_, err := io.Copy(ew, b.rc)
	switch {
	case err == nil:
	case ew.err != nil:
		info.err = err // the client went away
	case errors.Is(err, core.ErrCorrupt):
		info.err = err
		s.log.Error("served a corrupt blob", "err", err, "request_id", info.id)
	default:
		info.err, info.aborted = err, true
		panic(http.ErrAbortHandler)
	}
}

// errWriter remembers a write error, to tell a client that went away from
// a store that failed.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	n, err := e.w.Write(p)
	if err != nil {
		e.err = err
	}
	return n, err
}
