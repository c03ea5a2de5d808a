-- Expiry (time-to-live). Every lookup first asks whether a committed
-- version is due (see internal/meta/expiry.go); versions_by_expiry would
-- make that walk every version that ever expired or was deleted with a
-- time-to-live, a list that only grows. This index holds the live ones only.

-- +goose Up
CREATE INDEX versions_due ON versions (expires_at) WHERE state = 'committed' AND expires_at IS NOT NULL;

-- +goose Down
DROP INDEX versions_due;
