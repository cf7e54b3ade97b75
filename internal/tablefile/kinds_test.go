package tablefile_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

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

// kinds are the series every kind round trip writes.
var kinds = []sources.Kind{
	{},
	{Adjusted: true},
	{Function: sources.Weekly},
	{Function: sources.Weekly, Adjusted: true},
	{Function: sources.Monthly, Adjusted: true},
	{Function: sources.Intraday, Interval: "5min"},
	{Function: sources.Intraday, Interval: "60min", Adjusted: true, ExtendedHours: true},
}

// june2024 is the month of the intraday series the tests write: it starts
// in daylight saving time, so that an offset lost would show.
var june2024 = sources.Month{Year: 2024, Month: time.June}

// kindSeries returns symbol's sample series of kind: for intraday the
// bars of june2024, else the whole history.
func kindSeries(t *testing.T, kind sources.Kind, symbol string, mem memory.Allocator) sources.Series {
	t.Helper()
	src := sample.Source{Kind: kind}
	var s sources.Series
	var err error
	if kind.IsIntraday() {
		s, err = src.FetchMonth(context.Background(), symbol, june2024, mem)
	} else {
		s, err = src.Fetch(context.Background(), symbol, mem)
	}
	if err != nil {
		t.Fatal(err)
	}
	if s.Record.NumRows() == 0 {
		t.Fatalf("%s %s: no bars", kind, symbol)
	}
	return s
}

// TestReadEveryKind checks that the reader gives back exactly what the
// writer wrote, schema (with the timestamp's zone) and values, for every
// kind of series, format and layout.
func TestReadEveryKind(t *testing.T) {
	t.Parallel()
	for _, kind := range kinds {
		for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
			for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle, dataset.LayoutHive} {
				t.Run(fmt.Sprintf("%s/%s/%s", kind, format, layout), func(t *testing.T) {
					t.Parallel()
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					var series []sources.Series
					for _, symbol := range []string{"AAPL", "BRK.B"} {
						s := kindSeries(t, kind, symbol, mem)
						defer s.Record.Release()
						series = append(series, s)
					}
					paths := loadertest.WriteSeries(t, sinks.Options{Dir: t.TempDir(), Format: format, Layout: layout, RowGroupSize: 500, Allocator: mem}, series...)
					if layout == dataset.LayoutSingle {
						// One file holds every symbol, in order.
						want := concat(t, mem, series)
						defer want.Release()
						checkFile(t, mem, paths[0], want, false)
						return
					}
					for i, s := range series {
						checkFile(t, mem, paths[i], s.Record, layout == dataset.LayoutHive)
					}
				})
			}
		}
	}
}

// checkFile reads path and checks it holds want's columns (but the symbol
// column when dropSymbol is set) and rows exactly.
func checkFile(t *testing.T, mem memory.Allocator, path string, want arrow.RecordBatch, dropSymbol bool) {
	t.Helper()
	f, err := tablefile.Read(context.Background(), path, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Release()
	if dropSymbol {
		want = dropColumn(want, 0)
		defer want.Release()
	}
	if len(f.Schema.Fields()) != len(want.Schema().Fields()) {
		t.Fatalf("%s: schema\n%s\nwant\n%s", path, f.Schema, want.Schema())
	}
	for i, w := range want.Schema().Fields() {
		if g := f.Schema.Field(i); g.Name != w.Name || !arrow.TypeEqual(g.Type, w.Type) {
			t.Fatalf("%s: column %d is %s %s, want %s %s", path, i, g.Name, g.Type, w.Name, w.Type)
		}
	}
	got := concatRecords(t, mem, f.Schema, f.Records)
	defer got.Release()
	if !array.RecordEqual(got, want) {
		t.Errorf("%s: values differ from what was written", path)
	}
}

func concat(t *testing.T, mem memory.Allocator, series []sources.Series) arrow.RecordBatch {
	t.Helper()
	var recs []arrow.RecordBatch
	for _, s := range series {
		recs = append(recs, s.Record)
	}
	return concatRecords(t, mem, series[0].Record.Schema(), recs)
}

// concatRecords returns recs as one record of schema.
func concatRecords(t *testing.T, mem memory.Allocator, schema *arrow.Schema, recs []arrow.RecordBatch) arrow.RecordBatch {
	t.Helper()
	cols := make([]arrow.Array, schema.NumFields())
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
	n := int64(0)
	if len(cols) > 0 {
		n = int64(cols[0].Len())
	}
	return array.NewRecordBatch(arrow.NewSchema(schema.Fields(), nil), cols, n)
}

// dropColumn returns rec without column i.
func dropColumn(rec arrow.RecordBatch, i int) arrow.RecordBatch {
	fields := append(append([]arrow.Field{}, rec.Schema().Fields()[:i]...), rec.Schema().Fields()[i+1:]...)
	cols := append(append([]arrow.Array{}, rec.Columns()[:i]...), rec.Columns()[i+1:]...)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// TestCSVTimestamps checks what the CSV reader takes in a timestamp
// column: an RFC 3339 time with its offset, as the writer writes it, in
// any offset, and gives it in exchange time; a time without an offset is
// an error naming the file, as its instant is unknown.
func TestCSVTimestamps(t *testing.T) {
	t.Parallel()
	want := time.Date(2024, time.June, 28, 19, 55, 0, 0, sources.Exchange)
	tests := []struct {
		name, value string
		ok          bool
	}{
		{"as written", "2024-06-28T19:55:00-04:00", true},
		{"in UTC", "2024-06-28T23:55:00Z", true},
		{"other offset", "2024-06-29T01:55:00+02:00", true},
		{"space separated", "2024-06-28 19:55:00-04:00", true},
		{"no offset", "2024-06-28 19:55:00", false},
		{"a date", "2024-06-28", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			data := []byte("symbol,timestamp,close\nIBM," + tt.value + ",1.5\n")
			f, err := tablefile.Decode(context.Background(), "IBM.csv", data, mem)
			if !tt.ok {
				if err == nil {
					f.Release()
					t.Fatalf("%q read, want an error", tt.value)
				}
				if !strings.Contains(err.Error(), "IBM.csv") {
					t.Errorf("error %q does not name the file", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			if typ := f.Schema.Field(1).Type; !arrow.TypeEqual(typ, sources.TimestampType) {
				t.Fatalf("timestamp column is %s, want %s", typ, sources.TimestampType)
			}
			ts := f.Records[0].Column(1).(*array.Timestamp)
			if got := time.UnixMicro(int64(ts.Value(0))); !got.Equal(want) {
				t.Errorf("%q read as %s, want %s", tt.value, got, want)
			}
		})
	}
}
