package blob

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"gocloud.dev/gcerrors"

	"github.com/troveml/trove/internal/core"
)

// quarantinePrefix is where Quarantine keeps the bytes of damaged blobs:
// outside blobPrefix, so that no Get, Stat or List sees them (they are never
// served) and garbage collection, which lists blobs, never deletes them;
// outside tempPrefix, so that CleanTemp leaves them too. They stay until an
// operator removes them.
const quarantinePrefix = "quarantine/"

// quarantineKey returns the key under which Quarantine keeps the bytes of
// blob d moved aside at t: "quarantine/<64 hex>/<unix nanoseconds>", in the
// characters every driver stores verbatim.
func quarantineKey(d core.Digest, t time.Time) string {
	return quarantinePrefix + d.Hex() + "/" + strconv.FormatInt(t.UnixNano(), 10)
}

// Quarantine moves the stored bytes of blob d aside, for forensics, and
// returns the key they are kept under: from then on d is missing (Get and
// Stat answer core.ErrNotFound, List skips it) until a verified Put or
// Ingest stores it again. It does not read the bytes, so call it only for
// a blob found corrupt. A missing blob is core.ErrNotFound.
//
// On a file:// bucket the move is one rename. Elsewhere it is a server-side
// copy (or, where the object store cannot copy an object that large, a
// download and upload) followed by a delete: a Put of the blob that lands
// between the two is deleted with it, which leaves d missing — the state
// Quarantine is meant to reach anyway — never a damaged copy.
func (b *Bucket) Quarantine(ctx context.Context, d core.Digest) (string, error) {
	if d.IsZero() {
		return "", core.Errorf(core.ErrInvalid, "blob: quarantine: no digest")
	}
	key, qkey := keyOf(d), quarantineKey(d, time.Now())
	if b.root != "" {
		dst := b.path(qkey)
		if err := os.MkdirAll(filepath.Dir(dst), 0o777); err != nil {
			return "", core.Errorf(core.ErrUnavailable, "blob: quarantine %s: %w", d, err)
		}
		if err := os.Rename(b.path(key), dst); err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return "", core.Errorf(core.ErrNotFound, "blob %s not found", d)
			}
			return "", core.Errorf(core.ErrUnavailable, "blob: quarantine %s: %w", d, err)
		}
		return qkey, nil
	}
	if err := b.bucket.Copy(ctx, qkey, key, nil); err != nil {
		if gcerrors.Code(err) == gcerrors.NotFound {
			return "", core.Errorf(core.ErrNotFound, "blob %s not found", d)
		}
		// S3's CopyObject stops at 5 GiB: move the bytes through here.
		r, rerr := b.bucket.NewReader(ctx, key, nil)
		if rerr != nil {
			return "", storeErr("quarantine", d, rerr)
		}
		err = b.bucket.Upload(ctx, qkey, r, b.writerOptions(-1))
		r.Close()
		if err != nil {
			b.abortUpload(ctx, qkey, err)
			return "", storeErr("quarantine", d, err)
		}
	}
	if err := b.bucket.Delete(ctx, key); err != nil && gcerrors.Code(err) != gcerrors.NotFound {
		return "", storeErr("quarantine", d, err)
	}
	return qkey, nil
}
