// Package sample is the built-in source of SYNTHETIC daily prices: a
// deterministic random walk per symbol, the same on every machine, so that
// every command of loader works offline and every test has data.
package sample

import (
	"context"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The sample series spans these business days, inclusive. It is fixed, not
// relative to today, so that every run on every machine writes the same
// values.
var (
	Start = time.Date(2006, time.January, 2, 0, 0, 0, 0, time.UTC)
	End   = time.Date(2025, time.December, 31, 0, 0, 0, 0, time.UTC)
)

// Source is the built-in source of SYNTHETIC bars: a deterministic
// random walk seeded by the symbol, so the same symbol always yields the same
// series on every machine. It needs no network and no key, and is the
// default when no Alpha Vantage key is configured. Its prices are not real
// market data.
//
// Its daily history runs from Start to End; weekly and monthly bars are
// aggregated from it (see Periods), and intraday bars are generated within
// each day of it (see Intraday).
type Source struct {
	// Kind selects the series, as the service's functions would: the
	// zero value is the unadjusted daily series.
	Kind sources.Kind
}

// Name returns "sample".
func (Source) Name() string { return "sample" }

// Close does nothing: the generator holds nothing.
func (Source) Close() error { return nil }

// Fetch returns the synthetic series of symbol: its whole history, or
// for intraday bars its last 30 days, as FetchSize with sources.Full.
func (s Source) Fetch(ctx context.Context, symbol string, mem memory.Allocator) (sources.Series, error) {
	return s.FetchSize(ctx, symbol, sources.Full, mem)
}

// FetchSize returns the synthetic series of symbol as the service would
// answer a request of size: the daily series' newest sources.CompactBars
// bars with sources.Compact, its whole history with sources.Full; always
// the whole weekly or monthly history; the newest sources.CompactBars
// intraday bars, or with sources.Full those of the last 30 days.
func (s Source) FetchSize(ctx context.Context, symbol string, size sources.OutputSize, mem memory.Allocator) (sources.Series, error) {
	if err := ctx.Err(); err != nil {
		return sources.Series{}, fmt.Errorf("sample %s: %w", symbol, err)
	}
	if _, err := sources.ParseOutputSize(string(size)); err != nil {
		return sources.Series{}, fmt.Errorf("sample %s: %w", symbol, err)
	}
	if err := s.Kind.Validate(); err != nil {
		return sources.Series{}, fmt.Errorf("sample %s: %w", symbol, err)
	}
	var bars []sources.Bar
	switch {
	case s.Kind.IsIntraday():
		bars = RecentIntraday(symbol, s.Kind, size, End)
	default:
		bars = Select(Series(symbol), s.Kind, size)
	}
	return s.series(symbol, bars, string(size), mem), nil
}

// FetchMonth returns symbol's synthetic intraday bars of month, in full.
func (s Source) FetchMonth(ctx context.Context, symbol string, month sources.Month, mem memory.Allocator) (sources.Series, error) {
	if err := ctx.Err(); err != nil {
		return sources.Series{}, fmt.Errorf("sample %s %s: %w", symbol, month, err)
	}
	if !s.Kind.IsIntraday() {
		return sources.Series{}, fmt.Errorf("sample %s %s: months are for intraday series, not %s", symbol, month, s.Kind)
	}
	if err := s.Kind.Validate(); err != nil {
		return sources.Series{}, fmt.Errorf("sample %s %s: %w", symbol, month, err)
	}
	series := s.series(symbol, Intraday(symbol, month, s.Kind, End), "full", mem)
	series.Meta["month"] = month.String()
	return series, nil
}

func (s Source) series(symbol string, bars []sources.Bar, size string, mem memory.Allocator) sources.Series {
	return sources.Series{
		Symbol:   symbol,
		Record:   sources.NewRecord(s.Kind, symbol, bars, mem),
		Attempts: 1,
		Meta: map[string]string{
			"source":      "sample (synthetic data)",
			"function":    s.Kind.String(),
			"output_size": size,
		},
	}
}

// Series returns the synthetic bars of symbol between Start and
// End, oldest first: History(symbol, End).
func Series(symbol string) []sources.Bar { return History(symbol, End) }

// History returns the synthetic bars of symbol from Start through last,
// which may lie past End: business days only, a geometric random walk with
// positive prices, high >= max(open, close), low <= min(open, close),
// prices rounded to 4 decimals like the real service's, and volumes that
// grow with the size of the move. A bar is the same whatever last is; only
// the adjusted closes depend on it, as they do on the service, because
// every dividend up to last discounts the closes before it (see Adjust).
// Symbols with an even seed pay a small quarterly dividend, on the first
// business day of each quarter.
func History(symbol string, last time.Time) []sources.Bar {
	h := fnv.New64a()
	h.Write([]byte(symbol))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed>>17|1))

	price := 10 + rng.Float64()*490
	vol := 0.01 + rng.Float64()*0.02            // daily volatility of log returns
	drift := (rng.Float64() - 0.3) * vol * 0.05 // mostly upward, sometimes down
	baseVolume := math.Exp(13 + rng.Float64()*4)
	paysDividend := seed%2 == 0

	bars := make([]sources.Bar, 0, 5300)
	lastQuarter := -1
	for d := Start; !d.After(last); d = d.AddDate(0, 0, 1) {
		if wd := d.Weekday(); wd == time.Saturday || wd == time.Sunday {
			continue
		}
		open := price * math.Exp(rng.NormFloat64()*vol*0.3)
		ret := drift + rng.NormFloat64()*vol
		closePrice := open * math.Exp(ret)
		if closePrice < 1 { // keep the walk well above zero
			closePrice = 1 + rng.Float64()
		}
		high := math.Max(open, closePrice) * math.Exp(math.Abs(rng.NormFloat64())*vol*0.5)
		low := math.Min(open, closePrice) * math.Exp(-math.Abs(rng.NormFloat64())*vol*0.5)
		volume := baseVolume * math.Exp(rng.NormFloat64()*0.3) * (1 + 20*math.Abs(ret))

		b := sources.Bar{
			Date:             d,
			Open:             round4(open),
			High:             round4(high),
			Low:              round4(low),
			Close:            round4(closePrice),
			Volume:           int64(volume),
			SplitCoefficient: 1,
		}
		if q := int(d.Month()-1) / 3; paysDividend && q != lastQuarter {
			b.Dividend = round4(b.Close * 0.005)
		}
		lastQuarter = int(d.Month()-1) / 3
		bars = append(bars, b)
		price = closePrice
	}

	Adjust(bars)
	return bars
}

// Adjust sets the AdjustedClose of every bar, oldest first, from the
// closes and dividends: each close is discounted by every later dividend,
// by the factor 1 - dividend/previous close, as the service adjusts them.
func Adjust(bars []sources.Bar) {
	factor := 1.0
	for i := len(bars) - 1; i >= 0; i-- {
		bars[i].AdjustedClose = round4(bars[i].Close * factor)
		if bars[i].Dividend > 0 && i > 0 {
			factor *= 1 - bars[i].Dividend/bars[i-1].Close
		}
	}
}

// Bars returns Series(symbol) as a record of sources.DailySchema(adjusted)
// built with mem. The caller owns the record.
func Bars(symbol string, adjusted bool, mem memory.Allocator) arrow.RecordBatch {
	return Record(symbol, Series(symbol), adjusted, mem)
}

// Record returns bars as symbol's record of sources.DailySchema(adjusted),
// built with mem. The caller owns the record.
func Record(symbol string, bars []sources.Bar, adjusted bool, mem memory.Allocator) arrow.RecordBatch {
	return sources.NewRecord(sources.Kind{Adjusted: adjusted}, symbol, bars, mem)
}

func round4(x float64) float64 { return math.Round(x*1e4) / 1e4 }
