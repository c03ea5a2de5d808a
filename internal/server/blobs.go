package server

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/troveml/trove/internal/authz"
	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

// Blob routes. Bytes are streamed in both directions, never held whole;
// digests are verified by the service's blob store on the way in and by both
// the store and the client on the way out. The guarded service (package
// authz) also hashes uploads of stored blobs when the store skips them:
// they are how a caller proves to have a blob it may not read otherwise.
// What these routes answer never depends on blobs the caller may not read
// (authz/possession.go).

// offsetHeader answers a download that starts past the first byte (a client
// resuming a broken transfer) with the offset the body starts at.
const offsetHeader = "Trove-Blob-Offset"

// digestParam parses the {digest} path parameter.
func digestParam(r *http.Request) (core.Digest, error) {
	return core.ParseDigest(r.PathValue("digest"))
}

func (s *Server) missingBlobs(r *http.Request, c *caller) (any, error) {
	var req wire.MissingRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	missing, err := c.api.MissingBlobs(r.Context(), req.Digests)
	if err != nil {
		return nil, err
	}
	return wire.MissingResponse{Missing: nonNil(missing)}, nil
}

// uploadPlanner is the optional ability of a guarded service to say how a
// caller is to send a blob (authz.Uploader). A guard that has it makes
// presigned uploads carry the caller's proof, so that a blob the caller
// may not name gets a presigned URL whether the store has it or not (see
// authz/possession.go).
type uploadPlanner interface {
	PlanUpload(ctx context.Context, d core.Digest, presign bool) (authz.Upload, error)
}

// uploadPreparer is the optional ability of the service to get ready for
// an upload that bypasses it (*service.Service.PrepareUpload).
type uploadPreparer interface {
	PrepareUpload(ctx context.Context, d core.Digest) error
}

func (s *Server) uploadTarget(r *http.Request, c *caller) (any, error) {
	d, err := digestParam(r)
	if err != nil {
		return nil, err
	}
	var req wire.UploadRequest
	if err := s.decode(r, &req); err != nil {
		return nil, err
	}
	presigns := s.presigner != nil
	canPresign := presigns && req.Size >= 0 && req.Size <= maxPresignedPut
	var plan authz.Upload
	if up, ok := c.api.(uploadPlanner); ok {
		if plan, err = up.PlanUpload(r.Context(), d, canPresign); err != nil {
			return nil, err
		}
	} else {
		// Asking through the service applies the caller's upload rights
		// to presigned uploads too, and spares uploading what is stored.
		missing, err := c.api.MissingBlobs(r.Context(), []core.Digest{d})
		switch {
		case err != nil:
			return nil, err
		case len(missing) == 0:
			plan.Plan = authz.UploadNothing
		case canPresign:
			plan.Plan = authz.UploadDirect
		default:
			plan.Plan = authz.UploadToServer
		}
	}
	switch plan.Plan {
	case authz.UploadNothing:
		return wire.UploadTarget{Stored: true, Presigns: presigns}, nil
	case authz.UploadDirect:
		// The bytes go around the server: lease the blob, and wait out a
		// collection of a stored copy, before handing out the URL (see
		// service/gc.go).
		if p, ok := s.svc.(uploadPreparer); ok {
			if err := p.PrepareUpload(r.Context(), d); err != nil {
				return nil, err
			}
		}
		u, h, err := s.presigner.PresignPut(r.Context(), d, req.Size, s.ttl, plan.Proof)
		if err != nil {
			return nil, err
		}
		return wire.UploadTarget{URL: u, Headers: h, Presigns: true}, nil
	}
	return wire.UploadTarget{Presigns: presigns}, nil
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

// ingestBlob stores a blob sent without its digest, so that a client can
// upload a large new file while it hashes it. It refuses before reading the
// body (the client sends Expect: 100-continue, so the bytes never leave it)
// when the content may be stored already, and on servers whose blob bytes
// move through presigned URLs, which must never pass through a server.
func (s *Server) ingestBlob(r *http.Request, c *caller) (any, error) {
	if s.presigner != nil {
		return nil, core.Errorf(core.ErrConflict, "this server moves blob bytes through presigned URLs: send blobs by digest")
	}
	ing, ok := c.api.(service.BlobIngester)
	if !ok {
		return nil, core.Errorf(core.ErrConflict, "this server takes blobs by digest only")
	}
	if r.ContentLength < 0 {
		return nil, core.Errorf(core.ErrInvalid, "a blob sent without its digest needs a Content-Length")
	}
	d, err := ing.IngestBlob(r.Context(), r.ContentLength, requestBody{r.Body})
	if err != nil {
		return nil, err
	}
	return created{wire.Ingested{Digest: d, Size: r.ContentLength}}, nil
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
	first  []byte // read before the status was sent
}

// firstChunk is how much of a blob the server reads before it commits to a
// 200: a store that cannot serve the blob at all (missing, wrong encryption
// key, a damaged header) fails there, and the client gets a JSON error
// with the reason instead of an empty body.
const firstChunk = 64 << 10

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
	first := make([]byte, firstChunk)
	n, err := io.ReadFull(rc, first)
	if err != nil && err != io.EOF && err != io.ErrUnexpectedEOF {
		rc.Close()
		return nil, err
	}
	return &blobStream{rc: rc, offset: offset, first: first[:n]}, nil
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
	_, err := io.Copy(ew, io.MultiReader(bytes.NewReader(b.first), b.rc))
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
