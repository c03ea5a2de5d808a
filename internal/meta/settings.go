package meta

// This file holds the store's settings: values a store records about itself
// once and that every process opening it must honour, such as whether its
// file blobs are encrypted and under which key (see blob.CheckAtRest). They
// live in the metadata database because that is what every process of a
// store, embedded or server, opens first and shares.

import (
	"context"
	"database/sql"
	"errors"

	"github.com/troveml/trove/internal/core"
)

// Setting returns the value of the store setting name, and false when it
// was never set.
func (s *Store) Setting(ctx context.Context, name string) (string, bool, error) {
	if name == "" {
		return "", false, core.Errorf(core.ErrInvalid, "store setting: no name")
	}
	var value string
	err := s.readOne(ctx, func(q q) error {
		return q.queryRow(ctx, `SELECT value FROM store_settings WHERE name = ?`, name).Scan(&value)
	})
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, err
	}
	return value, true, nil
}

// InitSetting sets the store setting name to value unless it is set
// already, and returns the value it holds afterwards: value, or the one that
// was set first, by this process or another. So of several processes that
// initialise a setting at once exactly one wins, and all of them learn
// which value won. A set value never changes.
func (s *Store) InitSetting(ctx context.Context, name, value string) (string, error) {
	if name == "" {
		return "", core.Errorf(core.ErrInvalid, "store setting: no name")
	}
	var stored string
	err := s.write(ctx, func(q q) error {
		// On PostgreSQL, DO NOTHING waits for a concurrent insert of the
		// same name to commit, and the SELECT, a statement of its own at
		// READ COMMITTED, then sees that row.
		if _, err := q.exec(ctx, `INSERT INTO store_settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING`, name, value); err != nil {
			return err
		}
		return q.queryRow(ctx, `SELECT value FROM store_settings WHERE name = ?`, name).Scan(&stored)
	})
	if err != nil {
		return "", err
	}
	return stored, nil
}
