-- Lets a server answer "is any stored file of exactly this size?" from an
-- index: when none is, a large upload cannot deduplicate and the client
-- streams it while hashing it, reading the file once (see meta.SizeKnown).

-- +goose Up
CREATE INDEX entries_by_size ON entries (size);

-- +goose Down
DROP INDEX entries_by_size;
