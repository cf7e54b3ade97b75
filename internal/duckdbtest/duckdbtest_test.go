package duckdbtest_test

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/duckdbtest"
)

// TestInstall installs the package if it is not yet; .ci/run runs it
// first, with CI set, so that the tests find DuckDB ready.
func TestInstall(t *testing.T) {
	dir := duckdbtest.Dir(t)
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@duckdb", "node-api", "package.json")); err != nil {
		t.Fatalf("Dir = %s, which holds no %s: %v", dir, duckdbtest.Package, err)
	}
}

// TestQueryValues: each type comes back in the JSON form Row documents.
func TestQueryValues(t *testing.T) {
	tests := []struct {
		name, expr string
		want       any
	}{
		{"bigint", "count(*)", "1"},
		{"integer", "42::INTEGER", 42.0},
		{"double", "1.5::DOUBLE", 1.5},
		{"varchar", "'BRK.B'", "BRK.B"},
		{"boolean", "true", true},
		{"date", "DATE '2024-01-02'", "2024-01-02"},
		{"timestamp with time zone", "TIMESTAMPTZ '2024-06-28 15:55:00-04'", "2024-06-28 19:55:00+00"},
		{"null", "NULL", nil},
		{"list", "[1, 2]", []any{1.0, 2.0}},
	}
	var cols []string
	for i, tt := range tests {
		cols = append(cols, tt.expr+" AS c"+string(rune('a'+i)))
	}
	rows := duckdbtest.Query(t, "SELECT "+strings.Join(cols, ", "))
	if len(rows) != 1 {
		t.Fatalf("%d rows, want 1", len(rows))
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := rows[0]["c"+string(rune('a'+i))]; !reflect.DeepEqual(got, tt.want) {
				t.Errorf("%s = %#v, want %#v", tt.expr, got, tt.want)
			}
		})
	}
}

// TestQueryFiles reads a CSV file written here, after a statement that
// returns nothing: the rows are those of the last statement.
func TestQueryFiles(t *testing.T) {
	p := filepath.Join(t.TempDir(), "a.csv")
	if err := os.WriteFile(p, []byte("symbol,close\nAAPL,1.5\nMSFT,2.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	rows := duckdbtest.Query(t, "SET threads = 1; SELECT symbol, close FROM read_csv('"+p+"') ORDER BY symbol")
	want := []duckdbtest.Row{{"symbol": "AAPL", "close": 1.5}, {"symbol": "MSFT", "close": 2.5}}
	if !reflect.DeepEqual(rows, want) {
		t.Errorf("rows = %v, want %v", rows, want)
	}
}

func TestRunGivesDuckDBsError(t *testing.T) {
	_, err := duckdbtest.Run(t, "SELECT * FROM no_such_table")
	if err == nil || !strings.Contains(err.Error(), "no_such_table") {
		t.Errorf("Run = %v, want DuckDB's error naming the table", err)
	}
}
