-- Issue #12: distributed artifacts that can be inspected, abandoned and
-- expire; large manifests committed without holding the write lock; account
-- names unique up to case. Mirrors sqlite/00013_pending_limits.sql.

-- +goose Up

-- updated_at: the last upsert to a pending artifact. One untouched for the
-- server's --pending-ttl is abandoned (its rows deleted), so that its
-- blobs can be collected and its distributed id used again.
ALTER TABLE pending_artifacts ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
UPDATE pending_artifacts SET updated_at = created_at;
-- revision counts the upserts, so that a finish of many entries, written
-- in steps, can tell that none came in meanwhile.
ALTER TABLE pending_artifacts ADD COLUMN revision BIGINT NOT NULL DEFAULT 0;
CREATE INDEX pending_artifacts_by_update ON pending_artifacts (state, updated_at);

-- The directories of a pending artifact's entries, each with one entry
-- below it, so that an upsert making a path both a file and a directory
-- ("x" and "x/y") is refused with equality lookups only: a new file must
-- not be a pending directory, a new directory not a pending file.
CREATE TABLE pending_dirs (
    pending_id BIGINT NOT NULL REFERENCES pending_artifacts (id),
    path       TEXT   NOT NULL,
    entry      TEXT   NOT NULL,
    PRIMARY KEY (pending_id, path)
);
WITH RECURSIVE d (pending_id, entry, dir, rest) AS (
    SELECT pe.pending_id, pe.path, CAST('' AS TEXT), pe.path
    FROM pending_entries pe JOIN pending_artifacts pa ON pa.id = pe.pending_id
    WHERE pa.state = 'open'
    UNION ALL
    SELECT pending_id, entry,
        dir || CASE WHEN dir = '' THEN '' ELSE '/' END || substr(rest, 1, strpos(rest, '/') - 1),
        substr(rest, strpos(rest, '/') + 1)
    FROM d WHERE strpos(rest, '/') > 0
)
INSERT INTO pending_dirs (pending_id, path, entry)
SELECT pending_id, dir, MIN(entry) FROM d WHERE dir <> '' GROUP BY pending_id, dir;

-- A large manifest is committed in steps (see internal/meta/staged.go):
-- its entries are written in short transactions under a node id that has
-- no version row yet, so nothing reads them, and a last short transaction
-- creates the version. entries.version_id therefore references nodes, of
-- which every version id is one.
ALTER TABLE entries DROP CONSTRAINT entries_version_id_fkey;
ALTER TABLE entries ADD CONSTRAINT entries_version_id_fkey FOREIGN KEY (version_id) REFERENCES nodes (id) NOT VALID;
ALTER TABLE entries VALIDATE CONSTRAINT entries_version_id_fkey;

-- A commit in steps: its node id while its entries are written. dropping
-- is set by whoever removes an abandoned one (a crash, a failed commit), so
-- that the last transaction of the commit, which deletes the row, can no
-- longer create the version meanwhile.
CREATE TABLE staged_versions (
    id         BIGINT  PRIMARY KEY REFERENCES nodes (id),
    created_at BIGINT  NOT NULL,
    dropping   INTEGER NOT NULL DEFAULT 0 CHECK (dropping IN (0, 1))
);

-- Account (user and team) names, lower-cased: a new account may not be
-- named like an existing one up to case (Alice and alice). Names that
-- already differ only in case keep working.
CREATE TABLE account_names (
    folded TEXT PRIMARY KEY
);
INSERT INTO account_names (folded) SELECT DISTINCT lower(name) FROM entities WHERE kind <> '';

-- +goose Down
DROP TABLE account_names;
DROP TABLE staged_versions;
DELETE FROM entries WHERE version_id NOT IN (SELECT id FROM versions);
ALTER TABLE entries DROP CONSTRAINT entries_version_id_fkey;
ALTER TABLE entries ADD CONSTRAINT entries_version_id_fkey FOREIGN KEY (version_id) REFERENCES versions (id);
DROP TABLE pending_dirs;
DROP INDEX pending_artifacts_by_update;
ALTER TABLE pending_artifacts DROP COLUMN revision;
ALTER TABLE pending_artifacts DROP COLUMN updated_at;
