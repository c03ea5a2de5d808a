package blob

import (
	"context"
	"encoding/base64"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	gcblob "gocloud.dev/blob"

	"github.com/troveml/trove/internal/core"
)

// Remote is what the driver of a remote store (S3) adds to its gocloud
// bucket, for a Bucket made with NewRemoteBucket: upload tuning, multipart
// uploads to abort, and what a presigned upload must sign. Its methods are
// safe for concurrent use.
type Remote interface {
	// WriterOptions returns the options of an upload of size bytes (-1:
	// unknown).
	WriterOptions(size int64) *gcblob.WriterOptions
	// AbortUpload aborts the multipart upload a write to key that failed
	// with err left behind, if any. It runs on error paths, often because
	// ctx was cancelled, so it does not obey ctx; a failure only leaves
	// garbage for CleanUploads.
	AbortUpload(ctx context.Context, key string, err error)
	// CleanUploads aborts the multipart uploads under the key prefixes
	// started before cutoff, and returns how many it aborted. An upload
	// that finishes meanwhile is no error.
	CleanUploads(ctx context.Context, prefixes []string, cutoff time.Time) (int, error)
	// BeforeSignPut returns the gocloud BeforeSign hook of a presigned PUT
	// whose signature must cover the header x-amz-checksum-sha256 (sum, the
	// base64 of the SHA-256), Content-Length when size > 0, and the
	// metadata ProofKey when proof is not "".
	BeforeSignPut(sum string, size int64, proof string) func(as func(any) bool) error
}

// abortUpload: see Remote.AbortUpload; nothing to do on other stores.
func (b *Bucket) abortUpload(ctx context.Context, key string, err error) {
	if b.remote != nil {
		b.remote.AbortUpload(ctx, key, err)
	}
}

// maxPresignTTL is the longest validity SigV4 allows a presigned URL.
const maxPresignTTL = 7 * 24 * time.Hour

var _ Presigner = (*Bucket)(nil)

// CanPresign reports whether the Presigner methods work: only on S3.
func (b *Bucket) CanPresign() bool { return b.remote != nil }

// errNoPresign is what the Presigner methods return on other stores.
func (b *Bucket) errNoPresign(op string) error {
	return core.Errorf(core.ErrUnavailable, "blob: %s: presigned URLs are not supported by this blob store (only by s3://)", op)
}

// checkTTL refuses validities SigV4 cannot express.
func checkTTL(op string, ttl time.Duration) error {
	if ttl <= 0 || ttl > maxPresignTTL {
		return core.Errorf(core.ErrInvalid, "blob: %s: validity %s is not in (0, %s]", op, ttl, maxPresignTTL)
	}
	return nil
}

// PresignGet implements Presigner. The content is not verified on this path:
// the client that fetches it must hash it, as the SDK does.
func (b *Bucket) PresignGet(ctx context.Context, d core.Digest, ttl time.Duration) (string, error) {
	switch {
	case b.remote == nil:
		return "", b.errNoPresign("presign get")
	case d.IsZero():
		return "", core.Errorf(core.ErrInvalid, "blob: presign get: no digest")
	}
	if err := checkTTL("presign get", ttl); err != nil {
		return "", err
	}
	u, err := b.bucket.SignedURL(ctx, keyOf(d), &gcblob.SignedURLOptions{Method: http.MethodGet, Expiry: ttl})
	if err != nil {
		return "", core.Errorf(core.ErrUnavailable, "blob: presign get %s: %w", d, err)
	}
	return u, nil
}

// ProofKey is the metadata key of an upload's proof (PresignPut): the PUT
// carries it as the header x-amz-meta-trove-proof.
const ProofKey = "trove-proof"

// PresignPut implements Presigner. The URL's signature covers the header
// x-amz-checksum-sha256, the base64 of d: S3 computes the body's SHA-256
// and refuses (400 BadDigest) a body that does not match, storing nothing,
// and a PUT without the header fails its signature check (403). It covers
// x-amz-meta-trove-proof as well when proof is not "", which S3 keeps as
// the object's metadata (UploadProof). The signature also covers
// Content-Length when size > 0, so the PUT must carry exactly size bytes
// (Go's http.Client sets Content-Length from the body; set req.ContentLength
// = size for a body of unknown length). The returned header holds what the
// PUT must carry besides that.
func (b *Bucket) PresignPut(ctx context.Context, d core.Digest, size int64, ttl time.Duration, proof string) (string, http.Header, error) {
	switch {
	case b.remote == nil:
		return "", nil, b.errNoPresign("presign put")
	case d.IsZero():
		return "", nil, core.Errorf(core.ErrInvalid, "blob: presign put: no digest")
	case size < 0:
		return "", nil, core.Errorf(core.ErrInvalid, "blob: presign put %s: invalid size %d", d, size)
	case !proofRE.MatchString(proof):
		return "", nil, core.Errorf(core.ErrInvalid, "blob: presign put %s: a proof is up to 128 letters, digits, '-' and '_'", d)
	}
	if err := checkTTL("presign put", ttl); err != nil {
		return "", nil, err
	}
	sum := base64.StdEncoding.EncodeToString(d[:])
	u, err := b.bucket.SignedURL(ctx, keyOf(d), &gcblob.SignedURLOptions{
		Method:     http.MethodPut,
		Expiry:     ttl,
		BeforeSign: b.remote.BeforeSignPut(sum, size, proof),
	})
	if err != nil {
		return "", nil, core.Errorf(core.ErrUnavailable, "blob: presign put %s: %w", d, err)
	}
	// Fail closed: a URL whose signature does not cover the checksum would
	// let any body land under d's key, one that does not cover the proof
	// would let anyone's PUT carry it.
	if !signsHeader(u, "x-amz-checksum-sha256") {
		return "", nil, core.Errorf(core.ErrUnavailable, "blob: presign put %s: the signer did not sign the checksum header, so the store could not reject bad content", d)
	}
	h := http.Header{"X-Amz-Checksum-Sha256": {sum}}
	if proof != "" {
		if !signsHeader(u, "x-amz-meta-"+ProofKey) {
			return "", nil, core.Errorf(core.ErrUnavailable, "blob: presign put %s: the signer did not sign the proof header", d)
		}
		h.Set("X-Amz-Meta-"+ProofKey, proof)
	}
	return u, h, nil
}

// proofRE is what a proof may be: a token that travels unchanged as an
// HTTP header and as S3 metadata.
var proofRE = regexp.MustCompile(`^[A-Za-z0-9_-]{0,128}$`)

// UploadProof implements Presigner: one HEAD request.
func (b *Bucket) UploadProof(ctx context.Context, d core.Digest) (string, error) {
	switch {
	case b.remote == nil:
		return "", b.errNoPresign("upload proof")
	case d.IsZero():
		return "", core.Errorf(core.ErrInvalid, "blob: upload proof: no digest")
	}
	a, err := b.bucket.Attributes(ctx, keyOf(d))
	if err != nil {
		return "", storeErr("upload proof", d, err)
	}
	for k, v := range a.Metadata {
		if strings.EqualFold(k, ProofKey) {
			return v, nil
		}
	}
	return "", nil
}

// signsHeader reports whether presigned URL u's signature covers header
// name (lower case), per its X-Amz-SignedHeaders parameter.
func signsHeader(u, name string) bool {
	pu, err := url.Parse(u)
	if err != nil {
		return false
	}
	for _, h := range strings.Split(pu.Query().Get("X-Amz-SignedHeaders"), ";") {
		if h == name {
			return true
		}
	}
	return false
}
