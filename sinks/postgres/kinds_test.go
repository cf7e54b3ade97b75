package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// TestWeeklyAndMonthly writes weekly and monthly series, adjusted or not,
// each kind in its own table, and reads back exactly what was written.
func TestWeeklyAndMonthly(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	for _, kind := range []sources.Kind{
		{Function: sources.Weekly}, {Function: sources.Weekly, Adjusted: true},
		{Function: sources.Monthly}, {Function: sources.Monthly, Adjusted: true},
	} {
		t.Run(kind.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			table := "prices_" + string(kind.Function)
			if kind.Adjusted {
				table += "_adjusted"
			}
			sink := open(t, postgres.Options{URL: url, Table: table})
			ser, err := sample.Source{Kind: kind}.Fetch(ctx, "IBM", mem)
			if err != nil {
				t.Fatal(err)
			}
			defer ser.Record.Release()
			f, err := sink.Write(ctx, ser)
			if err != nil {
				t.Fatal(err)
			}
			last := ser.Record.NumRows() - 1
			dates := ser.Record.Column(1).(*array.Date32)
			if f.Rows != ser.Record.NumRows() || !f.FirstDate.Equal(dates.Value(0).ToTime()) || !f.LastDate.Equal(dates.Value(int(last)).ToTime()) {
				t.Errorf("Write = %+v", f)
			}
			got, err := sink.ReadSeries(ctx, "IBM", mem)
			if err != nil {
				t.Fatal(err)
			}
			defer got.Record.Release()
			if !array.RecordEqual(got.Record, ser.Record) {
				t.Errorf("read back other values than written:\n%v\nwrote\n%v", got.Record.Schema(), ser.Record.Schema())
			}
			hasSplit := count(t, conn, "SELECT count(*) FROM information_schema.columns WHERE table_name = $1 AND column_name = 'split_coefficient'", table)
			if hasSplit != 0 {
				t.Errorf("%s has a split_coefficient column", table)
			}
		})
	}
}

// TestIntraday writes intraday series into a table keyed by (symbol,
// timestamp), a timestamptz column, and reads them back exactly, zone
// included; a second write of overlapping bars replaces the symbol's.
func TestIntraday(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := sample.Source{Kind: sources.Kind{Function: sources.Intraday, Interval: "30min"}}
	sink := open(t, postgres.Options{URL: url, Table: "bars"})
	june, err := src.FetchMonth(ctx, "IBM", sources.Month{Year: 2024, Month: time.June}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer june.Record.Release()
	f, err := sink.Write(ctx, june)
	if err != nil {
		t.Fatal(err)
	}
	first, last := time.Date(2024, 6, 3, 0, 0, 0, 0, time.UTC), time.Date(2024, 6, 28, 0, 0, 0, 0, time.UTC)
	if f.Rows != june.Record.NumRows() || !f.FirstDate.Equal(first) || !f.LastDate.Equal(last) {
		t.Errorf("Write = %+v, want %d rows on %s … %s", f, june.Record.NumRows(), first, last)
	}
	var typ string
	if err := conn.QueryRow(ctx, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'bars'::regclass AND attname = 'timestamp'").Scan(&typ); err != nil || typ != "timestamp with time zone" {
		t.Errorf("column timestamp is %q (%v), want timestamp with time zone", typ, err)
	}
	// The first bar, 09:30 in New York, is 13:30 UTC in the table.
	var at time.Time
	if err := conn.QueryRow(ctx, "SELECT min(timestamp) FROM bars WHERE symbol = 'IBM'").Scan(&at); err != nil || !at.Equal(time.Date(2024, 6, 3, 13, 30, 0, 0, time.UTC)) {
		t.Errorf("first stored bar %s (%v), want 2024-06-03 13:30 UTC", at, err)
	}
	got, err := sink.ReadSeries(ctx, "IBM", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Record.Release()
	if ts := got.Record.Schema().Field(1).Type; !arrow.TypeEqual(ts, sources.TimestampType) {
		t.Errorf("timestamp reads back as %s, want %s", ts, sources.TimestampType)
	}
	if !array.RecordEqual(got.Record, june.Record) {
		t.Errorf("read back other values than written")
	}

	// The last week of June again, alone: the symbol now holds those bars.
	week := june.Record.NewSlice(june.Record.NumRows()-5*13, june.Record.NumRows())
	defer week.Release()
	if _, err := sink.Write(ctx, sources.Series{Symbol: "IBM", Record: week}); err != nil {
		t.Fatal(err)
	}
	if n := count(t, conn, "SELECT count(*) FROM bars WHERE symbol = 'IBM'"); n != week.NumRows() {
		t.Errorf("%d rows after the rewrite, want %d", n, week.NumRows())
	}
	back, file, err := sink.Read(ctx, "IBM", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer back.Release()
	if !array.RecordEqual(back, week) || !file.FirstDate.Equal(time.Date(2024, 6, 24, 0, 0, 0, 0, time.UTC)) || !file.LastDate.Equal(last) {
		t.Errorf("Read after the rewrite: other values, or file %+v", file)
	}
}

// TestIntradayNeedsAZone refuses an intraday series whose timestamps
// carry no zone, whose instants are unknown, before anything is written.
func TestIntradayNeedsAZone(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	b := array.NewRecordBuilder(mem, arrow.NewSchema([]arrow.Field{
		{Name: sources.ColSymbol, Type: arrow.BinaryTypes.String},
		{Name: sources.ColTimestamp, Type: &arrow.TimestampType{Unit: arrow.Microsecond}},
		{Name: sources.ColClose, Type: arrow.PrimitiveTypes.Float64},
	}, nil))
	defer b.Release()
	b.Field(0).(*array.StringBuilder).Append("IBM")
	b.Field(1).(*array.TimestampBuilder).Append(0)
	b.Field(2).(*array.Float64Builder).Append(1)
	rec := b.NewRecordBatch()
	defer rec.Release()
	sink := open(t, postgres.Options{URL: url})
	_, err := sink.Write(ctx, sources.Series{Symbol: "IBM", Record: rec})
	if err == nil || !strings.Contains(err.Error(), "IBM") || !strings.Contains(err.Error(), "time zone") {
		t.Fatalf("Write of zoneless timestamps: %v, want an error naming IBM and the zone", err)
	}
	if n := count(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'prices'"); n != 0 {
		t.Errorf("the refused write created the table")
	}
}
