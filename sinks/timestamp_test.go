package sinks_test

import (
	"bufio"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/duckdbtest"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/schema"

	"github.com/seed-c7c8f39b/loader/sinks"
)

// intradaySeries returns IBM's 5-minute sample bars of June 2024 (in
// daylight saving time, 4 hours behind UTC), built with mem.
func intradaySeries(t *testing.T, mem memory.Allocator) sources.Series {
	t.Helper()
	s, err := sample.Source{Kind: sources.Kind{Function: sources.Intraday, Interval: "5min"}}.
		FetchMonth(context.Background(), "IBM", sources.Month{Year: 2024, Month: time.June}, mem)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// writeOne writes s in format under a new directory and returns the
// file's description and path.
func writeOne(t *testing.T, s sources.Series, format dataset.Format, opts sinks.Options) (dataset.File, string) {
	t.Helper()
	opts.Dir, opts.Format = t.TempDir(), format
	w, err := sinks.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	f, err := w.Write(context.Background(), s)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return f, filepath.Join(opts.Dir, filepath.FromSlash(f.Path))
}

// TestParquetTimestampIsAnInstant checks the Parquet type of an intraday
// series' timestamp column: INT64 TIMESTAMP(isAdjustedToUTC=true, MICROS),
// which DuckDB reads as TIMESTAMP WITH TIME ZONE and Polars and pyarrow
// as instants, not as wall-clock times of an unknown zone.
func TestParquetTimestampIsAnInstant(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	s := intradaySeries(t, mem)
	defer s.Record.Release()
	_, path := writeOne(t, s, dataset.FormatParquet, sinks.Options{Allocator: mem})
	r, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	sc := r.MetaData().Schema
	idx := sc.ColumnIndexByName(sources.ColTimestamp)
	if idx < 0 {
		t.Fatalf("%s: no %s column in %s", path, sources.ColTimestamp, sc)
	}
	col := sc.Column(idx)
	ts, ok := col.LogicalType().(schema.TimestampLogicalType)
	if col.PhysicalType() != parquet.Types.Int64 || !ok || !ts.IsAdjustedToUTC() || ts.TimeUnit() != schema.TimeUnitMicros {
		t.Errorf("%s is %s %s, want INT64 Timestamp(isAdjustedToUTC=true, timeUnit=microseconds)", sources.ColTimestamp, col.PhysicalType(), col.LogicalType())
	}
	// The first bar, 09:30 New York time, is 13:30 UTC.
	rg := r.RowGroup(0)
	cr, err := rg.Column(idx)
	if err != nil {
		t.Fatal(err)
	}
	values := make([]int64, 1)
	if _, _, err := cr.(*file.Int64ColumnChunkReader).ReadBatch(1, values, nil, nil); err != nil {
		t.Fatal(err)
	}
	if got, want := time.UnixMicro(values[0]).UTC(), time.Date(2024, time.June, 3, 13, 30, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("first stored instant %s, want %s", got, want)
	}
}

// TestCSVTimestampsAreRFC3339 checks that the CSV writer writes an
// intraday bar's time as RFC 3339 in exchange time, with the offset.
func TestCSVTimestampsAreRFC3339(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	s := intradaySeries(t, mem)
	defer s.Record.Release()
	_, path := writeOne(t, s, dataset.FormatCSV, sinks.Options{Allocator: mem})
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	var lines []string
	for sc.Scan() && len(lines) < 2 {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "symbol,timestamp,") || !strings.HasPrefix(lines[1], "IBM,2024-06-03T09:30:00-04:00,") {
		t.Errorf("%s starts %q, want a header and IBM,2024-06-03T09:30:00-04:00,…", path, lines)
	}
}

// TestDescribeIntraday checks what Write reports of an intraday series:
// its rows, and the exchange days of its first and last bar, whatever
// the format.
func TestDescribeIntraday(t *testing.T) {
	t.Parallel()
	for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			mem := fixture.NewMem(t)
			s := intradaySeries(t, mem)
			defer s.Record.Release()
			f, _ := writeOne(t, s, format, sinks.Options{Allocator: mem})
			first, last := time.Date(2024, time.June, 3, 0, 0, 0, 0, time.UTC), time.Date(2024, time.June, 28, 0, 0, 0, 0, time.UTC)
			if f.Rows != s.Record.NumRows() || !f.FirstDate.Equal(first) || !f.LastDate.Equal(last) {
				t.Errorf("Write = %d rows %s → %s, want %d rows %s → %s", f.Rows, f.FirstDate, f.LastDate, s.Record.NumRows(), first, last)
			}
		})
	}
}

// TestIntradayMetadata checks that an intraday file carries the writer's
// metadata as a daily one does; a Parquet file adds the Arrow schema
// (ARROW:schema), which keeps the timestamps' zone.
func TestIntradayMetadata(t *testing.T) {
	t.Parallel()
	run := map[string]string{"source": "sample", "loader_version": "v0.1.0"}
	for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow} {
		t.Run(string(format), func(t *testing.T) {
			t.Parallel()
			mem := fixture.NewMem(t)
			s := intradaySeries(t, mem)
			defer s.Record.Release()
			_, path := writeOne(t, s, format, sinks.Options{Allocator: mem, Metadata: run})
			got := fileMetadata(t, path, format)
			want := merged(run, s.Meta)
			if format == dataset.FormatParquet {
				if got["ARROW:schema"] == "" {
					t.Errorf("no ARROW:schema in %v", got)
				}
				delete(got, "ARROW:schema")
			}
			if len(got) != len(want) {
				t.Errorf("metadata = %v, want %v", got, want)
			}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("metadata[%s] = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

// TestDuckDBReadsIntradayInstants has DuckDB itself read an intraday
// series written in each format: the timestamps must be instants (TIMESTAMP
// WITH TIME ZONE), the first bar, 09:30 in New York in June, 13:30 UTC, and
// every bar there.
func TestDuckDBReadsIntradayInstants(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	s := intradaySeries(t, mem)
	defer s.Record.Release()
	for _, tt := range []struct {
		format dataset.Format
		read   string
	}{
		{dataset.FormatParquet, "read_parquet('%s')"},
		{dataset.FormatCSV, "read_csv('%s')"},
	} {
		t.Run(string(tt.format), func(t *testing.T) {
			_, path := writeOne(t, s, tt.format, sinks.Options{Allocator: mem})
			from := strings.Replace(tt.read, "%s", path, 1)
			rows := duckdbtest.Query(t, `SELECT typeof(min("timestamp")) AS type, min("timestamp") AS first, count(*) AS n FROM `+from)
			want := duckdbtest.Row{"type": "TIMESTAMP WITH TIME ZONE", "first": "2024-06-03 13:30:00+00", "n": strconv.FormatInt(s.Record.NumRows(), 10)}
			if len(rows) != 1 || !maps.Equal(rows[0], want) {
				t.Errorf("DuckDB reads %s as %v, want %v", path, rows, want)
			}
		})
	}
}
