package postgres_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

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
			if err := postgres.CheckKind(kind); err != nil {
				t.Fatalf("CheckKind(%s) = %v", kind, err)
			}
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

// TestIntradayIsRefused checks that an intraday series fails its write,
// naming the symbol, before anything is written: no table, no state row.
func TestIntradayIsRefused(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	kind := sources.Kind{Function: sources.Intraday, Interval: "5min"}
	if err := postgres.CheckKind(kind); !errors.Is(err, postgres.ErrIntraday) {
		t.Errorf("CheckKind(%s) = %v, want ErrIntraday", kind, err)
	}
	sink := open(t, postgres.Options{URL: url})
	ser, err := sample.Source{Kind: kind}.FetchMonth(ctx, "IBM", sources.Month{Year: 2024, Month: time.June}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer ser.Record.Release()
	_, err = sink.Write(ctx, ser)
	if !errors.Is(err, postgres.ErrIntraday) || !strings.Contains(err.Error(), "IBM") {
		t.Fatalf("Write of an intraday series: %v, want ErrIntraday naming IBM", err)
	}
	if n := count(t, conn, "SELECT count(*) FROM pg_tables WHERE tablename = 'prices'"); n != 0 {
		t.Errorf("the refused write created the table")
	}
	if states, err := sink.States(ctx); err != nil || len(states) != 0 {
		t.Errorf("States = %+v, %v; want none", states, err)
	}
}
