package service

import (
	"context"
	"io"

	"github.com/troveml/trove/internal/core"
)

// Holding back blobs. A server's access guard (package authz) lets a caller
// name a stored blob in a new version only when the caller has shown it has
// the blob's bytes; to that caller any other stored blob must look exactly
// like one nobody stores: reported missing, after the same checks, the same
// statements and the same blob-store calls, so that neither the answer nor
// its timing says what others keep. The guard cannot get that by answering
// itself (it would skip the service's work) nor by asking the service and
// editing the answer (the service's path for a stored blob differs from the
// one for an absent blob). So it hands the digests to hold back to the
// service, which runs its ordinary path — LogArtifact, UpsertArtifact,
// FinishArtifact, MissingBlobs, unchanged — and treats them as absent at
// the one place where a blob's presence decides anything: MissingBlobs
// (through which every other method checks its blobs). The held digests
// travel in the context for that reason: the methods that reach
// MissingBlobs run as they do for any caller.

// Holder is the optional ability of an API to answer as if some stored
// blobs were absent. *Service has it. Check for it with a type assertion.
//
// Each method is the API method of the same name, except that every digest
// of held (which the caller may not name in a version) is reported missing,
// in the order the method reports missing blobs, whether or not the store
// has it, with the same work done as for any other digest. A method that
// does not reach the blob check (bad input, a finished run, content that
// dedups to a version of the collection, whose blobs the caller may read
// already) answers as the API method does.
type Holder interface {
	MissingBlobsHolding(ctx context.Context, digests, held []core.Digest) ([]core.Digest, error)
	LogArtifactHolding(ctx context.Context, req LogRequest, held []core.Digest) (LogResult, error)
	UpsertArtifactHolding(ctx context.Context, req UpsertRequest, held []core.Digest) (LogResult, error)
	FinishArtifactHolding(ctx context.Context, req UpsertRequest, held []core.Digest) (LogResult, error)
}

var _ Holder = (*Service)(nil)

// heldKey is the context key of the digests to hold back.
type heldKey struct{}

// holding returns ctx carrying held.
func holding(ctx context.Context, held []core.Digest) context.Context {
	if len(held) == 0 {
		return ctx
	}
	set := make(map[core.Digest]bool, len(held))
	for _, d := range held {
		set[d] = true
	}
	return context.WithValue(ctx, heldKey{}, set)
}

// heldIn returns the digests ctx holds back (holding); nil for none.
func heldIn(ctx context.Context) map[core.Digest]bool {
	set, _ := ctx.Value(heldKey{}).(map[core.Digest]bool)
	return set
}

// MissingBlobsHolding implements Holder.
func (s *Service) MissingBlobsHolding(ctx context.Context, digests, held []core.Digest) ([]core.Digest, error) {
	return s.MissingBlobs(holding(ctx, held), digests)
}

// LogArtifactHolding implements Holder.
func (s *Service) LogArtifactHolding(ctx context.Context, req LogRequest, held []core.Digest) (LogResult, error) {
	return s.LogArtifact(holding(ctx, held), req)
}

// UpsertArtifactHolding implements Holder.
func (s *Service) UpsertArtifactHolding(ctx context.Context, req UpsertRequest, held []core.Digest) (LogResult, error) {
	return s.UpsertArtifact(holding(ctx, held), req)
}

// FinishArtifactHolding implements Holder.
func (s *Service) FinishArtifactHolding(ctx context.Context, req UpsertRequest, held []core.Digest) (LogResult, error) {
	return s.FinishArtifact(holding(ctx, held), req)
}

// UploadProver is the optional ability of an API to read the proof a
// presigned upload carried (blob.Presigner's UploadProof), for the access
// guard to tell whose presigned upload stored a blob. *Service has it.
type UploadProver interface {
	// UploadProof returns the proof the upload that stored blob d
	// carried, "" for none or when the blob store takes no presigned
	// uploads. A missing blob is core.ErrNotFound.
	UploadProof(ctx context.Context, d core.Digest) (string, error)
}

var _ UploadProver = (*Service)(nil)

// UploadProof implements UploadProver.
func (s *Service) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	p, ok := s.blobs.(interface {
		CanPresign() bool
		UploadProof(ctx context.Context, d core.Digest) (string, error)
	})
	if !ok || !p.CanPresign() {
		return "", nil
	}
	return p.UploadProof(ctx, d)
}

// NewBlobIngester is the optional ability of an API to ingest a blob
// without declining sizes some version holds (BlobIngester's check), for a
// caller that makes that check itself: the access guard declines only
// sizes its caller may read, since the global answer would tell a caller
// the sizes of files it may not see. *Service has it.
type NewBlobIngester interface {
	// IngestNewBlob is IngestBlob without the check of stored sizes.
	IngestNewBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error)
}

var _ NewBlobIngester = (*Service)(nil)

// IngestNewBlob implements NewBlobIngester.
func (s *Service) IngestNewBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error) {
	return s.ingest(ctx, size, r, false)
}
