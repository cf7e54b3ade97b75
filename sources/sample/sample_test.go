package sample_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestSeriesInvariants(t *testing.T) {
	t.Parallel()
	for _, symbol := range []string{"AAPL", "GOOGL", "MSFT", "X", "BRK.B"} {
		t.Run(symbol, func(t *testing.T) {
			bars := sample.Series(symbol)
			if len(bars) < 5000 {
				t.Fatalf("%d bars, want about 20 years of business days", len(bars))
			}
			if !bars[0].Date.Equal(sample.Start) {
				t.Errorf("first date %s, want %s", bars[0].Date, sample.Start)
			}
			for i, b := range bars {
				if wd := b.Date.Weekday(); wd == time.Saturday || wd == time.Sunday {
					t.Fatalf("bar %d on a %s", i, wd)
				}
				if i > 0 && !b.Date.After(bars[i-1].Date) {
					t.Fatalf("bar %d date %s not after %s", i, b.Date, bars[i-1].Date)
				}
				if b.Low <= 0 || b.High < math.Max(b.Open, b.Close) || b.Low > math.Min(b.Open, b.Close) {
					t.Fatalf("bar %d inconsistent: %+v", i, b)
				}
				if b.Volume <= 0 || b.AdjustedClose <= 0 || b.AdjustedClose > b.Close || b.SplitCoefficient != 1 {
					t.Fatalf("bar %d implausible: %+v", i, b)
				}
			}
		})
	}
}

func TestSampleIsDeterministicPerSymbol(t *testing.T) {
	t.Parallel()
	a, b := sample.Series("AAPL"), sample.Series("AAPL")
	if len(a) != len(b) {
		t.Fatal("lengths differ between two calls")
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("bar %d differs between two calls: %+v vs %+v", i, a[i], b[i])
		}
	}
	if other := sample.Series("MSFT"); other[0] == a[0] {
		t.Fatal("two symbols share their first bar: the seed ignores the symbol")
	}
}

func TestSampleFetch(t *testing.T) {
	t.Parallel()
	for _, adjusted := range []bool{false, true} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		series, err := sample.Source{Kind: sources.Kind{Adjusted: adjusted}}.Fetch(context.Background(), "MSFT", mem)
		if err != nil {
			t.Fatal(err)
		}
		rec := series.Record
		if !rec.Schema().Equal(sources.DailySchema(adjusted)) {
			t.Fatalf("schema %s, want %s", rec.Schema(), sources.DailySchema(adjusted))
		}
		bars := sample.Series("MSFT")
		if int(rec.NumRows()) != len(bars) {
			t.Fatalf("%d rows, want %d", rec.NumRows(), len(bars))
		}
		closes := rec.Column(5).(*array.Float64)
		last := len(bars) - 1
		if closes.Value(last) != bars[last].Close || rec.Column(0).(*array.String).Value(0) != "MSFT" {
			t.Fatal("record values differ from Series")
		}
		rec.Release()
		mem.AssertSize(t, 0)
	}
}

func BenchmarkBars(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		sample.Bars("AAPL", false, memory.DefaultAllocator).Release()
	}
}

func TestHistoryGoesOnPastEnd(t *testing.T) {
	sym := payer(t)
	series := sample.Series(sym)
	last := sample.End.AddDate(0, 2, 0)
	longer := sample.History(sym, last)
	if len(longer) <= len(series) || longer[len(longer)-1].Date.After(last) {
		t.Fatalf("History through %s: %d bars ending %s, Series %d", last.Format(time.DateOnly),
			len(longer), longer[len(longer)-1].Date.Format(time.DateOnly), len(series))
	}
	adjustedMoved := false
	for i, b := range series {
		got := longer[i]
		if got.Date != b.Date || got.Open != b.Open || got.Close != b.Close || got.Volume != b.Volume || got.Dividend != b.Dividend {
			t.Fatalf("bar %d changed when the history went on: %+v, was %+v", i, got, b)
		}
		adjustedMoved = adjustedMoved || got.AdjustedClose != b.AdjustedClose
	}
	// The first business day of 2026 pays a dividend, which discounts
	// every earlier close.
	if !adjustedMoved {
		t.Error("a dividend after End left the adjusted closes before it as they were")
	}
	if shorter := sample.History(sym, sample.End.AddDate(0, -1, 0)); len(shorter) >= len(series) {
		t.Errorf("History a month before End has %d bars, Series %d", len(shorter), len(series))
	}
}

func TestFetchSizeCompact(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	src := sample.Source{Kind: sources.Kind{Adjusted: true}}
	s, err := src.FetchSize(context.Background(), "IBM", sources.Compact, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Record.Release()
	bars := sample.Series("IBM")
	if s.Record.NumRows() != sources.CompactBars || s.Meta["output_size"] != "compact" {
		t.Fatalf("compact: %d rows, meta %v", s.Record.NumRows(), s.Meta)
	}
	first := bars[len(bars)-sources.CompactBars]
	if got := s.Record.Column(1).(*array.Date32).Value(0).ToTime(); !got.Equal(first.Date) {
		t.Errorf("compact starts %s, want %s", got, first.Date)
	}
	if _, err := src.FetchSize(context.Background(), "IBM", "huge", mem); err == nil {
		t.Error("FetchSize accepted the output size \"huge\"")
	}
}

// payer returns a symbol whose sample series pays dividends.
func payer(t *testing.T) string {
	for _, sym := range []string{"AAPL", "MSFT", "IBM", "GOOGL", "KO", "C", "BAC"} {
		for _, b := range sample.Series(sym) {
			if b.Dividend > 0 {
				return sym
			}
		}
	}
	t.Fatal("no symbol pays a dividend")
	return ""
}
