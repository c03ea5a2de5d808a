-- Search (GET /api/v1/search): every lookup is an exact match or a prefix
-- range on an index, so a search costs the same on 100 or 100,000 versions.

-- +goose Up
-- A digest prefix across collections: digest >= p AND digest < p+"g".
CREATE INDEX versions_by_digest_any ON versions (digest);
-- Names and aliases match regardless of case.
CREATE INDEX runs_by_lower_name ON runs (lower(name));
CREATE INDEX aliases_by_lower_alias ON aliases (lower(alias));
CREATE INDEX collections_by_lower_name ON collections (lower(name));

-- +goose Down
DROP INDEX collections_by_lower_name;
DROP INDEX aliases_by_lower_alias;
DROP INDEX runs_by_lower_name;
DROP INDEX versions_by_digest_any;
