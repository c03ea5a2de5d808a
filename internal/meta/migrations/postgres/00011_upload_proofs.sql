-- Proof of possession for presigned uploads. Mirrors
-- sqlite/00011_upload_proofs.sql, which explains the column.

-- +goose Up
ALTER TABLE uploads ADD COLUMN proof TEXT;

-- +goose Down
ALTER TABLE uploads DROP COLUMN proof;
