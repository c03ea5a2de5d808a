-- Issue #6, distributed artifacts: every run that upserted into a pending
-- artifact, also one whose entries were all pending already (a retry, or
-- two writers adding the same file), so that all of them become producers
-- of the version the artifact is finished as. pending_entries.run_id keeps
-- only the first run to add each path.

-- +goose Up
CREATE TABLE pending_runs (
    pending_id BIGINT NOT NULL REFERENCES pending_artifacts (id),
    run_id     TEXT   NOT NULL REFERENCES runs (id),
    PRIMARY KEY (pending_id, run_id)
);

-- +goose Down
DROP TABLE pending_runs;
