package blob

import (
	"context"
	"hash"
	"io"
	"sync"

	"github.com/troveml/trove/internal/core"
)

// bufSize is the copy buffer size: large enough that a 1 MiB file moves in
// one read and one write, and that per-call overhead (syscalls, S3 part
// bookkeeping) is amortised on big blobs.
const bufSize = 1 << 20

// bufPool recycles copy buffers so that ingesting many small files does not
// allocate a fresh megabyte each time.
var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// copyHashed copies src to dst, feeding every byte to h, and returns the
// number of bytes copied. It checks ctx between chunks so that a cancelled
// upload stops promptly even if src never fails. Errors from src come back as
// readErr, everything else (dst, ctx) as writeErr, because they are reported
// with different kinds.
func copyHashed(ctx context.Context, dst io.Writer, src io.Reader, h hash.Hash) (n int64, readErr, writeErr error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	for {
		if err := ctx.Err(); err != nil {
			return n, nil, err
		}
		m, rerr := src.Read(buf)
		if m > 0 {
			h.Write(buf[:m])
			if _, werr := dst.Write(buf[:m]); werr != nil {
				return n, nil, werr
			}
			n += int64(m)
		}
		if rerr == io.EOF {
			return n, nil, nil
		}
		if rerr != nil {
			return n, rerr, nil
		}
	}
}

// verifier is the reader Get returns: it hashes what passes through and turns
// the final io.EOF into core.ErrCorrupt when the content does not match.
type verifier struct {
	r    io.ReadCloser
	h    hash.Hash
	want core.Digest
	n    int64
	err  error // sticky: io.EOF once verified, or the first failure
}

// Read implements io.Reader.
func (v *verifier) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	n, err := v.r.Read(p)
	v.h.Write(p[:n])
	v.n += int64(n)
	switch {
	case err == io.EOF:
		v.err = v.check()
	case err != nil:
		// Keep the kind of an error that has one: the decryption of an
		// encrypted blob fails with core.ErrCorrupt.
		v.err = core.Errorf(kindOr(err, core.ErrUnavailable), "blob %s: read: %w", v.want, err)
	}
	return n, v.err
}

// check is called at the end of the content.
func (v *verifier) check() error {
	if got := core.DigestFromHash(v.h); got != v.want {
		return core.Errorf(core.ErrCorrupt, "blob %s is corrupt: its %d stored bytes hash to %s", v.want, v.n, got)
	}
	return io.EOF
}

// WriteTo implements io.WriterTo so that io.Copy moves data in 1 MiB chunks
// instead of its default 32 KiB. Like Read, it reports a digest mismatch only
// after the bytes were written to w: streaming cannot know earlier.
func (v *verifier) WriteTo(w io.Writer) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var written int64
	for {
		n, rerr := v.Read(buf)
		if n > 0 {
			m, werr := w.Write(buf[:n])
			written += int64(m)
			if werr != nil {
				return written, werr
			}
			if m != n {
				return written, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

// Close closes the underlying reader.
func (v *verifier) Close() error { return v.r.Close() }
