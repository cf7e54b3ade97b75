package postgres

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// The state tables, in the data table's schema. Every Write commits a
// symbol's rows and its loader_symbols row in one transaction.
const (
	// DatasetsTable holds one row per data table: the settings that
	// shaped it.
	DatasetsTable = "loader_datasets"
	// SymbolsTable holds one row per stored symbol of a data table.
	SymbolsTable = "loader_symbols"
)

// schemaVersion is the version of the state tables' layout.
const schemaVersion = 1

// stateDDL creates the state tables in the schema of t.
func stateDDL(t tableName) string {
	return fmt.Sprintf(`
		CREATE TABLE IF NOT EXISTS %s (
			table_name     text PRIMARY KEY,
			settings       jsonb NOT NULL,
			schema_version integer NOT NULL,
			created_at     timestamptz NOT NULL DEFAULT now(),
			updated_at     timestamptz NOT NULL DEFAULT now()
		);
		CREATE TABLE IF NOT EXISTS %s (
			table_name    text NOT NULL,
			symbol        text NOT NULL,
			rows          bigint NOT NULL,
			first_date    date,
			last_date     date,
			fetched_at    timestamptz,
			written_at    timestamptz NOT NULL,
			attempts      integer NOT NULL,
			settings_hash text NOT NULL,
			meta          jsonb NOT NULL,
			PRIMARY KEY (table_name, symbol)
		)`, t.sibling(DatasetsTable), t.sibling(SymbolsTable))
}

// State is what loader_symbols records about one stored symbol, committed
// with its rows: the table holds exactly Rows rows of Symbol.
type State struct {
	Symbol string
	Rows   int64
	// FirstDate and LastDate are the first and last day stored (UTC
	// midnight), zero without rows.
	FirstDate, LastDate time.Time
	// FetchedAt is when the source answered; WrittenAt when the rows were
	// committed.
	FetchedAt, WrittenAt time.Time
	Attempts             int
	// SettingsHash identifies the settings the rows were fetched with
	// (see Options.Settings); empty without settings.
	SettingsHash string
	// Meta is the series' metadata (source, function, output size).
	Meta map[string]string
}

// ErrSettings is matched (errors.Is) by a *SettingsError.
var ErrSettings = errors.New("the table was written with other settings")

// SettingsError refuses a table recorded with settings other than the
// run's: its rows would mix two kinds of data. Options.Overwrite replaces
// the table instead.
type SettingsError struct {
	// Table is schema.name.
	Table string
	// Differences name each setting that differs, one sentence each:
	// "--transform: the table has none, this run asks for sma:5".
	Differences []string
}

func (e *SettingsError) Error() string {
	return fmt.Sprintf("table %s was written with other settings: %s", e.Table, strings.Join(e.Differences, "; "))
}

func (e *SettingsError) Unwrap() error { return ErrSettings }

// settingsDiff names every setting whose value differs between have, the
// table's, and want, the run's; an empty value reads "none".
func settingsDiff(have, want map[string]string) []string {
	keys := slices.Sorted(maps.Keys(have))
	for k := range want {
		if _, ok := have[k]; !ok {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	none := func(v string) string {
		if v == "" {
			return "none"
		}
		return v
	}
	var diffs []string
	for _, k := range keys {
		if have[k] != want[k] {
			diffs = append(diffs, fmt.Sprintf("%s: the table has %s, this run asks for %s", k, none(have[k]), none(want[k])))
		}
	}
	return diffs
}

// settingsHash identifies settings: the same settings give the same hash on
// any machine. No settings hash to "".
func settingsHash(settings map[string]string) string {
	if settings == nil {
		return ""
	}
	h := sha256.New()
	for _, k := range slices.Sorted(maps.Keys(settings)) {
		fmt.Fprintf(h, "%q=%q\n", k, settings[k])
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

// recordSettings checks the run's settings against those recorded for t
// and records them where none are; with overwrite it replaces them.
func recordSettings(ctx context.Context, tx pgx.Tx, t tableName, settings map[string]string, overwrite bool) (map[string]string, error) {
	var have map[string]string
	err := tx.QueryRow(ctx, fmt.Sprintf("SELECT settings FROM %s WHERE table_name = $1", t.sibling(DatasetsTable)), t.name).Scan(&have)
	found := err == nil
	if err != nil && !errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("postgres: read the settings of %s: %w", t, err)
	}
	if settings == nil {
		return have, nil
	}
	if found && !overwrite {
		if diffs := settingsDiff(have, settings); len(diffs) > 0 {
			return have, fmt.Errorf("postgres: %w", &SettingsError{Table: t.String(), Differences: diffs})
		}
	}
	_, err = tx.Exec(ctx, fmt.Sprintf(`
		INSERT INTO %s (table_name, settings, schema_version) VALUES ($1, $2, $3)
		ON CONFLICT (table_name) DO UPDATE SET settings = EXCLUDED.settings, schema_version = EXCLUDED.schema_version, updated_at = now()`,
		t.sibling(DatasetsTable)), t.name, settings, schemaVersion)
	if err != nil {
		return nil, fmt.Errorf("postgres: record the settings of %s: %w", t, err)
	}
	return settings, nil
}

// stateColumns are the columns scanStates reads, in its order.
const stateColumns = "symbol, rows, first_date, last_date, fetched_at, written_at, attempts, settings_hash, meta"

func scanStates(rows pgx.Rows) ([]State, error) {
	return pgx.CollectRows(rows, func(row pgx.CollectableRow) (State, error) {
		var (
			st              State
			first, last, at *time.Time
			attempts        int32
			meta            map[string]string
		)
		err := row.Scan(&st.Symbol, &st.Rows, &first, &last, &at, &st.WrittenAt, &attempts, &st.SettingsHash, &meta)
		for _, p := range []struct {
			dst *time.Time
			src *time.Time
		}{{&st.FirstDate, first}, {&st.LastDate, last}, {&st.FetchedAt, at}} {
			if p.src != nil {
				*p.dst = p.src.UTC()
			}
		}
		st.WrittenAt = st.WrittenAt.UTC()
		st.Attempts, st.Meta = int(attempts), meta
		return st, err
	})
}
