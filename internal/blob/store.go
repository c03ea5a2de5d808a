// Package blob is Trove's content-addressed blob store: file contents keyed
// by their SHA-256 digest, kept in a gocloud.dev/blob bucket — a local
// directory (optionally encrypted at rest), an S3 bucket, or memory. Digests
// are checked on every write and every read, so a blob is never visible under
// the wrong name and corrupt bytes are never handed out as good ones. On S3
// the store also presigns URLs through which clients move blob bytes
// themselves, with S3 checking the digest.
package blob

import (
	"context"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/troveml/trove/internal/core"
)

// Store is a content-addressed blob store. Every method is safe for
// concurrent use, also by several processes sharing one backing store, and
// every write is all-or-nothing: a blob is either absent or complete.
type Store interface {
	// Put stores the content read from r under d. The bytes are hashed on
	// the way in and become visible only if they hash to d and, when size
	// >= 0, number exactly size (-1 means the size is unknown); otherwise
	// Put returns core.ErrCorrupt naming the expected and actual digest,
	// and nothing changes: a copy stored before stays as it was. Put always
	// reads r to the end and, once the content verified, atomically
	// replaces any stored copy of d — which may be corrupt or truncated, so
	// a verified Put is how a damaged blob is repaired. Callers upload only
	// the blobs the store said are missing, so rewriting one that was fine
	// is rare. Concurrent Puts of one blob all succeed (the last to finish
	// leaves its copy, the same bytes). A cancelled ctx stops the upload and
	// changes nothing.
	Put(ctx context.Context, d core.Digest, size int64, r io.Reader) error

	// Ingest stores content whose digest is not known in advance, reading
	// r once, and returns its digest and size. Like Put, it replaces any
	// stored copy of that digest with the verified content. Content being
	// stored concurrently by another Ingest or Put is not an error. On
	// failure nothing changes and no temporary object is left.
	Ingest(ctx context.Context, r io.Reader) (core.Digest, int64, error)

	// Get opens blob d for reading; the caller must close the reader. A
	// missing blob is core.ErrNotFound. The reader verifies the content as
	// it streams: at the end it returns core.ErrCorrupt instead of io.EOF
	// if the bytes do not hash to d, and it never returns io.EOF before
	// that check passed. A reader is for one goroutine; any number of them
	// may be open at once.
	Get(ctx context.Context, d core.Digest) (io.ReadCloser, error)

	// Stat returns the stored size of d without verifying the content; a
	// missing blob is core.ErrNotFound.
	Stat(ctx context.Context, d core.Digest) (int64, error)

	// Delete removes d. A missing blob is not an error, so concurrent
	// Deletes of one blob all succeed.
	Delete(ctx context.Context, d core.Digest) error

	// List calls fn once for every stored blob with its size and the time
	// it was last written (garbage collection spares blobs younger than
	// its grace period), in no particular order. Blobs stored or deleted
	// while List runs may or may not be seen; none is seen twice. An
	// error from fn stops List, which returns that error unchanged. fn is
	// called from List's goroutine, one call at a time.
	List(ctx context.Context, fn func(d core.Digest, size int64, modTime time.Time) error) error
}

// Syncer is the optional ability of a Store to make the blobs it stored
// durable on demand (a file:// Bucket, see Bucket). The service calls Sync
// once per commit, after the commit's blobs are stored and before the
// metadata that references them is committed. Check for it with a type
// assertion; a Store without it has nothing to sync.
type Syncer interface {
	Sync(ctx context.Context) error
}

var _ Syncer = (*Bucket)(nil)

// Key layout. Blob keys spread over 256 "directories" so that no directory of
// the file driver grows too large; they use only [a-z0-9/], which every
// driver stores verbatim (fileblob maps such a key to root/<key>).
const (
	blobPrefix = "sha256/"
	tempPrefix = "tmp/"
)

// keyOf returns the key of blob d: "sha256/<first 2 hex>/<64 hex>".
func keyOf(d core.Digest) string {
	h := d.Hex()
	return blobPrefix + h[:2] + "/" + h
}

// parseKey returns the digest named by a blob key, and false for any other
// key (for example a driver's temporary file next to a blob).
func parseKey(key string) (core.Digest, bool) {
	rest, ok := strings.CutPrefix(key, blobPrefix)
	if !ok || len(rest) != 2+1+64 || rest[2] != '/' || rest[:2] != rest[3:5] {
		return core.Digest{}, false
	}
	d, err := core.ParseDigest(core.DigestPrefix + rest[3:])
	if err != nil {
		return core.Digest{}, false
	}
	return d, true
}

// Presigner is the optional ability of a Store to hand out URLs through
// which a client moves a blob's bytes directly to or from the backing object
// store, so that servers never carry them. Check for it with a type
// assertion.
type Presigner interface {
	// PresignGet returns a URL from which blob d can be fetched with a
	// plain GET until ttl has passed. It does not check that d exists.
	PresignGet(ctx context.Context, d core.Digest, ttl time.Duration) (string, error)
	// PresignPut returns a URL to which blob d of the given size can be
	// uploaded with a PUT until ttl has passed, and the headers the PUT
	// must carry. The object store itself rejects a body whose SHA-256 is
	// not d, so nothing unverified ever appears under d's key. A non-empty
	// proof is signed too and kept with the object, where UploadProof
	// reads it: who gets the URL can show later that the object stored
	// under d came through it, so from a client that had bytes hashing to
	// d. The PUT replaces a stored copy (with the same content, the only
	// content d's key takes).
	PresignPut(ctx context.Context, d core.Digest, size int64, ttl time.Duration, proof string) (url string, header http.Header, err error)
	// UploadProof returns the proof the PUT that stored blob d carried
	// (PresignPut), or "" when it carried none or d was stored otherwise.
	// A missing blob is core.ErrNotFound.
	UploadProof(ctx context.Context, d core.Digest) (string, error)
}
