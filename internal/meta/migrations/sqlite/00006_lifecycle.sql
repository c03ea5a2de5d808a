-- Issue #6: registries, distributed (pending) artifacts, time-to-live and
-- garbage collection. One migration for the three so that each feature can
-- rely on the others' columns (GC must know what links and pending
-- artifacts keep alive; expiry must know what is linked).

-- +goose Up

-- A registry is an organisation-wide home for collections. Its collections
-- live in the project of the same name of the reserved entity "registry"
-- (registry/model/MNIST-dev), so that every query about collections,
-- versions, aliases and lineage works on them unchanged. types: JSON array
-- of the artifact types the registry accepts ([] = any); protected_aliases:
-- JSON array of aliases only registry admins may set or move.
CREATE TABLE registries (
    name              TEXT   PRIMARY KEY,
    types             TEXT   NOT NULL,
    protected_aliases TEXT   NOT NULL,
    created_at        BIGINT NOT NULL
);
INSERT INTO registries (name, types, protected_aliases, created_at) VALUES
    ('model', '["model"]', '["production"]', 0),
    ('dataset', '["dataset"]', '["production"]', 0);

-- Users, besides server admins, who administer a registry.
CREATE TABLE registry_admins (
    registry TEXT   NOT NULL REFERENCES registries (name),
    user_id  BIGINT NOT NULL REFERENCES users (id),
    PRIMARY KEY (registry, user_id)
);

-- A version linked into a registry collection holds no manifest of its
-- own: source_id is the version it links, whose entries, size and digest
-- it shares. NULL for an ordinary version.
ALTER TABLE versions ADD COLUMN source_id BIGINT REFERENCES versions (id);
CREATE INDEX versions_by_source ON versions (source_id);
-- expires_at: created_at + ttl, NULL when the version never expires.
ALTER TABLE versions ADD COLUMN expires_at BIGINT;
CREATE INDEX versions_by_expiry ON versions (expires_at);
-- deleted_at: when the version was deleted (by a user or by expiry).
ALTER TABLE versions ADD COLUMN deleted_at BIGINT;

-- A distributed artifact being built by several runs (UpsertArtifact) until
-- one finishes it (FinishArtifact), keyed by the collection and a
-- distributed id (the runs' group by default). It gets a version, and so an
-- index, only when finished; version_id then names it.
CREATE TABLE pending_artifacts (
    id             INTEGER PRIMARY KEY,
    project_id     BIGINT NOT NULL REFERENCES projects (id),
    name           TEXT   NOT NULL,
    type           TEXT   NOT NULL,
    distributed_id TEXT   NOT NULL,
    state          TEXT   NOT NULL CHECK (state IN ('open', 'finished')),
    created_at     BIGINT NOT NULL,
    finished_at    BIGINT,
    version_id     BIGINT REFERENCES versions (id),
    UNIQUE (project_id, name, distributed_id)
);

-- The entries upserted so far; run_id is the run that added each.
CREATE TABLE pending_entries (
    pending_id BIGINT NOT NULL REFERENCES pending_artifacts (id),
    path       TEXT   NOT NULL,
    digest     TEXT   NOT NULL,
    size       BIGINT NOT NULL,
    ref        TEXT   NOT NULL,
    extra      TEXT,
    run_id     TEXT   REFERENCES runs (id),
    PRIMARY KEY (pending_id, path)
);
CREATE INDEX pending_entries_by_digest ON pending_entries (digest);

-- Garbage collection. A lease keeps a blob that a client was told is
-- stored (or just stored) from being collected until 'until', so that a
-- version being logged can rely on it. A tombstone marks a blob that GC is
-- deleting: it counts as absent, and writers of that digest wait for the
-- tombstone to go before storing it again. See internal/service/gc.go.
CREATE TABLE blob_leases (
    digest TEXT   PRIMARY KEY,
    until  BIGINT NOT NULL
);
CREATE TABLE blob_tombstones (
    digest     TEXT   PRIMARY KEY,
    created_at BIGINT NOT NULL
);

-- +goose Down
DROP TABLE blob_tombstones;
DROP TABLE blob_leases;
DROP TABLE pending_entries;
DROP TABLE pending_artifacts;
DROP INDEX versions_by_expiry;
DROP INDEX versions_by_source;
ALTER TABLE versions DROP COLUMN deleted_at;
ALTER TABLE versions DROP COLUMN expires_at;
ALTER TABLE versions DROP COLUMN source_id;
DROP TABLE registry_admins;
DROP TABLE registries;
