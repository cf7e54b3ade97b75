package transform_test

import (
	"errors"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/transform"
)

var hourly = sources.Kind{Function: sources.Intraday, Interval: "60min", ExtendedHours: true}

// intradayRecord returns IBM's hourly sample bars, extended hours (04:00
// to 19:00 exchange time), of June 2024: 20 trading days from Monday the
// 3rd to Friday the 28th, 16 bars a day.
func intradayRecord(t *testing.T, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	bars := sample.Intraday("IBM", sources.Month{Year: 2024, Month: time.June}, hourly, sample.End)
	if len(bars) != 20*16 {
		t.Fatalf("%d sample bars, want %d", len(bars), 20*16)
	}
	return sources.NewRecord(hourly, "IBM", bars, mem)
}

func barTime(rec arrow.RecordBatch, i int) time.Time {
	return time.UnixMicro(int64(rec.Column(1).(*array.Timestamp).Value(i))).In(sources.Exchange)
}

// TestDateRangeIntraday checks the date range over a timestamp column: a
// start date keeps the bars from 00:00 of that day in exchange time, an
// end date those through the end of that day, wherever start and end are.
func TestDateRangeIntraday(t *testing.T) {
	t.Parallel()
	june := func(d int) time.Time { return time.Date(2024, time.June, d, 0, 0, 0, 0, time.UTC) }
	at := func(d, h int) time.Time { return time.Date(2024, time.June, d, h, 0, 0, 0, sources.Exchange) }
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err)
	}
	var open time.Time
	tests := []struct {
		name        string
		start, end  time.Time
		first, last time.Time // zero for no rows
		rows        int
	}{
		{"whole month", june(3), june(28), at(3, 4), at(28, 19), 320},
		{"one day", june(4), june(4), at(4, 4), at(4, 19), 16},
		{"open start", open, june(3), at(3, 4), at(3, 19), 16},
		{"open end", june(28), open, at(28, 4), at(28, 19), 16},
		{"both open", open, open, at(3, 4), at(28, 19), 320},
		{"weekend start", june(8), june(10), at(10, 4), at(10, 19), 16},
		{"weekend only", june(8), june(9), time.Time{}, time.Time{}, 0},
		{"time of day ignored", june(4).Add(23 * time.Hour), june(5).Add(time.Minute), at(4, 4), at(5, 19), 32},
		// 2024-06-05 08:00 in Tokyo is the 4th in New York; its own date,
		// the 5th, counts.
		{"own location's date", time.Date(2024, time.June, 5, 8, 0, 0, 0, tokyo), time.Date(2024, time.June, 5, 8, 0, 0, 0, tokyo), at(5, 4), at(5, 19), 16},
		{"after the series", june(29), open, time.Time{}, time.Time{}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := intradayRecord(t, mem)
			defer in.Release()
			out, err := transform.DateRange(tt.start, tt.end)(in, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			if int(out.NumRows()) != tt.rows {
				t.Fatalf("%d rows, want %d", out.NumRows(), tt.rows)
			}
			if tt.rows == 0 {
				return
			}
			if got := barTime(out, 0); !got.Equal(tt.first) {
				t.Errorf("first bar %s, want %s", got, tt.first)
			}
			if got := barTime(out, tt.rows-1); !got.Equal(tt.last) {
				t.Errorf("last bar %s, want %s", got, tt.last)
			}
		})
	}
}

// TestFeaturesIntraday checks that the features run per bar over an
// intraday series, as over a daily one: the same values as over the same
// closes and volumes on a date axis.
func TestFeaturesIntraday(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := intradayRecord(t, mem)
	defer in.Release()
	const spec = "returns,log_returns,sma:5,ema:5,volatility:5,rsi:14,zscore:volume:10"
	f, err := transform.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	out, err := f(in, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()

	// The same closes on a date axis.
	closes := in.Column(in.Schema().FieldIndices(sources.ColClose)[0]).(*array.Float64).Float64Values()
	daily := newRecord(mem, closes)
	defer daily.Release()
	volumes := in.Column(in.Schema().FieldIndices(sources.ColVolume)[0])
	cols := append([]arrow.Array{}, daily.Columns()...)
	cols[3] = volumes
	daily = array.NewRecordBatch(daily.Schema(), cols, daily.NumRows())
	defer daily.Release()
	want, err := f(daily, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer want.Release()
	if out.NumRows() != in.NumRows() {
		t.Fatalf("%d rows out of %d", out.NumRows(), in.NumRows())
	}
	for _, name := range []string{"return", "log_return", "sma_5", "ema_5", "volatility_5", "rsi_14", "zscore_volume_10"} {
		checkFloats(t, name, floats(t, out, name), floats(t, want, name), 0)
	}
}

// TestBuildEmptyRangeIntraday checks that an empty range says where an
// intraday series lies, in exchange time.
func TestBuildEmptyRangeIntraday(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := intradayRecord(t, mem)
	defer in.Release()
	f, err := transform.Build("", time.Date(2024, time.July, 1, 0, 0, 0, 0, time.UTC), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := f(in, mem)
	if err == nil {
		out.Release()
		t.Fatal("no error for a range after the series")
	}
	const want = "no data in the range 2024-07-01 …: the series runs 2024-06-03 04:00 EDT … 2024-06-28 19:00 EDT"
	if !errors.Is(err, transform.ErrEmptyRange) || err.Error() != want {
		t.Errorf("err = %q\nwant  %q", err, want)
	}
}
