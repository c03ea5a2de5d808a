package client

import (
	"context"
	"encoding/json"
	"io"
	"net/http"

	"github.com/troveml/trove/internal/core"
	"github.com/troveml/trove/internal/service"
	"github.com/troveml/trove/internal/wire"
)

var _ service.BlobIngester = (*Client)(nil)

// IngestBlob implements service.BlobIngester: it streams size bytes of r to
// the server, which computes their digest. The request carries Expect:
// 100-continue, so when the server refuses (a stored file has that size, or
// its blob bytes move through presigned URLs) nothing of r has been read
// and the caller can fall back to hashing and PutBlob. It is retried only
// when nothing reached the server: r is read once.
func (c *Client) IngestBlob(ctx context.Context, size int64, r io.Reader) (core.Digest, error) {
	if size <= 0 {
		return core.Digest{}, core.Errorf(core.ErrConflict, "only non-empty blobs of known size are sent without their digest")
	}
	src, err := newBodySource(r, size)
	if err != nil {
		return core.Digest{}, err
	}
	resp, err := c.send(ctx, retryUnsent, func(ctx context.Context) (*http.Request, error) {
		body, err := src.next(ctx)
		if err != nil {
			return nil, err
		}
		req, err := c.newRequest(ctx, http.MethodPost, "/api/v1/blobs", nil, body)
		if err != nil {
			return nil, err
		}
		src.prepare(req)
		req.Header.Set("Content-Type", "application/octet-stream")
		req.Header.Set("Expect", "100-continue")
		return req, nil
	})
	if err := src.failed(err); err != nil {
		return core.Digest{}, err
	}
	defer drain(resp.Body)
	if resp.StatusCode >= 300 {
		return core.Digest{}, c.responseError(resp)
	}
	var out wire.Ingested
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.Digest.IsZero() {
		return core.Digest{}, core.Errorf(core.ErrUnavailable, "%s: malformed answer to a blob upload (%v)", c.base, err)
	}
	if out.Size != size {
		return core.Digest{}, core.Errorf(core.ErrCorrupt, "the server stored %d bytes, %d were sent", out.Size, size)
	}
	return out.Digest, nil
}
