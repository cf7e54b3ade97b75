package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

// 30 symbols arrive exactly as served, each with its state row; a second
// run changes nothing, not even where the rows lie.
func TestThirtySymbolsExactlyAsServedAndIdempotent(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	syms := symbolsN(30)
	opts := postgres.Options{URL: url, Settings: map[string]string{"source": "sample"}}

	rep := load(t, opts, syms)
	if rep.Incomplete() != 0 {
		t.Fatalf("%d of 30 symbols failed: %+v", rep.Incomplete(), rep.Results)
	}
	var total int64
	for _, res := range rep.Results {
		want := sample.Series(res.Symbol)
		if res.File.Path != "public.prices" || res.File.Rows != int64(len(want)) ||
			!res.File.FirstDate.Equal(want[0].Date) || !res.File.LastDate.Equal(want[len(want)-1].Date) {
			t.Errorf("%s: result %+v, want %d rows in public.prices from %v to %v", res.Symbol, res.File, len(want), want[0].Date, want[len(want)-1].Date)
		}
		checkValues(t, conn, "prices", res.Symbol)
		total += int64(len(want))
	}
	if got := checkWhole(t, conn, "prices", syms); got != 30 {
		t.Fatalf("%d of 30 symbols whole", got)
	}
	if n := count(t, conn, "SELECT count(*) FROM prices"); n != total {
		t.Fatalf("%d rows, want %d", n, total)
	}

	// Where every row lies, and the state rows but when they were fetched
	// and written.
	placement := "SELECT md5(string_agg(ctid::text || xmin::text, ',' ORDER BY symbol, date)) FROM prices"
	states := "SELECT md5(string_agg(concat_ws('|', symbol, rows, first_date, last_date, attempts, settings_hash, meta - 'fetched_at'), ',' ORDER BY symbol)) FROM loader_symbols"
	var before, beforeStates string
	conn.QueryRow(context.Background(), placement).Scan(&before)
	conn.QueryRow(context.Background(), states).Scan(&beforeStates)

	rep = load(t, opts, syms)
	if rep.Incomplete() != 0 {
		t.Fatalf("second run: %d failed", rep.Incomplete())
	}
	if n := count(t, conn, "SELECT count(*) FROM prices"); n != total {
		t.Fatalf("after a second run %d rows, want %d", n, total)
	}
	var after, afterStates string
	conn.QueryRow(context.Background(), placement).Scan(&after)
	conn.QueryRow(context.Background(), states).Scan(&afterStates)
	if after != before {
		t.Error("a second run of the same data rewrote rows")
	}
	if afterStates != beforeStates {
		t.Error("a second run of the same data changed the state rows")
	}
}

// Write makes the table hold exactly the series: rows it lacks go, changed
// rows change, the rest stay.
func TestWriteReplacesTheSymbol(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	sink := open(t, postgres.Options{URL: url, Table: "p"})
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	full := sample.Bars("AAPL", false, mem)
	defer full.Release()
	write := func(rec arrow.RecordBatch) {
		t.Helper()
		if _, err := sink.Write(ctx, sources.Series{Symbol: "AAPL", Record: rec, Attempts: 1}); err != nil {
			t.Fatal(err)
		}
	}
	write(full)
	n := full.NumRows()
	last100 := full.NewSlice(n-100, n)
	defer last100.Release()
	write(last100)
	if got := count(t, conn, "SELECT count(*) FROM p WHERE symbol = 'AAPL'"); got != 100 {
		t.Fatalf("after writing the last 100 days: %d rows", got)
	}
	if got := count(t, conn, "SELECT rows FROM loader_symbols WHERE symbol = 'AAPL'"); got != 100 {
		t.Fatalf("state row: %d rows", got)
	}

	// A revised close on the last day.
	b := array.NewRecordBuilder(mem, last100.Schema())
	defer b.Release()
	for i := range int(last100.NumCols()) {
		col := last100.Column(i)
		for r := range col.Len() {
			if last100.ColumnName(i) == sources.ColClose && r == col.Len()-1 {
				b.Field(i).(*array.Float64Builder).Append(123.25)
				continue
			}
			if err := b.Field(i).AppendValueFromString(col.ValueStr(r)); err != nil {
				t.Fatal(err)
			}
		}
	}
	revised := b.NewRecordBatch()
	defer revised.Release()
	write(revised)
	if got := count(t, conn, "SELECT count(*) FROM p WHERE symbol = 'AAPL' AND close = 123.25"); got != 1 {
		t.Fatalf("the revised close: %d rows", got)
	}
	if got := count(t, conn, "SELECT count(*) FROM p"); got != 100 {
		t.Fatalf("%d rows after the revision", got)
	}
}

// Adjusted and transform columns, nulls included, read back exactly as
// written.
func TestReadSeriesRoundTrip(t *testing.T) {
	var _ fetch.Reader = (*postgres.Sink)(nil) // what `loader update` needs
	t.Parallel()
	_, url, _ := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	features, err := transform.Parse("returns,sma:20,rsi:14")
	if err != nil {
		t.Fatal(err)
	}
	sink := open(t, postgres.Options{URL: url})

	for _, sym := range []string{"IBM", "MSFT"} {
		raw := sample.Bars(sym, true, mem)
		rec, err := features(raw, mem)
		raw.Release()
		if err != nil {
			t.Fatal(err)
		}
		meta := map[string]string{"source": "sample", "fetched_at": "2026-01-02T03:04:05Z"}
		if _, err := sink.Write(ctx, sources.Series{Symbol: sym, Record: rec, Attempts: 3, Meta: meta}); err != nil {
			t.Fatal(err)
		}
		got, err := sink.ReadSeries(ctx, sym, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Record.Schema().Equal(rec.Schema()) {
			t.Errorf("%s: read back schema\n%v\nwrote\n%v", sym, got.Record.Schema(), rec.Schema())
		}
		if !array.RecordEqual(got.Record, rec) {
			t.Errorf("%s: read back other values than written", sym)
		}
		if got.Symbol != sym || got.Attempts != 3 || got.Meta["source"] != "sample" {
			t.Errorf("%s: read back %q, %d attempts, meta %v", sym, got.Symbol, got.Attempts, got.Meta)
		}
		// Read, which `loader update` uses, returns the same record and
		// what holds it.
		back, file, err := sink.Read(ctx, sym, mem)
		if err != nil {
			t.Fatal(err)
		}
		if !array.RecordEqual(back, rec) || file.Path != sink.Table() || file.Rows != rec.NumRows() || file.FirstDate != sample.Start || file.LastDate.IsZero() {
			t.Errorf("%s: Read returned other values, or file %+v", sym, file)
		}
		back.Release()
		st, err := sink.State(ctx, sym)
		if err != nil {
			t.Fatal(err)
		}
		if st.Rows != rec.NumRows() || !st.FetchedAt.Equal(time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)) || st.FirstDate != sample.Start {
			t.Errorf("%s: state %+v", sym, st)
		}
		got.Record.Release()
		rec.Release()
	}
	if _, err := sink.ReadSeries(ctx, "NOPE", mem); !errors.Is(err, postgres.ErrNoSymbol) {
		t.Errorf("ReadSeries of a symbol never written: %v, want ErrNoSymbol", err)
	}
	states, err := sink.States(ctx)
	if err != nil || len(states) != 2 || states[0].Symbol != "IBM" || states[1].Symbol != "MSFT" {
		t.Errorf("States = %+v, %v", states, err)
	}
}

// --db-conns bounds the connections while eight writers compete for them,
// and every one is closed when the run ends.
func TestConnectionsNeverExceedMaxConns(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	const maxConns = 2
	sink := open(t, postgres.Options{URL: url, MaxConns: maxConns})

	var peak, poolPeak atomic.Int64
	done := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			select {
			case <-done:
				return
			default:
			}
			if n := loaderConns(t, conn); n > peak.Load() {
				peak.Store(n)
			}
			if n := int64(sink.Stat().TotalConns()); n > poolPeak.Load() {
				poolPeak.Store(n)
			}
		}
	}()
	rep, err := fetch.Run(context.Background(), fetch.Config{
		Symbols: symbolsN(40), Source: sample.Source{}, Sink: sink, WriteWorkers: 8,
	})
	close(done)
	<-watched
	if err != nil || rep.Incomplete() != 0 {
		t.Fatalf("Run: %v, %d failed", err, rep.Incomplete())
	}
	if peak.Load() > maxConns || poolPeak.Load() > maxConns {
		t.Fatalf("%d connections on the server, %d in the pool: more than MaxConns %d", peak.Load(), poolPeak.Load(), maxConns)
	}
	if peak.Load() < maxConns {
		t.Errorf("at most %d connections were seen: the writers did not use the %d allowed", peak.Load(), maxConns)
	}
	waitFor(t, 5*time.Second, "connections left open after the run", func() bool { return loaderConns(t, conn) == 0 })
}

// A cancelled run releases every connection and keeps what it committed
// whole.
func TestCancelledRunReleasesConnections(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	sink, err := postgres.Open(context.Background(), postgres.Options{URL: url, MaxConns: 3})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var written atomic.Int64
	syms := symbolsN(200)
	_, err = fetch.Run(ctx, fetch.Config{
		Symbols: syms, Source: sample.Source{}, Sink: sink, WriteWorkers: 3,
		OnResult: func(r fetch.Result) {
			if r.Status == dataset.StatusOK && written.Add(1) == 10 {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Run: %v, want cancelled", err)
	}
	waitFor(t, 5*time.Second, "connections left open after Abort", func() bool { return loaderConns(t, conn) == 0 })
	if whole := checkWhole(t, conn, "prices", syms); whole < 10 || whole == len(syms) {
		t.Errorf("%d symbols whole after cancelling at 10", whole)
	}
}

// A second writer is refused at once, naming the first; the lock goes
// with the first's Close.
func TestSecondWriterIsLockedOut(t *testing.T) {
	t.Parallel()
	_, url, _ := database(t)
	first := open(t, postgres.Options{URL: url})
	start := time.Now()
	_, err := postgres.Open(context.Background(), postgres.Options{URL: url})
	if !errors.Is(err, postgres.ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the second writer took %v to be refused", d)
	}
	if !strings.Contains(err.Error(), "loader pid ") || !strings.Contains(err.Error(), "public.prices") {
		t.Errorf("the error does not name the table and the other writer: %v", err)
	}
	// Another table of the same database is free.
	other := open(t, postgres.Options{URL: url, Table: "other"})
	other.Close()

	first.Close()
	again := open(t, postgres.Options{URL: url})
	again.Close()
}

// Every Arrow type the sink maps crosses the server and reads back as
// written, nulls included.
func TestEveryTypeThroughTheServer(t *testing.T) {
	t.Parallel()
	_, url, conn := database(t)
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "symbol", Type: arrow.BinaryTypes.String},
		{Name: "date", Type: arrow.FixedWidthTypes.Date32},
		{Name: "label", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "i4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i2", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "flag", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "at", Type: &arrow.TimestampType{Unit: arrow.Microsecond}, Nullable: true},
		{Name: "at_tz", Type: &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for i, row := range []string{
		`["X", "1970-01-01", "a ünïcode 'quoted' label", -1.5e300, 0.25, -9223372036854775808, 2147483647, -32768, true, "1999-12-31T23:59:59.999999", "2000-01-01T00:00:00.000001Z"]`,
		`["X", "2025-12-31", null, null, null, null, null, null, null, null, null]`,
	} {
		if err := b.UnmarshalJSON([]byte(jsonRow(schema, row))); err != nil {
			t.Fatalf("row %d: %v", i, err)
		}
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	sink := open(t, postgres.Options{URL: url, Table: "every_type"})
	if _, err := sink.Write(ctx, sources.Series{Symbol: "X", Record: rec}); err != nil {
		t.Fatal(err)
	}
	got, err := sink.ReadSeries(ctx, "X", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Record.Release()
	if !array.RecordEqual(got.Record, rec) {
		t.Fatalf("read back\n%v\nwrote\n%v", got.Record, rec)
	}
	var label string
	var at time.Time
	conn.QueryRow(ctx, "SELECT label, at_tz FROM every_type WHERE date = '1970-01-01'").Scan(&label, &at)
	if label != "a ünïcode 'quoted' label" || !at.Equal(time.Date(2000, 1, 1, 0, 0, 0, 1000, time.UTC)) {
		t.Errorf("the server holds %q, %v", label, at)
	}
}

// jsonRow turns a JSON array of one row's values into the JSON object the
// record builder reads.
func jsonRow(schema *arrow.Schema, row string) string {
	var vals []json.RawMessage
	if err := json.Unmarshal([]byte(row), &vals); err != nil {
		panic(err)
	}
	parts := make([]string, len(vals))
	for i, v := range vals {
		parts[i] = strconv.Quote(schema.Field(i).Name) + ": " + string(v)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}
