package authz

import (
	"context"
	"hash"
	"io"
	"time"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Proof of possession. Blobs are stored once, whoever sends them, and a
// manifest names them by digest only. Were a stored digest enough to
// commit a version, anyone who learned the digest of a file in a private
// project (from a log, a lineage export, a guess at a well-known file) could
// name it in a project of their own and download it from there. So a caller
// other than a site admin may name a stored blob in a new version only when
// it may read the blob already, has sent its bytes (which the guard hashes,
// even when the store holds them already), or the blob is unclaimed: in no
// version and recorded by no one else (meta.Uploads). To such a caller any
// other stored blob looks missing, which is also what it would see if the
// blob were not stored at all: it learns nothing of what others keep.

// UploadPlan says how a caller is to send a blob's bytes.
type UploadPlan int

// Upload plans.
const (
	// UploadNothing: the blob is stored and the caller may use it; there
	// is nothing to send.
	UploadNothing UploadPlan = iota
	// UploadDirect: the blob is absent; the bytes may go straight to the
	// object store through a presigned URL. The caller's claim on the blob
	// is recorded (meta.Uploads.ClaimUpload).
	UploadDirect
	// UploadToServer: the bytes must go through the server: either it
	// does not presign, or the blob is stored and only bytes the server
	// hashes itself prove that the caller has them.
	UploadToServer
)

// String names the plan, for messages and tests.
func (u UploadPlan) String() string {
	switch u {
	case UploadNothing:
		return "nothing"
	case UploadDirect:
		return "direct"
	case UploadToServer:
		return "to-server"
	}
	return "unknown"
}

// Uploader is the optional ability of the API Guard returns to plan an
// upload, for a server that hands out presigned upload URLs: such uploads
// bypass the server, so it must not offer one where the caller has to prove
// possession. Check for it with a type assertion.
type Uploader interface {
	// PlanUpload says how to send blob d. presign says whether the
	// server would hand out a presigned URL for it; when it would not,
	// PlanUpload never answers UploadDirect.
	PlanUpload(ctx context.Context, d core.Digest, presign bool) (UploadPlan, error)
}

var _ Uploader = (*guard)(nil)

// PlanUpload implements Uploader.
func (g *guard) PlanUpload(ctx context.Context, d core.Digest, presign bool) (UploadPlan, error) {
	missing, err := g.api.MissingBlobs(ctx, []core.Digest{d})
	if err != nil {
		return 0, err
	}
	if len(missing) == 0 {
		if g.p.User.Admin {
			return UploadNothing, nil
		}
		ok, err := g.st.ReferableDigests(ctx, g.p.User.Name, []core.Digest{d})
		if err != nil {
			return 0, err
		}
		if ok[d] {
			return UploadNothing, nil
		}
		return UploadToServer, nil
	}
	if !presign {
		return UploadToServer, nil
	}
	if g.p.User.Name == "" {
		return UploadToServer, nil // no user to hold the claim
	}
	// The claim goes in before the URL goes out, so that no one else can
	// take the blob for an unclaimed one once it lands.
	if err := g.st.ClaimUpload(ctx, g.p.User.Name, d, time.Now()); err != nil {
		return 0, err
	}
	return UploadDirect, nil
}

// MissingBlobs implements service.API: the blobs the store lacks and, for
// callers other than site admins, the stored ones they may not name in a
// version (see Proof of possession above), so that clients upload them.
func (g *guard) MissingBlobs(ctx context.Context, digests []core.Digest) ([]core.Digest, error) {
	missing, err := g.api.MissingBlobs(ctx, digests)
	if err != nil || g.p.User.Admin {
		return missing, err
	}
	return g.unreferable(ctx, digests, missing)
}

// unreferable returns, in the order of ds and once each, the digests of
// missing and those of ds p may not name in a version.
func (g *guard) unreferable(ctx context.Context, ds, missing []core.Digest) ([]core.Digest, error) {
	absent := make(map[core.Digest]bool, len(missing))
	for _, d := range missing {
		absent[d] = true
	}
	var stored []core.Digest
	for _, d := range ds {
		if !absent[d] {
			stored = append(stored, d)
		}
	}
	ok, err := g.st.ReferableDigests(ctx, g.p.User.Name, stored)
	if err != nil {
		return nil, err
	}
	out := []core.Digest{}
	seen := make(map[core.Digest]bool, len(ds))
	for _, d := range ds {
		if (absent[d] || !ok[d]) && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// PutBlob implements service.API for any authenticated caller: a blob is
// checked against its digest and belongs to no project until a version
// that references it is committed. The guard hashes the bytes itself, also
// when the store holds the blob already and would not read them, and
// records that p has the blob (meta.Uploads.RecordUpload). Only a caller
// who may read a stored blob already is spared sending it.
func (g *guard) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	if d.IsZero() {
		return g.api.PutBlob(ctx, d, size, r) // the service's own error
	}
	missing, err := g.api.MissingBlobs(ctx, []core.Digest{d})
	if err != nil {
		return err
	}
	switch {
	case len(missing) == 0:
		// Stored: a caller who may read it has nothing to prove.
		readable := g.p.User.Admin
		if !readable {
			ok, err := g.st.ReadableDigests(ctx, g.p.User.Name, []core.Digest{d})
			if err != nil {
				return err
			}
			readable = ok[d]
		}
		if readable {
			return nil
		}
	case g.p.User.Name != "":
		// Claimed before it is stored, so that between the store's Put
		// and the proof below nobody can take the blob for an unclaimed
		// one.
		if err := g.st.ClaimUpload(ctx, g.p.User.Name, d, time.Now()); err != nil {
			return err
		}
	}
	// The store verifies what it writes, but skips reading when the blob
	// is stored, which it may be by now even if it was not above. Only then
	// are the bytes hashed here: hashing what the store already verified
	// would cost a second pass over every upload.
	cr := &countingReader{r: r}
	if err := g.api.PutBlob(ctx, d, size, cr); err != nil {
		return err
	}
	if cr.n == 0 {
		hr := &hashingReader{r: r, h: core.NewHash()}
		if _, err := io.Copy(io.Discard, hr); err != nil {
			return err
		}
		if size >= 0 && hr.n != size {
			return core.Errorf(core.ErrCorrupt, "blob: put %s: got %d bytes, declared %d", d, hr.n, size)
		}
		if got := core.DigestFromHash(hr.h); got != d {
			return core.Errorf(core.ErrCorrupt, "blob: put: content digest is %s, expected %s", got, d)
		}
	}
	if g.p.User.Name == "" {
		return nil // no user to record it for
	}
	return g.st.RecordUpload(ctx, g.p.User.Name, d, time.Now())
}

// hashingReader hashes and counts what is read through it.
// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (cr *countingReader) Read(p []byte) (int, error) {
	n, err := cr.r.Read(p)
	cr.n += int64(n)
	return n, err
}

type hashingReader struct {
	r io.Reader
	h hash.Hash
	n int64
}

func (hr *hashingReader) Read(p []byte) (int, error) {
	n, err := hr.r.Read(p)
	hr.h.Write(p[:n])
	hr.n += int64(n)
	return n, err
}

// checkPossession returns, in manifest order, the stored blobs of m that p
// may not name in a version, or nil when p may name them all. Reference
// entries point outside the store and need no proof.
func (g *guard) checkPossession(ctx context.Context, m core.Manifest) ([]core.Digest, error) {
	if g.p.User.Admin {
		return nil, nil
	}
	var ds []core.Digest
	seen := make(map[core.Digest]bool)
	for _, e := range m.Entries() {
		if e.Ref == "" && !seen[e.Digest] {
			seen[e.Digest] = true
			ds = append(ds, e.Digest)
		}
	}
	ok, err := g.st.ReferableDigests(ctx, g.p.User.Name, ds)
	if err != nil {
		return nil, err
	}
	var bad []core.Digest
	for _, d := range ds {
		if !ok[d] {
			bad = append(bad, d)
		}
	}
	if len(bad) == 0 {
		return nil, nil
	}
	// Report the blobs that are simply not stored too, as the service
	// would, so that one round of uploads does.
	var rest []core.Digest
	for _, d := range ds {
		if ok[d] {
			rest = append(rest, d)
		}
	}
	missing, err := g.api.MissingBlobs(ctx, rest)
	if err != nil {
		return nil, err
	}
	out := missing[:0:0]
	absent := make(map[core.Digest]bool, len(missing))
	for _, d := range missing {
		absent[d] = true
	}
	for _, d := range ds {
		if absent[d] || !ok[d] {
			out = append(out, d)
		}
	}
	return out, nil
}

// logUnproven answers a LogArtifact whose manifest names blobs p has not
// shown to have: nothing is committed, and they are missing. The request is
// checked as far as it can be without the service, so that plainly bad
// input is an error now rather than after the uploads.
func logUnproven(req service.LogRequest, missing []core.Digest) (service.LogResult, error) {
	if err := core.ValidateName(req.Name); err != nil {
		return service.LogResult{}, err
	}
	if err := core.ValidateType(req.Type); err != nil {
		return service.LogResult{}, err
	}
	return service.LogResult{Missing: missing}, nil
}

var _ service.BlobIngester = (*guard)(nil)

// IngestBlob implements service.BlobIngester: any authenticated caller may
// send new content, and since the server hashes every byte of it, the
// upload is proof that the caller has the content.
func (g *guard) IngestBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error) {
	ing, ok := g.api.(service.BlobIngester)
	if !ok {
		return core.Digest{}, core.Errorf(core.ErrConflict, "this server takes blobs by digest only")
	}
	d, err := ing.IngestBlob(ctx, size, r)
	if err != nil || g.p.User.Name == "" {
		return d, err
	}
	return d, g.st.RecordUpload(ctx, g.p.User.Name, d, time.Now())
}
