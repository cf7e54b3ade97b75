package loader_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// hourly is the kind of the intraday datasets these tests write: 60-minute
// bars of the regular session, 09:30 to 15:30, 7 a day.
var hourly = sources.Kind{Function: sources.Intraday, Interval: "60min"}

// intradayMonths are the months the intraday datasets hold.
var intradayMonths = []sources.Month{{Year: 2024, Month: time.May}, {Year: 2024, Month: time.June}}

// intradayBars returns symbol's hourly sample bars of intradayMonths.
func intradayBars(symbol string) []sources.Bar {
	var bars []sources.Bar
	for _, m := range intradayMonths {
		bars = append(bars, sample.Intraday(symbol, m, hourly, sample.End)...)
	}
	return bars
}

// writeIntraday writes the hourly bars of syms as `loader fetch
// --function intraday` would, in format and layout, and returns the
// directory.
func writeIntraday(t testing.TB, format dataset.Format, layout dataset.Layout, syms ...string) string {
	t.Helper()
	dir := t.TempDir()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0) // after the records' releases, deferred below
	var series []sources.Series
	for _, sym := range syms {
		rec := sources.NewRecord(hourly, sym, intradayBars(sym), mem)
		defer rec.Release()
		series = append(series, sources.Series{Symbol: sym, Record: rec})
	}
	loadertest.WriteSeries(t, sinks.Options{Dir: dir, Format: format, Layout: layout}, series...)
	return dir
}

func openIntraday(t testing.TB, cfg loader.DatasetConfig, syms ...string) *loader.Dataset {
	t.Helper()
	ds, err := loader.Open(writeIntraday(t, dataset.FormatParquet, dataset.LayoutFiles, syms...), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return ds
}

// TestIntradayWindowsMatchBars checks every sample of an intraday dataset,
// in every layout, against the bars it was cut from: a window is Window
// consecutive bars of one symbol (across the night, as bars follow one
// another), its label the target at the Horizon bars after it, and its
// date the last bar's timestamp, in exchange time.
func TestIntradayWindowsMatchBars(t *testing.T) {
	t.Parallel()
	const window, horizon = 9, 2
	syms := []string{"IBM", "MSFT"}
	bars := map[string][]sources.Bar{}
	for _, s := range syms {
		bars[s] = intradayBars(s)
	}
	layouts := []struct {
		format dataset.Format
		layout dataset.Layout
	}{
		{dataset.FormatParquet, dataset.LayoutFiles},
		{dataset.FormatArrow, dataset.LayoutHive},
		{dataset.FormatParquet, dataset.LayoutSingle},
	}
	for _, lt := range layouts {
		t.Run(fmt.Sprintf("%s/%s", lt.format, lt.layout), func(t *testing.T) {
			t.Parallel()
			ds, err := loader.Open(writeIntraday(t, lt.format, lt.layout, syms...), loader.DatasetConfig{Features: []string{"close", "volume"}})
			if err != nil {
				t.Fatal(err)
			}
			if !ds.Intraday() {
				t.Fatal("Intraday() = false for a dataset of timestamps")
			}
			if want := len(bars["IBM"]) + len(bars["MSFT"]); ds.Rows() != want {
				t.Errorf("%d rows, want %d", ds.Rows(), want)
			}
			l := newLoader(t, ds, loader.Config{Window: window, Horizon: horizon, BatchSize: 100, Shuffle: true, Seed: 2})
			n := 0
			for {
				b, err := l.Next(context.Background())
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				for j := range b.Size {
					rows := bars[b.Symbols[j]]
					if loc := b.Dates[j].Location().String(); loc != sources.ExchangeZone {
						t.Fatalf("sample %s: date in %s, want %s", b.Symbols[j], loc, sources.ExchangeZone)
					}
					end := slices.IndexFunc(rows, func(r sources.Bar) bool { return r.Date.Equal(b.Dates[j]) })
					if end < window-1 || end+horizon >= len(rows) {
						t.Fatalf("sample %s %s: end bar %d leaves the symbol's bars", b.Symbols[j], b.Dates[j], end)
					}
					for w := range window {
						r := rows[end-window+1+w]
						if x := b.X[(j*window+w)*2:]; x[0] != float32(r.Close) || x[1] != float32(r.Volume) {
							t.Fatalf("sample %s %s bar %d: X %v, want close %v volume %v", b.Symbols[j], b.Dates[j], w, x[:2], r.Close, r.Volume)
						}
					}
					for h := range horizon {
						want := float32(math.Log(rows[end+1+h].Close / rows[end+h].Close))
						if got := b.Y[j*horizon+h]; got != want {
							t.Fatalf("sample %s %s: Y[%d] = %v, want %v", b.Symbols[j], b.Dates[j], h, got, want)
						}
					}
				}
				n += b.Size
				b.Release()
			}
			// Every window: the one null, the first bar's derived log
			// return, is no window's label.
			want := 0
			for _, s := range syms {
				want += len(bars[s]) - window - horizon + 1
			}
			if n != want || l.Samples() != want {
				t.Errorf("yielded %d samples, Samples() = %d, want %d", n, l.Samples(), want)
			}
		})
	}
}

// TestIntradaySplits checks the splits of an intraday dataset: a boundary
// at midnight is a date, whose split ends with that day's last bar in
// exchange time; any other is an instant, whose split ends with the bar
// stamped at or before it; the embargo counts bars.
func TestIntradaySplits(t *testing.T) {
	t.Parallel()
	const window, horizon, embargo = 7, 1, 3
	bars := intradayBars("IBM")
	firstAfter := func(t time.Time) int {
		return slices.IndexFunc(bars, func(b sources.Bar) bool { return b.Date.After(t) })
	}
	may31 := time.Date(2024, time.May, 31, 0, 0, 0, 0, time.UTC)
	lastMay := time.Date(2024, time.May, 31, 15, 30, 0, 0, sources.Exchange) // the last bar of May
	valEnd := time.Date(2024, time.June, 14, 12, 0, 0, 0, sources.Exchange)  // between two bars: 11:30 and 12:30
	tests := []struct {
		name             string
		trainEnd, valEnd time.Time
		ranges           map[loader.Split][2]int // rows each split's windows and labels read
	}{
		{"date and instant", may31, valEnd, map[loader.Split][2]int{
			loader.Train: {0, firstAfter(lastMay)},
			loader.Val:   {firstAfter(lastMay) + embargo, firstAfter(valEnd)},
			loader.Test:  {firstAfter(valEnd) + embargo, len(bars)},
		}},
		// A date in another location is that location's date, ended in
		// exchange time: May 31st in Tokyo is May 31st.
		{"date elsewhere", time.Date(2024, time.May, 31, 0, 0, 0, 0, time.FixedZone("JST", 9*3600)), time.Time{}, map[loader.Split][2]int{
			loader.Train: {0, firstAfter(lastMay)},
			loader.Val:   {firstAfter(lastMay) + embargo, len(bars)},
		}},
		{"instant on a bar", lastMay, time.Time{}, map[loader.Split][2]int{
			loader.Train: {0, firstAfter(lastMay)},
			loader.Val:   {firstAfter(lastMay) + embargo, len(bars)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ds := openIntraday(t, loader.DatasetConfig{Features: []string{"close"}, Target: "close", TrainEnd: tt.trainEnd, ValEnd: tt.valEnd, Embargo: embargo}, "IBM")
			for split, rg := range tt.ranges {
				l := newLoader(t, ds, loader.Config{Split: split, Window: window, Horizon: horizon, BatchSize: 64})
				_, keys, _ := epoch(t, l)
				lo, hi := len(bars), 0
				for _, k := range keys {
					end := slices.IndexFunc(bars, func(b sources.Bar) bool { return b.Date.Equal(k.end) })
					lo, hi = min(lo, end-window+1), max(hi, end+horizon+1)
				}
				if lo != rg[0] || hi != rg[1] {
					t.Errorf("%s: windows read bars [%d, %d), want exactly [%d, %d)", split, lo, hi, rg[0], rg[1])
				}
				if want := rg[1] - rg[0] - window - horizon + 1; len(keys) != want {
					t.Errorf("%s: %d windows, want %d", split, len(keys), want)
				}
			}
		})
	}
}

// TestIntradayResumeAndRanks checks that an intraday loader resumes
// exactly, that its ranks share an epoch disjointly and completely, and
// that a state saved with another boundary instant of the same day is
// refused.
func TestIntradayResumeAndRanks(t *testing.T) {
	t.Parallel()
	syms := []string{"AAPL", "IBM", "MSFT"}
	trainEnd := time.Date(2024, time.June, 20, 10, 0, 0, 0, sources.Exchange)
	ds := openIntraday(t, loader.DatasetConfig{TrainEnd: trainEnd}, syms...)
	cfg := loader.Config{Split: loader.Train, Window: 16, BatchSize: 50, Shuffle: true, Seed: 4, Workers: 2}

	ref := newLoader(t, ds, cfg)
	want, all, _ := epoch(t, ref)
	first := newLoader(t, ds, cfg)
	_, batches := take(t, first, 5)
	saved, err := json.Marshal(first.State())
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	var st loader.State
	if err := json.Unmarshal(saved, &st); err != nil {
		t.Fatal(err)
	}
	resumed := newLoader(t, ds, cfg)
	if err := resumed.Restore(st); err != nil {
		t.Fatal(err)
	}
	rest, _, _ := epoch(t, resumed)
	if !slices.Equal(rest, want[batches:]) {
		t.Errorf("resumed after %d batches: %d batches, not the %d left", batches, len(rest), len(want)-batches)
	}

	seen := map[sampleKey]int{}
	for rank := range 3 {
		c := cfg
		c.Rank, c.WorldSize = rank, 3
		_, keys, _ := epoch(t, newLoader(t, ds, c))
		for _, k := range keys {
			seen[k]++
		}
	}
	for _, k := range all {
		if seen[k] != 1 {
			t.Fatalf("sample %v is in %d ranks' shares, want 1", k, seen[k])
		}
	}
	if len(seen) != len(all) {
		t.Errorf("ranks yield %d samples, want %d", len(seen), len(all))
	}

	later := openIntraday(t, loader.DatasetConfig{TrainEnd: trainEnd.Add(time.Hour)}, syms...)
	if err := newLoader(t, later, cfg).Restore(st); !errors.Is(err, loader.ErrStateMismatch) {
		t.Errorf("Restore with a training end an hour later: %v, want ErrStateMismatch", err)
	}
}

// TestIntradayAndDailyDoNotMix checks that a directory holding intraday
// and daily files is refused, naming both columns.
func TestIntradayAndDailyDoNotMix(t *testing.T) {
	t.Parallel()
	dir := writeIntraday(t, dataset.FormatParquet, dataset.LayoutFiles, "IBM")
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL")
	_, err := loader.Open(dir, loader.DatasetConfig{})
	if err == nil {
		t.Fatal("Open mixed intraday and daily files")
	}
	for _, col := range []string{sources.ColTimestamp, sources.ColDate} {
		if !strings.Contains(err.Error(), col) {
			t.Errorf("error %q does not name column %s", err, col)
		}
	}
}

// TestWeeklyWindows checks a weekly dataset: windows of consecutive weekly
// bars, dated by their last trading day, split by date as daily ones are.
func TestWeeklyWindows(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	kind := sources.Kind{Function: sources.Weekly, Adjusted: true}
	ser, err := sample.Source{Kind: kind}.Fetch(context.Background(), "IBM", mem)
	if err != nil {
		t.Fatal(err)
	}
	defer ser.Record.Release()
	dir := t.TempDir()
	loadertest.WriteSeries(t, sinks.Options{Dir: dir, Allocator: mem}, ser)
	weeks := sample.Periods(sample.Series("IBM"), sources.Weekly)
	trainEnd := time.Date(2015, time.December, 31, 0, 0, 0, 0, time.UTC)
	ds, err := loader.Open(dir, loader.DatasetConfig{Features: []string{"close"}, Target: "close", TrainEnd: trainEnd})
	if err != nil {
		t.Fatal(err)
	}
	if ds.Intraday() || ds.Rows() != len(weeks) {
		t.Fatalf("Intraday() = %t, %d rows; want a dataset of %d dates", ds.Intraday(), ds.Rows(), len(weeks))
	}
	const window = 4
	_, keys, _ := epoch(t, newLoader(t, ds, loader.Config{Split: loader.Train, Window: window, BatchSize: 1000}))
	train := slices.IndexFunc(weeks, func(b sources.Bar) bool { return b.Date.After(trainEnd) })
	if len(keys) != train-window {
		t.Fatalf("%d training windows, want %d", len(keys), train-window)
	}
	for i, k := range keys {
		if want := weeks[i+window-1].Date; !k.end.Equal(want) {
			t.Fatalf("window %d ends %s, want the week of %s", i, k.end, want)
		}
	}
}
