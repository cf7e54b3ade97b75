package transform_test

import (
	"errors"
	"testing"
	"time"
	_ "time/tzdata" // America/New_York on machines without a zone database

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

func TestDateRange(t *testing.T) {
	t.Parallel()
	jan := func(d int) time.Time { return time.Date(2024, time.January, d, 0, 0, 0, 0, time.UTC) }
	newYork, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatal(err)
	}
	var open time.Time
	// The record holds 2024-01-01 .. 2024-01-10.
	tests := []struct {
		name        string
		start, end  time.Time
		first, last int // days of January kept; 0, 0 for none
	}{
		{"inclusive bounds", jan(3), jan(5), 3, 5},
		{"single day", jan(4), jan(4), 4, 4},
		{"open start", open, jan(2), 1, 2},
		{"open end", jan(9), open, 9, 10},
		{"both open", open, open, 1, 10},
		{"wider than the series", jan(1).AddDate(-1, 0, 0), jan(1).AddDate(1, 0, 0), 1, 10},
		{"first and last rows", jan(1), jan(10), 1, 10},
		{"after the series", jan(11), open, 0, 0},
		{"before the series", open, jan(1).AddDate(0, 0, -1), 0, 0},
		{"time of day ignored", jan(3).Add(23 * time.Hour), jan(5).Add(time.Minute), 3, 5},
		{"own location's date", time.Date(2024, time.January, 3, 22, 0, 0, 0, newYork), time.Date(2024, time.January, 5, 23, 0, 0, 0, newYork), 3, 5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := newRecord(mem, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
			defer in.Release()

			out, err := transform.DateRange(tt.start, tt.end)(in, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			want := 0
			if tt.first > 0 {
				want = tt.last - tt.first + 1
			}
			if int(out.NumRows()) != want {
				t.Fatalf("%d rows, want %d", out.NumRows(), want)
			}
			if want == 0 {
				return
			}
			dates := out.Column(1).(*array.Date32)
			if got := dates.Value(0); got != arrow.Date32FromTime(jan(tt.first)) {
				t.Errorf("first date %s, want %s", got.FormattedString(), jan(tt.first).Format(time.DateOnly))
			}
			if got := dates.Value(want - 1); got != arrow.Date32FromTime(jan(tt.last)) {
				t.Errorf("last date %s, want %s", got.FormattedString(), jan(tt.last).Format(time.DateOnly))
			}
			if got := out.Column(2).(*array.Float64).Value(0); got != float64(tt.first) {
				t.Errorf("first close %v, want %v", got, tt.first)
			}
		})
	}
}

// TestDateRangeThenFeatures checks that features computed on a filtered
// record — a slice with an offset into its input's buffers — see only the
// kept rows.
func TestDateRangeThenFeatures(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := newRecord(mem, []float64{1, 2, null, 4, 5, 6, 7, 8, 9, 10})
	defer in.Release()

	start := time.Date(2024, time.January, 3, 0, 0, 0, 0, time.UTC)
	end := time.Date(2024, time.January, 8, 0, 0, 0, 0, time.UTC)
	f := transform.Chain(transform.DateRange(start, end), transform.SMA(2), transform.Returns(), transform.ZScore("volume", 3))
	out, err := f(in, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Release()
	checkFloats(t, "sma_2", floats(t, out, "sma_2"), []float64{null, null, 4.5, 5.5, 6.5, 7.5}, 1e-15)
	checkFloats(t, "return", floats(t, out, "return"), []float64{null, null, 0.25, 0.2, 1.0 / 6, 1.0 / 7}, 1e-15)
	checkFloats(t, "zscore_volume_3", floats(t, out, "zscore_volume_3"), []float64{null, null, 1, 1, 1, 1}, 1e-15)
}

func TestDateRangeErrors(t *testing.T) {
	t.Parallel()
	jan := func(d int) time.Time { return time.Date(2024, time.January, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		start, end time.Time
		rec        func(mem memory.Allocator) arrow.RecordBatch
		want       string
	}{
		{"start after end", jan(5), jan(4),
			func(mem memory.Allocator) arrow.RecordBatch { return newRecord(mem, []float64{1}) },
			"date range 2024-01-05..2024-01-04: start is after end"},
		{"no date column", jan(1), time.Time{},
			func(mem memory.Allocator) arrow.RecordBatch {
				rec := newRecord(mem, []float64{1})
				defer rec.Release()
				schema := arrow.NewSchema([]arrow.Field{rec.Schema().Field(2)}, nil)
				return array.NewRecordBatch(schema, []arrow.Array{rec.Column(2)}, 1)
			},
			`date range 2024-01-01..: no column "date" (have close)`},
		{"date not date32", time.Time{}, jan(1),
			func(mem memory.Allocator) arrow.RecordBatch {
				rec := newRecord(mem, []float64{1})
				defer rec.Release()
				schema := arrow.NewSchema([]arrow.Field{{Name: "date", Type: arrow.BinaryTypes.String}}, nil)
				return array.NewRecordBatch(schema, []arrow.Array{rec.Column(0)}, 1)
			},
			`date range ..2024-01-01: column "date" is utf8, not date32`},
		{"null date", jan(1), jan(2),
			func(mem memory.Allocator) arrow.RecordBatch {
				b := array.NewDate32Builder(mem)
				defer b.Release()
				b.AppendNull()
				col := b.NewArray()
				defer col.Release()
				schema := arrow.NewSchema([]arrow.Field{{Name: "date", Type: arrow.FixedWidthTypes.Date32, Nullable: true}}, nil)
				return array.NewRecordBatch(schema, []arrow.Array{col}, 1)
			},
			`date range 2024-01-01..2024-01-02: column "date" has 1 null rows`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := tt.rec(mem)
			defer in.Release()

			out, err := transform.DateRange(tt.start, tt.end)(in, mem)
			if err == nil {
				out.Release()
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

// TestBuildEmptyRange checks that a range a series has no row in fails
// with ErrEmptyRange and says where the series lies, where DateRange
// alone returns an empty record.
func TestBuildEmptyRange(t *testing.T) {
	jan := func(d int) time.Time { return time.Date(2024, time.January, d, 0, 0, 0, 0, time.UTC) }
	tests := []struct {
		name       string
		start, end time.Time
		want       string
	}{
		{"after the series", jan(11), time.Time{}, "no data in the range 2024-01-11 …: the series runs 2024-01-01 … 2024-01-10"},
		{"before the series", time.Time{}, jan(1).AddDate(0, 0, -1), "no data in the range … 2023-12-31: the series runs 2024-01-01 … 2024-01-10"},
		{"between", jan(11), jan(20), "no data in the range 2024-01-11 … 2024-01-20: the series runs 2024-01-01 … 2024-01-10"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := newRecord(mem, []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10})
			defer in.Release()
			f, err := transform.Build("returns", tt.start, tt.end)
			if err != nil {
				t.Fatal(err)
			}
			out, err := f(in, mem)
			if err == nil {
				out.Release()
				t.Fatalf("no error, want %q", tt.want)
			}
			if !errors.Is(err, transform.ErrEmptyRange) || err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q matching ErrEmptyRange", err, tt.want)
			}
		})
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	in := newRecord(mem, []float64{1, 2, 3})
	defer in.Release()
	f, _ := transform.Build("", jan(2), time.Time{})
	out, err := f(in, mem)
	if err != nil || out.NumRows() != 2 {
		t.Fatalf("a range with rows: %v", err)
	}
	out.Release()
}
