package postgres

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
)

// DefaultTable is the table a Sink writes when Options.Table is empty.
const DefaultTable = "prices"

// DefaultMaxConns is the connection bound when Options.MaxConns is 0.
const DefaultMaxConns = 4

// Options configure a Sink.
type Options struct {
	// URL is the database, postgres://USER[:PASSWORD]@HOST:PORT/DB (or
	// postgresql://). What it leaves out comes from the standard PG*
	// environment variables, and a missing password from ~/.pgpass (or
	// $PGPASSFILE), as libpq does.
	URL string
	// Table is the data table, "name" in the connection's current schema
	// or "schema.name" (default DefaultTable). The state tables
	// loader_datasets and loader_symbols live in the same schema.
	Table string
	// MaxConns bounds the connections to the server (default
	// DefaultMaxConns), the one holding the table's lock included: it is
	// the pool's MaxConns and how many symbols are written at once.
	MaxConns int
	// Schema, if set, is the schema of every series the run will write,
	// as sources.DailySchema plus any transform columns: Open then creates
	// a missing table, or checks an existing one, before anything is
	// fetched. Without it that happens at the first Write.
	Schema *arrow.Schema
	// Settings, if set, are what shaped the data (source, function,
	// output size, transforms, dates). Open records them for the table and
	// refuses a table recorded with others (*SettingsError); each symbol's
	// state row carries their hash, so Completed knows what a resumed run
	// may keep.
	Settings map[string]string
	// Overwrite replaces the table: Open drops it and the state of its
	// symbols, and records Settings anew, instead of refusing a table whose
	// columns or settings differ.
	Overwrite bool
}

// IsURL reports whether out names a PostgreSQL database rather than a
// directory: it starts with postgres:// or postgresql://.
func IsURL(out string) bool {
	lower := strings.ToLower(out)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

func (o Options) withDefaults() (Options, error) {
	if !IsURL(o.URL) {
		return o, errors.New("postgres: the URL must start with postgres:// or postgresql://")
	}
	if o.Table == "" {
		o.Table = DefaultTable
	}
	if o.MaxConns == 0 {
		o.MaxConns = DefaultMaxConns
	}
	if o.MaxConns < 1 {
		return o, fmt.Errorf("postgres: MaxConns must be at least 1, got %d", o.MaxConns)
	}
	return o, nil
}

// tableName is a table's schema and name, unquoted.
type tableName struct{ schema, name string }

// parseTable splits "schema.name" or "name" (schema empty: the current one).
func parseTable(s string) (tableName, error) {
	schema, name, qualified := strings.Cut(s, ".")
	if !qualified {
		schema, name = "", s
	}
	if name == "" || (qualified && schema == "") || strings.Contains(name, ".") {
		return tableName{}, fmt.Errorf("postgres: table %q: want NAME or SCHEMA.NAME", s)
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return tableName{}, fmt.Errorf("postgres: table %q: control characters are not allowed", s)
		}
	}
	return tableName{schema: schema, name: name}, nil
}

// String returns schema.name as a person reads it.
func (t tableName) String() string { return t.schema + "." + t.name }

// ident returns the table's name quoted for SQL.
func (t tableName) ident() string { return pgx.Identifier{t.schema, t.name}.Sanitize() }

// sibling returns a table of the same schema, quoted for SQL.
func (t tableName) sibling(name string) string { return pgx.Identifier{t.schema, name}.Sanitize() }
