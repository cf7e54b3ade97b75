package inspect_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/inspect"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
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

var intraday5min = sources.Kind{Function: sources.Intraday, Interval: "5min"}

// kindBars returns symbol's sample bars of kind: for intraday ones those
// of June 2024, else the bars of January to March 2006.
func kindBars(t *testing.T, symbol string, kind sources.Kind) arrow.RecordBatch {
	t.Helper()
	mem := memory.NewGoAllocator()
	if kind.IsIntraday() {
		return sources.NewRecord(kind, symbol, sample.Intraday(symbol, sources.Month{Year: 2024, Month: time.June}, kind, sample.End), mem)
	}
	daily := sample.History(symbol, time.Date(2006, time.March, 31, 0, 0, 0, 0, time.UTC))
	return sources.NewRecord(kind, symbol, sample.Periods(daily, kind.Function), mem)
}

// kindMeta is the metadata of a sample series of kind.
func kindMeta(kind sources.Kind) map[string]string {
	return map[string]string{"source": "sample (synthetic data)", "function": kind.String()}
}

// write writes recs (released here) into dir through the writer `loader
// fetch` uses, in format and layout, and returns the paths written.
func write(t *testing.T, dir string, format dataset.Format, layout dataset.Layout, recs ...arrow.RecordBatch) []string {
	t.Helper()
	return writeMeta(t, dir, format, layout, sampleMeta, recs...)
}

// writeMeta is write with the file metadata meta.
func writeMeta(t *testing.T, dir string, format dataset.Format, layout dataset.Layout, meta map[string]string, recs ...arrow.RecordBatch) []string {
	t.Helper()
	var series []sources.Series
	for _, rec := range recs {
		defer rec.Release()
		sym := rec.Column(0).(*array.String).Value(0)
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	return loadertest.WriteSeries(t, sinks.Options{Dir: dir, Format: format, Layout: layout, Metadata: meta}, series...)
}

func TestPathGolden(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to inspect
	}{
		{"parquet_file", func(t *testing.T, dir string) string {
			return write(t, dir, dataset.FormatParquet, dataset.LayoutFiles, bars(t, "AAPL", 0, 8, true))[0]
		}},
		{"arrow_file", func(t *testing.T, dir string) string {
			return write(t, dir, dataset.FormatArrow, dataset.LayoutFiles, bars(t, "MSFT", 0, 5, false))[0]
		}},
		{"csv_file", func(t *testing.T, dir string) string {
			return write(t, dir, dataset.FormatCSV, dataset.LayoutFiles, bars(t, "IBM", 100, 106, true))[0]
		}},
		{"dir_per_symbol", func(t *testing.T, dir string) string {
			write(t, dir, dataset.FormatParquet, dataset.LayoutFiles, bars(t, "AAPL", 0, 4, false), bars(t, "MSFT", 10, 13, false))
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(manifestOf("AAPL", "MSFT")), 0o644)
			os.WriteFile(filepath.Join(dir, ".IBM.parquet.tmp-42"), []byte("half written"), 0o644)
			return dir
		}},
		{"dir_with_unlisted", func(t *testing.T, dir string) string {
			write(t, dir, dataset.FormatParquet, dataset.LayoutFiles, bars(t, "AAPL", 0, 4, false), bars(t, "MSFT", 10, 13, false))
			write(t, dir, dataset.FormatCSV, dataset.LayoutFiles, bars(t, "AAPL", 0, 2, false))
			os.WriteFile(filepath.Join(dir, "_manifest.json"), []byte(manifestOf("AAPL")), 0o644)
			return dir
		}},
		{"dir_hive", func(t *testing.T, dir string) string {
			write(t, dir, dataset.FormatParquet, dataset.LayoutHive, bars(t, "AAPL", 0, 3, false), bars(t, "GOOG", 0, 2, false))
			// The writer makes one part per partition; a second part, as
			// other tools add them, holds more of AAPL's rows.
			more := write(t, t.TempDir(), dataset.FormatParquet, dataset.LayoutHive, bars(t, "AAPL", 3, 5, false))[0]
			if err := os.Rename(more, filepath.Join(dir, "symbol=AAPL", "part-1.parquet")); err != nil {
				t.Fatal(err)
			}
			return dir
		}},
		{"dir_single_file", func(t *testing.T, dir string) string {
			write(t, dir, dataset.FormatParquet, dataset.LayoutSingle, bars(t, "AAPL", 0, 3, false), bars(t, "TSLA", 0, 4, false))
			return dir
		}},
		// Intraday bars show their time range to the minute, in the
		// exchange's zone, whatever the format.
		{"intraday_parquet", func(t *testing.T, dir string) string {
			return writeMeta(t, dir, dataset.FormatParquet, dataset.LayoutFiles, kindMeta(intraday5min), kindBars(t, "IBM", intraday5min))[0]
		}},
		{"intraday_csv_dir", func(t *testing.T, dir string) string {
			write(t, dir, dataset.FormatCSV, dataset.LayoutFiles, kindBars(t, "IBM", intraday5min), kindBars(t, "MSFT", intraday5min))
			return dir
		}},
		{"weekly_adjusted_arrow", func(t *testing.T, dir string) string {
			weekly := sources.Kind{Function: sources.Weekly, Adjusted: true}
			return writeMeta(t, dir, dataset.FormatArrow, dataset.LayoutFiles, kindMeta(weekly), kindBars(t, "IBM", weekly))[0]
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
	t.Parallel()
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

// TestPathHiveSymbols is the regression test of hive partitions named with
// escapes: symbol=EURUSD%3DX holds EURUSD=X, and the report says so.
func TestPathHiveSymbols(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	write(t, dir, dataset.FormatParquet, dataset.LayoutHive, bars(t, "EURUSD=X", 0, 3, false), bars(t, "^GSPC", 0, 2, false))
	for _, part := range []string{"symbol=EURUSD%3DX", "symbol=%5EGSPC"} {
		if _, err := os.Stat(filepath.Join(dir, part, "part-0.parquet")); err != nil {
			t.Fatalf("the writer made no %s: %v", part, err)
		}
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	if err := inspect.Path(context.Background(), &out, dir, mem); err != nil {
		t.Fatal(err)
	}
	// Each file's block, in file name order (%5EGSPC first), lists its
	// symbol under "symbols"; the total lists them all, by symbol.
	var listed []string
	lines := strings.Split(out.String(), "\n")
	for i, line := range lines {
		if strings.HasPrefix(line, "  symbols ") && i+1 < len(lines) {
			listed = append(listed, strings.Fields(lines[i+1])[0])
		}
		if strings.HasPrefix(line, "total:") {
			for _, l := range lines[i+1:] {
				if f := strings.Fields(l); len(f) > 0 {
					listed = append(listed, f[0])
				}
			}
		}
	}
	if want := []string{"^GSPC", "EURUSD=X", "EURUSD=X", "^GSPC"}; !slices.Equal(listed, want) {
		t.Errorf("symbols listed %q, want %q; report:\n%s", listed, want, out.String())
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
