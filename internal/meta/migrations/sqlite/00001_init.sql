-- Trove metadata schema, SQLite dialect. Portable types only, so the PostgreSQL
-- schema is this file with its own key syntax: ids BIGINT, times BIGINT unix
-- microseconds, JSON as TEXT.

-- +goose Up
CREATE TABLE entities (
    id   INTEGER PRIMARY KEY,
    name TEXT    NOT NULL UNIQUE
);

CREATE TABLE projects (
    id        INTEGER PRIMARY KEY,
    entity_id BIGINT  NOT NULL REFERENCES entities (id),
    name      TEXT    NOT NULL,
    -- run_seq counts the project's runs; it numbers auto-generated run names.
    run_seq   BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (entity_id, name)
);

-- nodes hands out one id sequence to runs and versions alike, so lineage edges
-- are plain (src, dst) pairs in a single table and the lineage walk is one
-- recursive query over it. AUTOINCREMENT: a node id is never reused, even if
-- garbage collection removes the newest node some day.
CREATE TABLE nodes (
    id   INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT    NOT NULL CHECK (kind IN ('run', 'version'))
);

CREATE TABLE runs (
    id           TEXT    PRIMARY KEY,
    node_id      BIGINT  NOT NULL UNIQUE REFERENCES nodes (id),
    project_id   BIGINT  NOT NULL REFERENCES projects (id),
    seq          BIGINT  NOT NULL,
    name         TEXT    NOT NULL,
    job_type     TEXT    NOT NULL,
    run_group    TEXT    NOT NULL,
    config       TEXT    NOT NULL,
    tags         TEXT    NOT NULL,
    state        TEXT    NOT NULL,
    started_at   BIGINT  NOT NULL,
    finished_at  BIGINT,
    heartbeat_at BIGINT  NOT NULL,
    UNIQUE (project_id, seq)
);
CREATE INDEX runs_by_name ON runs (project_id, name, seq);

CREATE TABLE collections (
    id         INTEGER PRIMARY KEY,
    project_id BIGINT  NOT NULL REFERENCES projects (id),
    name       TEXT    NOT NULL,
    type       TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    -- next_index is the index the next new version gets. It only grows, so
    -- indexes are never reused after a delete.
    next_index BIGINT  NOT NULL DEFAULT 0,
    UNIQUE (project_id, name)
);

-- A version's id is its node id.
CREATE TABLE versions (
    id            INTEGER PRIMARY KEY REFERENCES nodes (id),
    collection_id BIGINT  NOT NULL REFERENCES collections (id),
    idx           BIGINT  NOT NULL,
    digest        TEXT    NOT NULL,
    description   TEXT    NOT NULL,
    metadata      TEXT    NOT NULL,
    size          BIGINT  NOT NULL,
    file_count    BIGINT  NOT NULL,
    state         TEXT    NOT NULL CHECK (state IN ('committed', 'deleted')),
    created_at    BIGINT  NOT NULL,
    created_by    TEXT    REFERENCES runs (id),
    UNIQUE (collection_id, idx)
);
CREATE INDEX versions_by_digest ON versions (collection_id, digest);

CREATE TABLE entries (
    version_id BIGINT NOT NULL REFERENCES versions (id),
    path       TEXT   NOT NULL,
    digest     TEXT   NOT NULL,
    size       BIGINT NOT NULL,
    ref        TEXT   NOT NULL,
    extra      TEXT,
    PRIMARY KEY (version_id, path)
);

-- latest is a row here like any other alias; the store moves it.
CREATE TABLE aliases (
    collection_id BIGINT NOT NULL REFERENCES collections (id),
    alias         TEXT   NOT NULL,
    version_id    BIGINT NOT NULL REFERENCES versions (id),
    PRIMARY KEY (collection_id, alias)
);
CREATE INDEX aliases_by_version ON aliases (version_id, alias);

-- Edges point the way data flows: run -> version it logged (output),
-- version -> run that used it (input). id orders edges of equal created_at.
CREATE TABLE edges (
    id         INTEGER PRIMARY KEY,
    src        BIGINT  NOT NULL REFERENCES nodes (id),
    dst        BIGINT  NOT NULL REFERENCES nodes (id),
    kind       TEXT    NOT NULL CHECK (kind IN ('input', 'output')),
    created_at BIGINT  NOT NULL,
    UNIQUE (src, dst)
);
CREATE INDEX edges_by_dst ON edges (dst, src);

-- +goose Down
DROP TABLE edges;
DROP TABLE aliases;
DROP TABLE entries;
DROP TABLE versions;
DROP TABLE collections;
DROP TABLE runs;
DROP TABLE nodes;
DROP TABLE projects;
DROP TABLE entities;
