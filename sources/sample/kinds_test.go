package sample_test

import (
	"context"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestPeriods(t *testing.T) {
	t.Parallel()
	daily := sample.Series("IBM")
	for _, tc := range []struct {
		function sources.Function
		same     func(a, b time.Time) bool
	}{
		{sources.Weekly, func(a, b time.Time) bool {
			ay, aw := a.ISOWeek()
			by, bw := b.ISOWeek()
			return ay == by && aw == bw
		}},
		{sources.Monthly, func(a, b time.Time) bool { return a.Year() == b.Year() && a.Month() == b.Month() }},
	} {
		t.Run(string(tc.function), func(t *testing.T) {
			periods := sample.Periods(daily, tc.function)
			i := 0
			var volume int64
			for _, p := range periods {
				first := daily[i]
				high, low, div := first.High, first.Low, 0.0
				volume = 0
				for ; i < len(daily) && tc.same(daily[i].Date, p.Date); i++ {
					high, low, volume, div = max(high, daily[i].High), min(low, daily[i].Low), volume+daily[i].Volume, div+daily[i].Dividend
				}
				last := daily[i-1]
				if p.Date != last.Date || p.Open != first.Open || p.Close != last.Close || p.High != high || p.Low != low ||
					p.Volume != volume || p.AdjustedClose != last.AdjustedClose || !near(p.Dividend, div) {
					t.Fatalf("period ending %s = %+v, want open %v close %v high %v low %v volume %d dividend %v",
						p.Date.Format(time.DateOnly), p, first.Open, last.Close, high, low, volume, div)
				}
			}
			if i != len(daily) {
				t.Fatalf("periods cover %d of %d days", i, len(daily))
			}
			if periods[len(periods)-1].Date != daily[len(daily)-1].Date {
				t.Fatal("the current period does not end on the last day")
			}
		})
	}
	if got := sample.Periods(daily, sources.Daily); len(got) != len(daily) {
		t.Fatal("daily bars changed by Periods")
	}
}

func near(a, b float64) bool { return a-b < 1e-9 && b-a < 1e-9 }

func TestIntraday(t *testing.T) {
	t.Parallel()
	june := sources.Month{Year: 2024, Month: time.June}
	kind := sources.Kind{Function: sources.Intraday, Interval: "5min"}
	regular := sample.Intraday("IBM", june, kind, sample.End)
	kind.ExtendedHours = true
	extended := sample.Intraday("IBM", june, kind, sample.End)

	days := 0
	for _, d := range sample.Series("IBM") {
		if d.Date.Year() == 2024 && d.Date.Month() == time.June {
			days++
		}
	}
	if len(regular) != days*78 || len(extended) != days*192 {
		t.Fatalf("%d regular and %d extended bars, want %d and %d", len(regular), len(extended), days*78, days*192)
	}
	first, last := regular[0].Date, extended[len(extended)-1].Date
	if first.Location() != sources.Exchange || first.Format(time.DateTime) != "2024-06-03 09:30:00" || last.Format(time.DateTime) != "2024-06-28 19:55:00" {
		t.Fatalf("bars from %s to %s", first, last)
	}
	byTime := map[time.Time]sources.Bar{}
	for _, b := range extended {
		byTime[b.Date] = b
	}
	for _, b := range regular {
		if byTime[b.Date] != b {
			t.Fatalf("regular bar %s differs with extended hours", b.Date)
		}
	}
	if again := sample.Intraday("IBM", june, kind, sample.End.AddDate(1, 0, 0)); len(again) != len(extended) || again[100] != extended[100] {
		t.Fatal("intraday bars are not deterministic")
	}
	if got := sample.Intraday("IBM", sources.Month{Year: 1999, Month: time.December}, kind, sample.End); len(got) != 0 {
		t.Fatalf("%d bars before the history", len(got))
	}
}

func TestSourceKinds(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	intraday := sources.Kind{Function: sources.Intraday, Interval: "60min"}
	src := sample.Source{Kind: intraday}
	month, err := src.FetchMonth(context.Background(), "IBM", sources.Month{Year: 2025, Month: time.March}, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer month.Record.Release()
	if !month.Record.Schema().Equal(intraday.Schema()) || month.Record.NumRows() != 21*6 {
		t.Fatalf("March 2025 of 60min bars: %d rows of %s", month.Record.NumRows(), month.Record.Schema())
	}
	ts := month.Record.Column(1).(*array.Timestamp)
	if got := ts.Value(0).ToTime(arrow.Microsecond).In(sources.Exchange); got.Format(time.DateTime) != "2025-03-03 10:00:00" {
		t.Fatalf("first bar at %s", got)
	}
	compact, err := src.FetchSize(context.Background(), "IBM", sources.Compact, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer compact.Record.Release()
	if compact.Record.NumRows() != sources.CompactBars {
		t.Fatalf("compact: %d bars", compact.Record.NumRows())
	}
	weekly, err := sample.Source{Kind: sources.Kind{Function: sources.Weekly, Adjusted: true}}.FetchSize(context.Background(), "IBM", sources.Compact, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer weekly.Record.Release()
	if n := len(sample.Periods(sample.Series("IBM"), sources.Weekly)); int(weekly.Record.NumRows()) != n || weekly.Record.NumCols() != 9 {
		t.Fatalf("weekly: %d rows, %d columns; want the whole history, %d rows", weekly.Record.NumRows(), weekly.Record.NumCols(), n)
	}
	if _, err := (sample.Source{Kind: sources.Kind{Function: sources.Intraday, Interval: "2min"}}).Fetch(context.Background(), "IBM", mem); err == nil {
		t.Fatal("a 2min interval was accepted")
	}
}
