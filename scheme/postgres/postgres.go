// Package postgres adds PostgreSQL metadata stores to Trove: the database
// where a Trove server keeps its metadata when it scales out (trove server
// --db postgres://user@host:port/database?sslmode=…&pool_max_conns=N).
// Import it for its side effect:
//
//	import _ "github.com/troveml/trove/scheme/postgres"
//
// It registers pgx's database/sql driver, which the store opens by name.
// The trove command imports this package. The Go SDK never opens PostgreSQL
// itself (its embedded store is SQLite; a server is reached over HTTP), so a
// program that uses the SDK does not need it.
package postgres

import (
	// The store uses nothing of pgx but its database/sql driver, "pgx".
	_ "github.com/jackc/pgx/v5/stdlib"
)
