package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/seed-c7c8f39b/loader/sources"
)

// ErrSchema is matched (errors.Is) by a *SchemaError.
var ErrSchema = errors.New("the table's columns differ from the series'")

// SchemaError refuses an existing table whose columns are not those of the
// series: writing would fail halfway or mix two kinds of rows.
// Options.Overwrite replaces the table instead.
type SchemaError struct {
	// Table is schema.name.
	Table string
	// Differences name each column that differs, one sentence each.
	Differences []string
}

func (e *SchemaError) Error() string {
	return fmt.Sprintf("table %s does not fit the series: %s", e.Table, strings.Join(e.Differences, "; "))
}

func (e *SchemaError) Unwrap() error { return ErrSchema }

// column is one column of the data table.
type column struct {
	name    string
	typ     pgType // only typ.name is set for a type loader does not know
	notNull bool
}

func (c column) String() string {
	if c.notNull {
		return c.name + " " + c.typ.name + " NOT NULL"
	}
	return c.name + " " + c.typ.name
}

// columnsOf returns the table columns that series of schema need: symbol
// first, then every field but symbol, in order. Fields that Arrow declares
// not nullable are NOT NULL; (symbol, date) is the primary key, or of an
// intraday series (symbol, timestamp), a timestamptz column.
func columnsOf(schema *arrow.Schema) ([]column, error) {
	// The key's time column, the types it may have, and what they are.
	key, allowed, want := sources.ColDate, []string{dateType.name, timestampType.name, timestamptzType.name}, "a date or a timestamp"
	if _, intraday, err := sources.TimeAxis(schema); err == nil && intraday {
		// Stored as instants, so it must carry a zone.
		key, allowed, want = sources.ColTimestamp, []string{timestamptzType.name}, "a timestamp with a time zone"
	}
	cols := []column{{name: sources.ColSymbol, typ: textType, notNull: true}}
	hasKey := false
	for _, f := range schema.Fields() {
		t, err := typeOf(f.Type)
		if err != nil {
			return nil, fmt.Errorf("column %s: %w", f.Name, err)
		}
		switch f.Name {
		case sources.ColSymbol:
			if t.name != textType.name {
				return nil, fmt.Errorf("column symbol is %s, want a string", f.Type)
			}
			continue
		case key:
			if !slices.Contains(allowed, t.name) {
				return nil, fmt.Errorf("column %s is %s, want %s", key, f.Type, want)
			}
			hasKey = true
		}
		cols = append(cols, column{name: f.Name, typ: t, notNull: !f.Nullable || f.Name == key})
	}
	if !hasKey {
		return nil, errors.New("the series has no date column")
	}
	return cols, nil
}

// keyOf returns the time column that, after symbol, keys a table of
// cols: timestamp for intraday bars, else date.
func keyOf(cols []column) string {
	if slices.ContainsFunc(cols, func(c column) bool { return c.name == sources.ColTimestamp }) {
		return sources.ColTimestamp
	}
	return sources.ColDate
}

// createTable returns the statement that creates t with cols.
func createTable(t tableName, cols []column) string {
	var b strings.Builder
	fmt.Fprintf(&b, "CREATE TABLE %s (", t.ident())
	for _, c := range cols {
		fmt.Fprintf(&b, "%s %s", pgx.Identifier{c.name}.Sanitize(), c.typ.name)
		if c.notNull {
			b.WriteString(" NOT NULL")
		}
		b.WriteString(", ")
	}
	fmt.Fprintf(&b, "PRIMARY KEY (%s, %s))", pgx.Identifier{sources.ColSymbol}.Sanitize(), pgx.Identifier{keyOf(cols)}.Sanitize())
	return b.String()
}

// querier is a connection or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// tableColumns returns t's columns in their order, and whether a unique
// index covers exactly (symbol, date) — (symbol, timestamp) when it has a
// timestamp column — as INSERT … ON CONFLICT needs; no columns when t
// does not exist.
func tableColumns(ctx context.Context, q querier, t tableName) ([]column, bool, error) {
	rows, err := q.Query(ctx, `
		SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull
		FROM pg_attribute a
		WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
		ORDER BY a.attnum`, t.ident())
	if err != nil {
		return nil, false, err
	}
	var cols []column
	for rows.Next() {
		var c column
		var typ string
		if err := rows.Scan(&c.name, &typ, &c.notNull); err != nil {
			return nil, false, err
		}
		c.typ, _ = typeNamed(typ)
		c.typ.name = typ
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil || len(cols) == 0 {
		return nil, false, err
	}
	var keyed bool
	err = q.QueryRow(ctx, `
		SELECT EXISTS (
			SELECT 1 FROM pg_index i
			WHERE i.indrelid = to_regclass($1) AND i.indisunique AND i.indpred IS NULL AND i.indnkeyatts = 2
			  AND (SELECT array_agg(a.attname::text ORDER BY a.attname)
			       FROM pg_attribute a
			       WHERE a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey::int2[])) = $2::text[])`,
		t.ident(), slices.Sorted(slices.Values([]string{keyOf(cols), sources.ColSymbol}))).Scan(&keyed)
	return cols, keyed, err
}

// differences names every way in which have, the table's columns, differ
// from want, those a series needs: none when the series can be written.
func differences(want, have []column, keyed bool) []string {
	var diffs []string
	for _, w := range want {
		i := slices.IndexFunc(have, func(h column) bool { return h.name == w.name })
		switch {
		case i < 0:
			diffs = append(diffs, fmt.Sprintf("it has no column %s (%s)", w.name, w.typ.name))
		case have[i].typ.name != w.typ.name:
			diffs = append(diffs, fmt.Sprintf("column %s is %s, the series has %s", w.name, have[i].typ.name, w.typ.name))
		case have[i].notNull && !w.notNull:
			diffs = append(diffs, fmt.Sprintf("column %s is NOT NULL, the series may hold nulls", w.name))
		}
	}
	for _, h := range have {
		if !slices.ContainsFunc(want, func(w column) bool { return w.name == h.name }) {
			diffs = append(diffs, fmt.Sprintf("column %s (%s) is not in the series", h.name, h.typ.name))
		}
	}
	if !keyed {
		diffs = append(diffs, fmt.Sprintf("no primary key or unique index on (symbol, %s)", keyOf(want)))
	}
	return diffs
}
