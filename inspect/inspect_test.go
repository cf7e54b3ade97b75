package inspect_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/inspect"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

var sampleMeta = map[string]string{"source": "sample (synthetic data)", "function": "TIME_SERIES_DAILY"}

// bars returns rows [from, to) of symbol's sample series with, when withSMA,
// a 3-day moving average of the close that is null for the first two rows,
// like a transform column.
func bars(t *testing.T, symbol string, from, to int64, withSMA bool) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	full := sample.Bars(symbol, false, mem)
	defer full.Release()
	rec := full.NewSlice(from, to)
	if !withSMA {
		return rec
	}
	defer rec.Release()
	closes := rec.Column(5).(*array.Float64)
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for i := range closes.Len() {
		if i < 2 {
			b.AppendNull()
			continue
		}
		b.Append((closes.Value(i) + closes.Value(i-1) + closes.Value(i-2)) / 3)
	}
	sma := b.NewFloat64Array()
	defer sma.Release()
	schema := arrow.NewSchema(append(rec.Schema().Fields(), arrow.Field{Name: "sma_3", Type: arrow.PrimitiveTypes.Float64, Nullable: true}), nil)
	return array.NewRecordBatch(schema, append(rec.Columns(), sma), rec.NumRows())
}

func write(t *testing.T, path string, rec arrow.RecordBatch) {
	t.Helper()
	defer rec.Release()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := tablefile.Write(path, rec, sampleMeta); err != nil {
		t.Fatal(err)
	}
}

// concat joins records of one schema into one, for the single-file layout.
func concat(t *testing.T, recs ...arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	cols := make([]arrow.Array, recs[0].NumCols())
	for i := range cols {
		var parts []arrow.Array
		for _, r := range recs {
			parts = append(parts, r.Column(i))
		}
		col, err := array.Concatenate(parts, mem)
		if err != nil {
			t.Fatal(err)
		}
		defer col.Release()
		cols[i] = col
	}
	for _, r := range recs {
		defer r.Release()
	}
	return array.NewRecordBatch(recs[0].Schema(), cols, int64(cols[0].Len()))
}

func TestPathGolden(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to inspect
	}{
		{"parquet_file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "AAPL.parquet")
			write(t, p, bars(t, "AAPL", 0, 8, true))
			return p
		}},
		{"arrow_file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "MSFT.arrow")
			write(t, p, bars(t, "MSFT", 0, 5, false))
			return p
		}},
		{"csv_file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "IBM.csv")
			write(t, p, bars(t, "IBM", 100, 106, true))
			return p
		}},
		{"dir_per_symbol", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "AAPL.parquet"), bars(t, "AAPL", 0, 4, false))
			write(t, filepath.Join(dir, "MSFT.parquet"), bars(t, "MSFT", 10, 13, false))
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(manifestOf("AAPL", "MSFT")), 0o644)
			os.WriteFile(filepath.Join(dir, ".IBM.parquet.tmp-42"), []byte("half written"), 0o644)
			return dir
		}},
		{"dir_with_unlisted", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "AAPL.parquet"), bars(t, "AAPL", 0, 4, false))
			write(t, filepath.Join(dir, "MSFT.parquet"), bars(t, "MSFT", 10, 13, false))
			write(t, filepath.Join(dir, "AAPL.csv"), bars(t, "AAPL", 0, 2, false))
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(manifestOf("AAPL")), 0o644)
			return dir
		}},
		{"dir_hive", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "symbol=AAPL", "part-0.parquet"), bars(t, "AAPL", 0, 3, false))
			write(t, filepath.Join(dir, "symbol=AAPL", "part-1.parquet"), bars(t, "AAPL", 3, 5, false))
			write(t, filepath.Join(dir, "symbol=GOOG", "part-0.parquet"), bars(t, "GOOG", 0, 2, false))
			return dir
		}},
		{"dir_single_file", func(t *testing.T, dir string) string {
			write(t, filepath.Join(dir, "prices.parquet"), concat(t, bars(t, "AAPL", 0, 3, false), bars(t, "TSLA", 0, 4, false)))
			return dir
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := tt.setup(t, dir)
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var out bytes.Buffer
			if err := inspect.Path(context.Background(), &out, path, mem); err != nil {
				t.Fatal(err)
			}
			got := strings.ReplaceAll(out.String(), dir, "DIR")
			golden := filepath.Join("testdata", tt.name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if got != string(want) {
				t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", golden, got, want)
			}
		})
	}
}

func TestPathErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "BAD.parquet")
	if err := os.WriteFile(corrupt, []byte("PAR1 but not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "empty")
	if err := os.Mkdir(empty, 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "NOPE.parquet"), "no such file"},
		{"corrupt file", corrupt, "BAD.parquet"},
		{"directory with a corrupt file", dir, "BAD.parquet"},
		{"empty directory", empty, "no .parquet, .arrow or .csv files"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			err := inspect.Path(context.Background(), &bytes.Buffer{}, tt.path, mem)
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), tt.path) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %q, want it to name %s and say %q", err, tt.path, tt.want)
			}
		})
	}
}

// manifestOf returns a manifest that lists SYMBOL.parquet of each symbol
// as ok.
func manifestOf(symbols ...string) string {
	var entries []string
	for _, s := range symbols {
		entries = append(entries, fmt.Sprintf(`{"symbol": %q, "status": "ok", "file": "%s.parquet"}`, s, s))
	}
	return `{"manifest_version": 2, "settings": {"source": "sample", "format": "parquet", "layout": "files", "schema_version": 1},
		"symbols": [` + strings.Join(entries, ", ") + `]}`
}
