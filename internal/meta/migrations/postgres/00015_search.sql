-- Search (GET /api/v1/search): every lookup is an exact match or a prefix
-- range on an index, so a search costs the same on 100 or 100,000 versions.
-- The name indexes compare bytes (COLLATE "C"), as the search's prefix
-- ranges do: under a language's collation a range is no prefix.

-- +goose Up
-- A digest prefix across collections: digest >= p AND digest < p+"g".
CREATE INDEX versions_by_digest_any ON versions (digest COLLATE "C");
-- Names and aliases match regardless of case.
CREATE INDEX runs_by_lower_name ON runs ((lower(name)) COLLATE "C");
CREATE INDEX aliases_by_lower_alias ON aliases ((lower(alias)) COLLATE "C");
CREATE INDEX collections_by_lower_name ON collections ((lower(name)) COLLATE "C");

-- +goose Down
DROP INDEX collections_by_lower_name;
DROP INDEX aliases_by_lower_alias;
DROP INDEX runs_by_lower_name;
DROP INDEX versions_by_digest_any;
