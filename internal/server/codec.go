package server

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/wire"
)

// statusOf maps an error's kind to an HTTP status. It is the one place that
// does; the client maps the error code back to the kind.
func statusOf(err error) int {
	switch core.KindOf(err) {
	case core.ErrInvalid:
		return http.StatusBadRequest
	case core.ErrUnauthenticated:
		return http.StatusUnauthorized
	case core.ErrPermission:
		return http.StatusForbidden
	case core.ErrNotFound:
		return http.StatusNotFound
	case core.ErrConflict:
		return http.StatusConflict
	case core.ErrTooLarge:
		return http.StatusRequestEntityTooLarge
	case core.ErrCorrupt:
		return http.StatusUnprocessableEntity
	case core.ErrUnavailable:
		if diskFull(err) {
			// Not 503: clients retry that, and a full disk stays full.
			return http.StatusInsufficientStorage
		}
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// diskFull reports whether err is a write that found no room: a full disk
// or quota under the blob store, or a full database (whose errors match
// syscall.ENOSPC too).
func diskFull(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT)
}

// methodError is a request for a route that exists with other methods; it
// is the one error whose status is not its kind's.
type methodError struct {
	allow string
}

func (e *methodError) Error() string { return "method not allowed; allowed: " + e.allow }

// writeError writes err as a JSON error and returns the status written.
// Messages of internal errors stay in the log: they may name files or
// queries.
func writeError(w http.ResponseWriter, r *http.Request, err error, reqID string) int {
	status := statusOf(err)
	code := core.Code(err)
	msg := err.Error()
	var me *methodError
	switch {
	case errors.As(err, &me):
		status, code = http.StatusMethodNotAllowed, core.Code(core.ErrInvalid)
		w.Header().Set("Allow", me.allow)
	case status == http.StatusInternalServerError:
		if r.Context().Err() != nil && errors.Is(err, context.Canceled) {
			// The client went away; nobody reads this answer.
			return statusClientClosed
		}
		msg = "internal server error (request " + reqID + ")"
	case status == http.StatusUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="trove"`)
	}
	writeJSON(w, status, wire.ErrorBody{Error: wire.ErrorDetail{Code: code, Message: msg}})
	return status
}

// statusClientClosed is what metrics and the access log record for a
// request whose client disconnected before the answer (nginx's 499).
const statusClientClosed = 499

// writeJSON writes v as the JSON body of a response. Encoding happens before
// the first byte is written, so a value that cannot be encoded still gets a
// clean 500.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = json.Marshal(wire.ErrorBody{Error: wire.ErrorDetail{Code: "internal", Message: "internal server error: cannot encode the response"}})
	}
	b = append(b, '\n')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}

// decodeJSON reads a request body of at most limit bytes into v, strictly:
// unknown fields, trailing data and a missing body are core.ErrInvalid, an
// oversized body core.ErrTooLarge.
func decodeJSON(r io.Reader, limit int64, v any) error {
	lr := &limitedReader{r: r, left: limit}
	dec := json.NewDecoder(lr)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, lr)
	}
	if _, err := dec.Token(); err != io.EOF {
		if err == nil {
			return core.Errorf(core.ErrInvalid, "request body: unexpected data after the JSON value")
		}
		return bodyError(err, lr)
	}
	return nil
}

// bodyError gives a decoding error its kind.
func bodyError(err error, lr *limitedReader) error {
	switch {
	case lr.over:
		return core.Errorf(core.ErrTooLarge, "request body is larger than %d bytes", lr.limit())
	case err == io.EOF:
		return core.Errorf(core.ErrInvalid, "request body is empty: want a JSON object")
	case lr.err != nil:
		return core.Errorf(core.ErrInvalid, "reading request body: %w", lr.err)
	}
	// Validation errors of core types (digests, refs, paths) already say
	// what is wrong; keep their message but make the kind "invalid", since
	// it is the request that is malformed.
	return core.Errorf(core.ErrInvalid, "request body: %v", err)
}

// limitedReader is io.LimitReader that remembers hitting the limit and the
// first read error, so decodeJSON can tell the client which it was.
type limitedReader struct {
	r    io.Reader
	left int64
	read int64
	over bool
	err  error
}

func (l *limitedReader) Read(p []byte) (int, error) {
	if l.left <= 0 {
		// Peek one byte: a body of exactly the limit is fine.
		var one [1]byte
		n, err := l.r.Read(one[:])
		if n > 0 {
			l.over = true
			return 0, fmt.Errorf("body too large")
		}
		if err == nil {
			return 0, nil
		}
		if err != io.EOF {
			l.err = err
		}
		return 0, err
	}
	if int64(len(p)) > l.left {
		p = p[:l.left]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	l.read += int64(n)
	if err != nil && err != io.EOF {
		l.err = err
	}
	return n, err
}

func (l *limitedReader) limit() int64 { return l.read + l.left }
