package avserver_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// fetchBars fetches symbol's adjusted series from url and returns its
// dates, closes, adjusted closes and dividends.
func fetchBars(t *testing.T, url, symbol string, size sources.OutputSize) []sources.Bar {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	av, err := alphavantage.New(alphavantage.Config{BaseURL: url, APIKey: "k", Kind: sources.Kind{Adjusted: true}, Rate: math.Inf(1), Retries: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer av.Close()
	s, err := av.FetchSize(context.Background(), symbol, size, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Record.Release()
	rec := s.Record
	dates := rec.Column(1).(*array.Date32)
	closes := rec.Column(5).(*array.Float64)
	adj := rec.Column(7).(*array.Float64)
	div := rec.Column(8).(*array.Float64)
	bars := make([]sources.Bar, rec.NumRows())
	for i := range bars {
		bars[i] = sources.Bar{Date: dates.Value(i).ToTime(), Close: closes.Value(i), AdjustedClose: adj.Value(i), Dividend: div.Value(i)}
	}
	return bars
}

func TestServerAdvancesAndPaysDividends(t *testing.T) {
	start := time.Date(2025, time.November, 3, 0, 0, 0, 0, time.UTC) // a Monday
	srv, url := avtest.Start(t, avserver.Config{LastDay: start})
	if !srv.LastDay().Equal(start) {
		t.Fatalf("LastDay = %s, want %s", srv.LastDay(), start)
	}
	before := fetchBars(t, url, "IBM", sources.Full)
	if last := before[len(before)-1].Date; !last.Equal(start) {
		t.Fatalf("series ends %s, want %s", last, start)
	}

	if got, want := srv.Advance(5), start.AddDate(0, 0, 7); !got.Equal(want) {
		t.Fatalf("Advance(5) = %s, want %s (the next Monday)", got, want)
	}
	after := fetchBars(t, url, "IBM", sources.Compact)
	if len(after) != sources.CompactBars || !after[len(after)-1].Date.Equal(srv.LastDay()) {
		t.Fatalf("after Advance: compact answer of %d bars ending %s", len(after), after[len(after)-1].Date)
	}
	overlap := after[:len(after)-5]
	stored := before[len(before)-len(overlap):]
	for i := range overlap {
		if overlap[i] != stored[i] {
			t.Fatalf("bar %s changed when the server advanced: %+v, was %+v", overlap[i].Date, overlap[i], stored[i])
		}
	}

	payday := after[len(after)-3].Date
	srv.AddDividend("ibm", payday, 1.5)
	paid := fetchBars(t, url, "IBM", sources.Compact)
	for i, b := range paid {
		switch {
		case b.Date.Equal(payday) && b.Dividend != 1.5:
			t.Errorf("%s: dividend %v, want 1.5", b.Date, b.Dividend)
		case b.Date.Before(payday) && b.AdjustedClose >= after[i].AdjustedClose:
			t.Errorf("%s: adjusted close %v not discounted by the later dividend (was %v)", b.Date, b.AdjustedClose, after[i].AdjustedClose)
		case !b.Date.Before(payday) && b.AdjustedClose != after[i].AdjustedClose:
			t.Errorf("%s: adjusted close %v changed, was %v", b.Date, b.AdjustedClose, after[i].AdjustedClose)
		}
		if b.Close != after[i].Close {
			t.Fatalf("%s: the close changed with a dividend", b.Date)
		}
	}
	if st := srv.Stats(); st.Full != 1 || st.Compact != 2 || st.Bytes == 0 {
		t.Errorf("stats = %+v, want 1 full and 2 compact answers, bytes counted", st)
	}
}

func TestServerDefaultLastDay(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	if !srv.LastDay().Equal(sample.End) {
		t.Errorf("LastDay = %s, want sample.End", srv.LastDay())
	}
	bars := fetchBars(t, url, "MSFT", sources.Full)
	want := sample.Series("MSFT")
	if len(bars) != len(want) || bars[len(bars)-1].AdjustedClose != want[len(want)-1].AdjustedClose ||
		bars[0].AdjustedClose != want[0].AdjustedClose {
		t.Errorf("default server: %d bars, want sample.Series' %d, same values", len(bars), len(want))
	}
}
