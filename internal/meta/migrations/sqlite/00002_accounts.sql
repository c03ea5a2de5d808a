-- Accounts: users with API keys, teams with members, public projects. An
-- entity created before accounts existed (or by logging to a name no account
-- has) keeps kind '' until a user adopts it.

-- +goose Up
ALTER TABLE entities ADD COLUMN kind TEXT NOT NULL DEFAULT '' CHECK (kind IN ('', 'user', 'team'));
ALTER TABLE entities ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;

-- A user's personal entity is its name; admin is a boolean (0 or 1).
CREATE TABLE users (
    id         INTEGER PRIMARY KEY,
    entity_id  BIGINT  NOT NULL UNIQUE REFERENCES entities (id),
    admin      INTEGER NOT NULL DEFAULT 0 CHECK (admin IN (0, 1)),
    created_at BIGINT  NOT NULL
);

-- Only a key's SHA-256, in hex, is kept; prefix tells keys apart in lists.
CREATE TABLE api_keys (
    id         INTEGER PRIMARY KEY,
    user_id    BIGINT  NOT NULL REFERENCES users (id),
    hash       TEXT    NOT NULL UNIQUE,
    prefix     TEXT    NOT NULL,
    label      TEXT    NOT NULL,
    created_at BIGINT  NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX api_keys_by_user ON api_keys (user_id, created_at);

CREATE TABLE members (
    team_id BIGINT NOT NULL REFERENCES entities (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    role    TEXT   NOT NULL CHECK (role IN ('admin', 'member', 'viewer')),
    PRIMARY KEY (team_id, user_id)
);
-- The teams of a user, for deciding what it may see.
CREATE INDEX members_by_user ON members (user_id, team_id);

ALTER TABLE projects ADD COLUMN public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1));

-- Which projects hold a blob: a server checks it before handing the blob out.
CREATE INDEX entries_by_digest ON entries (digest);

-- +goose Down
DROP INDEX entries_by_digest;
ALTER TABLE projects DROP COLUMN public;
DROP TABLE members;
DROP TABLE api_keys;
DROP TABLE users;
ALTER TABLE entities DROP COLUMN created_at;
ALTER TABLE entities DROP COLUMN kind;
