-- Proof of possession for presigned uploads. A user handed a presigned URL
-- for a blob gets a claim (uploads.verified = 0) and a random proof: the URL
-- signs the header x-amz-meta-trove-proof with it, so the object store keeps
-- it with the object and refuses a PUT without it. When the user later names
-- the blob, the server reads the object's proof: the user's own means the
-- user sent bytes that hash to the digest (the URL signs the checksum too),
-- and the claim becomes a proof (see internal/authz/possession.go).
-- NULL for claims and proofs that never involved a presigned URL.

-- +goose Up
ALTER TABLE uploads ADD COLUMN proof TEXT;

-- +goose Down
ALTER TABLE uploads DROP COLUMN proof;
