package tablefile_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

var sampleMeta = map[string]string{"source": "sample (synthetic data)"}

// writeBars writes symbol's adjusted sample series as `loader fetch` would
// and returns the file's path and the record, which the caller releases.
func writeBars(t *testing.T, symbol string, format dataset.Format, layout dataset.Layout, mem memory.Allocator) (string, arrow.RecordBatch) {
	t.Helper()
	rec := sample.Bars(symbol, true, mem)
	paths := loadertest.WriteSeries(t, sinks.Options{Dir: t.TempDir(), Format: format, Layout: layout, Metadata: sampleMeta, Allocator: mem},
		sources.Series{Symbol: symbol, Record: rec})
	return paths[0], rec
}

func TestReadWhatTheWriterWrites(t *testing.T) {
	t.Parallel()
	tests := []struct {
		format   dataset.Format
		wantMeta bool
		wantRG   int
	}{
		{dataset.FormatParquet, true, 1},
		{dataset.FormatArrow, true, 0},
		{dataset.FormatCSV, false, 0},
	}
	for _, tt := range tests {
		t.Run(string(tt.format), func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			path, rec := writeBars(t, "AAPL", tt.format, dataset.LayoutFiles, mem)
			defer rec.Release()
			f, err := tablefile.Read(context.Background(), path, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			if f.Format != tt.format || f.Symbol != "AAPL" || f.Path != path {
				t.Errorf("format, symbol, path = %s, %q, %s; want %s, AAPL, %s", f.Format, f.Symbol, f.Path, tt.format, path)
			}
			if f.NumRows() != rec.NumRows() {
				t.Errorf("rows = %d, want %d", f.NumRows(), rec.NumRows())
			}
			for i, field := range rec.Schema().Fields() {
				got := f.Schema.Field(i)
				if got.Name != field.Name || !arrow.TypeEqual(got.Type, field.Type) {
					t.Errorf("field %d = %s %s, want %s %s", i, got.Name, got.Type, field.Name, field.Type)
				}
			}
			closeAt := func(r arrow.RecordBatch) float64 {
				return r.Column(r.Schema().FieldIndices(sources.ColClose)[0]).(*array.Float64).Value(100)
			}
			if got, want := closeAt(f.Records[0]), closeAt(rec); got != want {
				t.Errorf("close[100] = %v, want %v", got, want)
			}
			if got := f.Meta["source"] != ""; got != tt.wantMeta {
				t.Errorf("metadata source present = %v, want %v (meta %v)", got, tt.wantMeta, f.Meta)
			}
			groups, err := f.RowGroups()
			if err != nil {
				t.Fatal(err)
			}
			if len(groups) != tt.wantRG {
				t.Errorf("row groups = %d, want %d", len(groups), tt.wantRG)
			}
		})
	}
}

// TestColumns checks that naming columns reads those the file has, in file
// order, and the same rows, in every format.
func TestColumns(t *testing.T) {
	t.Parallel()
	for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			path, rec := writeBars(t, "MSFT", format, dataset.LayoutFiles, mem)
			defer rec.Release()
			f, err := tablefile.Read(context.Background(), path, mem, sources.ColClose, "no_such_column", sources.ColDate)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			var names []string
			for _, field := range f.Schema.Fields() {
				names = append(names, field.Name)
			}
			if want := []string{sources.ColDate, sources.ColClose}; !slices.Equal(names, want) {
				t.Fatalf("columns %q, want %q", names, want)
			}
			if f.NumRows() != rec.NumRows() {
				t.Errorf("rows = %d, want %d", f.NumRows(), rec.NumRows())
			}
			for _, r := range f.Records {
				if r.NumCols() != 2 || !r.Schema().Equal(f.Schema) {
					t.Errorf("record schema %s, want %s", r.Schema(), f.Schema)
				}
			}
		})
	}
}

// TestDecodeIsRead checks that decoding a file's bytes gives what reading
// the file gives.
func TestDecodeIsRead(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	path, rec := writeBars(t, "IBM", dataset.FormatParquet, dataset.LayoutHive, mem)
	rec.Release()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	read, err := tablefile.Read(context.Background(), path, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer read.Release()
	decoded, err := tablefile.Decode(context.Background(), path, data, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer decoded.Release()
	if !decoded.Schema.Equal(read.Schema) || decoded.Symbol != "IBM" || decoded.NumRows() != read.NumRows() {
		t.Fatalf("decoded %s, %q, %d rows; read %s, %q, %d rows",
			decoded.Schema, decoded.Symbol, decoded.NumRows(), read.Schema, read.Symbol, read.NumRows())
	}
	for i := range read.Records {
		if !array.RecordEqual(decoded.Records[i], read.Records[i]) {
			t.Errorf("record %d differs", i)
		}
	}
}

// TestSymbolOfEscapedNames checks that the files of symbols that are not
// file names, in the layouts that name files after symbols, give the
// symbol back, not its escaped name.
func TestSymbolOfEscapedNames(t *testing.T) {
	t.Parallel()
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutHive} {
		for _, symbol := range []string{"EURUSD=X", "^GSPC", "BRK.B"} {
			t.Run(string(layout)+"/"+symbol, func(t *testing.T) {
				t.Parallel()
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				path, rec := writeBars(t, symbol, dataset.FormatParquet, layout, mem)
				rec.Release()
				f, err := tablefile.Read(context.Background(), path, mem)
				if err != nil {
					t.Fatal(err)
				}
				defer f.Release()
				if f.Symbol != symbol {
					t.Errorf("%s: Symbol = %q, want %q", path, f.Symbol, symbol)
				}
			})
		}
	}
}

func TestReadErrorsNameThePath(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "BAD.parquet")
	if err := os.WriteFile(corrupt, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	badArrow := filepath.Join(dir, "BAD.arrow")
	if err := os.WriteFile(badArrow, []byte("nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	badCSV := filepath.Join(dir, "BAD.csv")
	if err := os.WriteFile(badCSV, []byte("symbol,date,close\nX,notadate,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		is         error
	}{
		{"missing", filepath.Join(dir, "MISSING.parquet"), fs.ErrNotExist},
		{"corrupt parquet", corrupt, nil},
		{"corrupt arrow", badArrow, nil},
		{"bad csv value", badCSV, nil},
		{"not a data file", filepath.Join(dir, "notes.txt"), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			f, err := tablefile.Read(context.Background(), tt.path, mem)
			if err == nil {
				f.Release()
				t.Fatal("Read succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
			if tt.is != nil && !errors.Is(err, tt.is) {
				t.Errorf("error %q is not %v", err, tt.is)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("symbol,date,open,high,low,close,volume\nAAPL,2024-01-02,1,2,0.5,1.5,100\n"))
	f.Add([]byte("symbol,date,close,sma_20\nAAPL,2024-01-02,1.5,\n"))
	f.Add([]byte(""))
	f.Add([]byte("a,b\n1\n"))
	f.Add([]byte("symbol,timestamp,open,high,low,close,volume\nIBM,2024-06-28T19:55:00-04:00,1,2,0.5,1.5,100\n"))
	f.Add([]byte("symbol,timestamp,close\nIBM,2024-06-28 19:55:00,1.5\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		file, err := tablefile.Decode(context.Background(), "fuzz.csv", data, mem)
		if err != nil {
			return
		}
		defer file.Release()
		if len(file.Schema.Fields()) == 0 {
			t.Errorf("read %q: a table with no columns", data)
		}
	})
}

// FuzzDecode feeds Decode damaged Parquet and Arrow IPC files, from seeds the
// writer of `loader fetch` wrote (a daily and an intraday series): it must return an error or records whose
// every value can be read, never panic.
func FuzzDecode(f *testing.F) {
	seeds := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer seeds.AssertSize(f, 0)
	rec := sample.Bars("AAPL", false, seeds)
	defer rec.Release()
	small := rec.NewSlice(0, 20)
	defer small.Release()
	// An intraday series, whose Parquet file stores its Arrow schema.
	bars := sample.Intraday("AAPL", sources.Month{Year: 2024, Month: 6}, sources.Kind{Function: sources.Intraday, Interval: "60min"}, sample.End)
	intraday := sources.NewRecord(sources.Kind{Function: sources.Intraday, Interval: "60min"}, "AAPL", bars[:20], seeds)
	defer intraday.Release()
	for _, rec := range []arrow.RecordBatch{small, intraday} {
		for i, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow} {
			path := loadertest.WriteSeries(f, sinks.Options{Dir: f.TempDir(), Format: format},
				sources.Series{Symbol: "AAPL", Record: rec})[0]
			data, err := os.ReadFile(path)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data, uint8(i))
			f.Add(data[:len(data)/2], uint8(i))
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		name := "X.parquet"
		if format%2 == 1 {
			name = "X.arrow"
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		file, err := tablefile.Decode(context.Background(), name, data, mem)
		if err != nil {
			return
		}
		defer file.Release()
		for _, r := range file.Records {
			for _, col := range r.Columns() {
				for i := range col.Len() {
					_ = col.ValueStr(i)
				}
			}
		}
	})
}
