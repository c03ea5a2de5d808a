package authz

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
)

// Proof of possession. Blobs are stored once, whoever sends them, and a
// manifest names them by digest only. Were a stored digest enough to
// commit a version, anyone who learned the digest of a file in a private
// project (from a log, a lineage export, a guess at a well-known file) could
// name it in a project of their own and download it from there. So a caller
// other than a site admin may name a stored blob in a new version only when
// it may read the blob already, has sent its bytes (which the server hashes,
// even when the store holds them already), has uploaded them through a
// presigned URL signed with its own proof (see Presigned uploads below), or
// the blob is unclaimed: in no version and recorded by no one else
// (meta.Uploads). To such a caller any other stored blob looks missing.
//
// Looking missing is not enough: it must look missing in every way a
// caller can observe, or a guess at someone else's file (a PIN, a password
// in a config, a known weights file) is confirmed or refuted by the answer.
// A stored blob the caller may not name (a held blob) and a blob nobody
// stores must give the same status, the same body byte for byte, and the
// same work on the server:
//
//   - Every check that does not depend on blobs runs first, in full: the
//     service's own (service.LogChecker: name, type, aliases, TTL, metadata,
//     description, run state…) right after the access checks, so a bad
//     request fails the same way whatever its manifest names.
//   - The guard then asks which digests the caller may name (one query,
//     ReferableDigests, over all of them whatever the store holds) and hands
//     the others to the service (service.Holder), which runs its ordinary
//     path — expiry, the dedup lookup, a Stat of every blob, a lease on
//     every digest, a second Stat of the blobs it would call stored — and
//     reports the held ones missing with the absent ones, in manifest
//     order. The held digests are never a shortcut in the guard:
//     nobody-stored and stranger-stored run the same statements and the
//     same blob-store calls (TestContentOracle compares them). What differs
//     is only the result of one Stat, a file or an object that exists or
//     not, and the index lookups of the queries, which find a row or none:
//     costs of microseconds that do not grow with the content, below the
//     noise of one HTTP request (TestOracleTiming measures them).
//   - PutBlob by a caller who may not read the stored blob claims it, hands
//     the body to the store and records the proof, stored or not. A store
//     that skips the bytes of a blob it holds leaves them to the guard,
//     which hashes them with the store's own error messages; so an upload of
//     the right or the wrong bytes answers the same whether or not someone
//     else has them. The same I/O needs a store that writes what it is sent
//     in both cases (replacing a stored copy, as the repair of damaged blobs
//     has it do); a store that skips a stored blob saves the write of its
//     bytes, which TestOracleTiming shows for a blob of 1 MiB.
//   - GetBlob of a blob the caller may not read is the store's not-found,
//     decided by one query, never by the store.
//   - Ingest (POST /blobs) declines a size only when the caller may read a
//     stored file of that size (meta.SizeReadable); otherwise it stores the
//     content, which is harmless when it is stored already.
//
// Presigned uploads. On a server that presigns (S3), a blob the caller may
// not name gets an upload URL whether the store has it or not, so the
// answer to "where do I upload this" says nothing either. Each URL signs a
// random proof the guard records with the caller's claim
// (meta.Uploads.ClaimUpload); the object store refuses a PUT without it,
// keeps it as the object's metadata, and refuses a body that does not hash
// to the digest (the URL signs the checksum as well). When the caller later
// names a digest it claimed with a proof, the guard reads the object's
// proof (service.UploadProver, one HEAD request, made for every such claim
// whether the object exists or not); its own proof there means the caller
// sent bytes hashing to the digest: a proof of possession like a PUT
// through the server. Someone else's upload of the same content between
// the caller's upload and its log replaces the proof: the caller is told
// the blob is missing and uploads again.
//
// What is not an oracle, and why:
//   - Readers learn about readable blobs: a blob the caller may read is
//     "stored" to it (upload target, MissingBlobs, PutBlob without reading
//     the body), and the ingest decline names sizes of files it may read.
//   - An unclaimed stored blob (in no version, recorded by no user: stored
//     by the embedded store, or before upload records existed) is nobody's
//     and anyone's to name: it is "stored" to everyone.
//   - Dedup happens inside the caller's own collection, where it may write
//     and so read; LogResult.Created tells nothing beyond it.
//   - Listings, lineage, links, run inputs and outputs leave out what the
//     caller may not read, by project, never by content; TypeGraph shows
//     the type name (only) of a hidden version a project's run touched.
//   - Registries are readable by every user, and with them the blobs of
//     linked versions (meta's readable rule): linking publishes.
//   - Errors never name what the caller may not read: not-found messages
//     repeat the service's for a missing thing, a corrupt upload names only
//     the caller's own bytes and the digest it asked for.
//   - A blob garbage collection is deleting (in no live version any more)
//     makes an upload of it wait for the deletion (service.PrepareUpload):
//     for the milliseconds between mark and sweep, the wait shows that such
//     a blob was stored. Live content is never collected.

// UploadPlan says how a caller is to send a blob's bytes.
type UploadPlan int

// Upload plans.
const (
	// UploadNothing: the blob is stored and the caller may use it; there
	// is nothing to send.
	UploadNothing UploadPlan = iota
	// UploadDirect: the bytes may go straight to the object store through
	// a presigned URL signed with Upload.Proof, whether the store has the
	// blob or not. The caller's claim on the blob is recorded
	// (meta.Uploads.ClaimUpload).
	UploadDirect
	// UploadToServer: the bytes must go through the server, which does not
	// presign (or not this upload).
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

// Upload is how a caller is to send a blob (Uploader.PlanUpload).
type Upload struct {
	Plan UploadPlan
	// Proof is what the presigned URL of an UploadDirect must sign
	// (blob.Presigner's PresignPut); "" for the other plans.
	Proof string
}

// Uploader is the optional ability of the API Guard returns to plan an
// upload, for a server that hands out presigned upload URLs: such uploads
// bypass the server, so they must carry the caller's proof. Check for it
// with a type assertion.
type Uploader interface {
	// PlanUpload says how to send blob d. presign says whether the
	// server would hand out a presigned URL for it; when it would not,
	// PlanUpload never answers UploadDirect.
	PlanUpload(ctx context.Context, d core.Digest, presign bool) (Upload, error)
}

var _ Uploader = (*guard)(nil)

// PlanUpload implements Uploader: nothing to send when the caller may name
// the stored blob, else a presigned URL when the server presigns, else the
// server.
func (g *guard) PlanUpload(ctx context.Context, d core.Digest, presign bool) (Upload, error) {
	missing, err := g.MissingBlobs(ctx, []core.Digest{d})
	switch {
	case err != nil:
		return Upload{}, err
	case len(missing) == 0:
		return Upload{Plan: UploadNothing}, nil
	case !presign || g.p.User.Name == "":
		return Upload{Plan: UploadToServer}, nil
	}
	// The claim goes in before the URL goes out, so that no one else can
	// take the blob for an unclaimed one once it lands. A claim keeps its
	// first proof, so that a client retrying with an earlier URL still
	// proves its upload.
	proof, err := g.st.ClaimUpload(ctx, g.p.User.Name, d, newProof(), time.Now())
	if err != nil {
		return Upload{}, err
	}
	return Upload{Plan: UploadDirect, Proof: proof}, nil
}

// newProof returns a random proof for a presigned upload: 128 bits, hex.
func newProof() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand)
	return hex.EncodeToString(b[:])
}

// MissingBlobs implements service.API: the blobs the store lacks and, for
// callers other than site admins, the stored ones they may not name in a
// version, found and reported alike (see Proof of possession above).
func (g *guard) MissingBlobs(ctx context.Context, digests []core.Digest) ([]core.Digest, error) {
	held, err := g.held(ctx, digests)
	if err != nil {
		return nil, err
	}
	if h, ok := g.api.(service.Holder); ok {
		return h.MissingBlobsHolding(ctx, digests, held)
	}
	missing, err := g.api.MissingBlobs(ctx, digests)
	if err != nil {
		return nil, err
	}
	return union(digests, missing, held), nil
}

// held returns, once each and in the order of ds, the digests of ds that p
// may not name in a version: none for site admins, else those that are
// not referable (meta.Uploads.ReferableDigests) once p's presigned uploads
// are proved (proveClaims). One query over all of ds, whatever the store
// holds.
func (g *guard) held(ctx context.Context, ds []core.Digest) ([]core.Digest, error) {
	if g.p.User.Admin || len(ds) == 0 {
		return nil, nil
	}
	if err := g.proveClaims(ctx, ds); err != nil {
		return nil, err
	}
	ok, err := g.st.ReferableDigests(ctx, g.p.User.Name, ds)
	if err != nil {
		return nil, err
	}
	var out []core.Digest
	seen := make(map[core.Digest]bool, len(ds))
	for _, d := range ds {
		if !ok[d] && !seen[d] {
			seen[d] = true
			out = append(out, d)
		}
	}
	return out, nil
}

// proofParallelism bounds the concurrent reads of upload proofs.
const proofParallelism = 16

// proveClaims turns into proofs p's claims on ds whose presigned upload
// carried p's own proof (see Presigned uploads above). The object's proof
// is read for every such claim, stored or not.
func (g *guard) proveClaims(ctx context.Context, ds []core.Digest) error {
	prover, ok := g.api.(service.UploadProver)
	if !ok || g.p.User.Name == "" {
		return nil
	}
	claims, err := g.st.ProofClaims(ctx, g.p.User.Name, ds)
	if err != nil || len(claims) == 0 {
		return err
	}
	var (
		mu     sync.Mutex
		proved []core.Digest
	)
	eg, ectx := errgroup.WithContext(ctx)
	eg.SetLimit(proofParallelism)
	for d, want := range claims {
		eg.Go(func() error {
			got, err := prover.UploadProof(ectx, d)
			switch {
			case errors.Is(err, core.ErrNotFound):
				return nil
			case err != nil:
				return err
			case subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1:
				mu.Lock()
				proved = append(proved, d)
				mu.Unlock()
			}
			return nil
		})
	}
	if err := eg.Wait(); err != nil {
		return err
	}
	for _, d := range proved {
		if err := g.st.RecordUpload(ctx, g.p.User.Name, d, time.Now()); err != nil {
			return err
		}
	}
	return nil
}

// union returns, in the order of ds and once each, the digests of ds that
// are in a or in b.
func union(ds, a, b []core.Digest) []core.Digest {
	in := make(map[core.Digest]bool, len(a)+len(b))
	for _, d := range a {
		in[d] = true
	}
	for _, d := range b {
		in[d] = true
	}
	out := []core.Digest{}
	for _, d := range ds {
		if in[d] {
			out = append(out, d)
			delete(in, d)
		}
	}
	return out
}

// PutBlob implements service.API for any authenticated caller: a blob is
// checked against its digest and belongs to no project until a version
// that references it is committed. The bytes always go to the store, which
// reads, verifies and writes them whether it holds the blob or not (so a
// PUT of the right bytes repairs a damaged copy, and the work done never
// says whether someone else stores the blob), and the guard records that p
// has the blob (meta.Uploads.RecordUpload). A client sends only what it was
// told is missing, so a caller who may read a stored blob sends nothing.
func (g *guard) PutBlob(ctx context.Context, d core.Digest, size int64, r io.Reader) error {
	if d.IsZero() {
		return g.api.PutBlob(ctx, d, size, r) // the service's own error
	}
	if g.p.User.Name != "" {
		// Claimed before it is stored, so that between the store's Put
		// and the proof below nobody can take the blob for an unclaimed
		// one.
		if _, err := g.st.ClaimUpload(ctx, g.p.User.Name, d, "", time.Now()); err != nil {
			return err
		}
	}
	cr := &countingReader{r: r}
	if err := g.api.PutBlob(ctx, d, size, cr); err != nil {
		return err
	}
	if cr.n == 0 {
		// An API whose store skipped the bytes (not *service.Service,
		// whose store reads every body): the proof is hashed here.
		if err := verifyBody(d, size, r); err != nil {
			return err
		}
	}
	if g.p.User.Name == "" {
		return nil // no user to record it for
	}
	return g.st.RecordUpload(ctx, g.p.User.Name, d, time.Now())
}

// verifyBody reads r to its end, or one byte past size, and checks it as the
// blob store checks a Put, failing with the store's own messages.
func verifyBody(d core.Digest, size int64, r io.Reader) error {
	src := r
	if size >= 0 {
		src = io.LimitReader(r, size+1)
	}
	hr := &hashingReader{r: src, h: core.NewHash()}
	if _, err := io.Copy(io.Discard, hr); err != nil {
		kind := core.KindOf(err)
		if kind == nil {
			kind = core.ErrUnavailable
		}
		return core.Errorf(kind, "blob: put %s: blob: reading content: %w", d, err)
	}
	got := core.DigestFromHash(hr.h)
	switch {
	case size >= 0 && hr.n > size:
		return core.Errorf(core.ErrCorrupt, "blob: put %s: content is longer than the declared %d bytes", d, size)
	case size >= 0 && hr.n != size:
		return core.Errorf(core.ErrCorrupt, "blob: put %s: got %d bytes (digest %s), declared %d", d, hr.n, got, size)
	case got != d:
		return core.Errorf(core.ErrCorrupt, "blob: put: content digest is %s, expected %s", got, d)
	}
	return nil
}

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

// hashingReader hashes and counts what is read through it.
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

var _ service.BlobIngester = (*guard)(nil)

// IngestBlob implements service.BlobIngester: any authenticated caller may
// send new content, and since the server hashes every byte of it, the
// upload is proof that the caller has the content. A size is declined only
// when p may read a stored file of that size (meta.Uploads.SizeReadable):
// the store's global answer would tell p the sizes of files it may not see.
// Content stored already is stored again, which is harmless.
func (g *guard) IngestBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error) {
	var (
		d   core.Digest
		err error
	)
	ing, ok := g.api.(service.NewBlobIngester)
	switch {
	case ok && !g.p.User.Admin:
		known, kerr := g.st.SizeReadable(ctx, g.p.User.Name, size)
		switch {
		case kerr != nil:
			return core.Digest{}, kerr
		case known:
			return core.Digest{}, core.Errorf(core.ErrConflict, "a file of %d bytes is stored already: send the blob by digest", size)
		}
		d, err = ing.IngestNewBlob(ctx, size, r)
	default:
		// Site admins read everything: the global check of sizes is
		// theirs to see.
		bi, ok := g.api.(service.BlobIngester)
		if !ok {
			return core.Digest{}, core.Errorf(core.ErrConflict, "this server takes blobs by digest only")
		}
		d, err = bi.IngestBlob(ctx, size, r)
	}
	if err != nil || g.p.User.Name == "" {
		return d, err
	}
	return d, g.st.RecordUpload(ctx, g.p.User.Name, d, time.Now())
}
