-- What a store records about itself, one value per name (see
-- internal/meta/settings.go): for now how its file blobs are kept,
-- encrypted under a key of a given id or not, so that no process opens the
-- store with the wrong key, or none, and writes blobs the others cannot read.

-- +goose Up
CREATE TABLE store_settings (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

-- +goose Down
DROP TABLE store_settings;
