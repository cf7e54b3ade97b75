package sample

import (
	"hash/fnv"
	"math"
	"math/rand/v2"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
)

// The sessions of an exchange day, in exchange time, as minutes after
// midnight: the regular one, and the extended one around it.
const (
	regularOpen   = 9*60 + 30
	regularClose  = 16 * 60
	extendedOpen  = 4 * 60
	extendedClose = 20 * 60
)

// Intraday returns symbol's synthetic intraday bars of kind (its
// Interval, Adjusted and ExtendedHours) for the trading days of month up
// to and including last, oldest first. Each bar is stamped with its
// start in exchange time, as the service stamps them; the bars of a day
// run from that day's daily open to its daily close, so they agree with
// History. They are the same whatever last is, but for adjusted prices,
// which depend on the dividends up to last as the daily ones do. A month
// outside the history has no bars.
func Intraday(symbol string, month sources.Month, kind sources.Kind, last time.Time) []sources.Bar {
	step, err := sources.ParseInterval(kind.Interval)
	if err != nil {
		return nil
	}
	var bars []sources.Bar
	for _, day := range History(symbol, last) {
		if sources.MonthOfDay(day.Date) != month {
			continue
		}
		factor := 1.0
		if kind.Adjusted {
			factor = day.AdjustedClose / day.Close
		}
		bars = append(bars, intradayDay(symbol, day, step, kind.ExtendedHours, factor)...)
	}
	return bars
}

// RecentIntraday returns symbol's intraday bars of kind as the service
// answers a request without a month when its last trading day is last:
// with sources.Full those of the 30 days up to last, with sources.Compact
// the newest sources.CompactBars of them. Oldest first.
func RecentIntraday(symbol string, kind sources.Kind, size sources.OutputSize, last time.Time) []sources.Bar {
	from := last.AddDate(0, 0, -30)
	var bars []sources.Bar
	for _, m := range sources.Months(sources.MonthOfDay(from), sources.MonthOfDay(last)) {
		bars = append(bars, Intraday(symbol, m, kind, last)...)
	}
	first := time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, sources.Exchange)
	for len(bars) > 0 && bars[0].Date.Before(first) {
		bars = bars[1:]
	}
	if size == sources.Compact && len(bars) > sources.CompactBars {
		bars = bars[len(bars)-sources.CompactBars:]
	}
	return bars
}

// intradayDay returns the bars of one day: a random walk seeded by the
// symbol and the day, bridged from the day's open at the start of the
// extended session to its close at the end, of which the regular session
// keeps its own bars.
func intradayDay(symbol string, day sources.Bar, step time.Duration, extended bool, factor float64) []sources.Bar {
	h := fnv.New64a()
	h.Write([]byte(symbol))
	h.Write([]byte(day.Date.Format(time.DateOnly)))
	seed := h.Sum64()
	rng := rand.New(rand.NewPCG(seed, seed>>13|1))

	minutes := int(step / time.Minute)
	n := (extendedClose - extendedOpen) / minutes
	vol := 0.3 * math.Abs(math.Log(day.High/day.Low)) / math.Sqrt(float64(n))
	walk := make([]float64, n+1)
	for i := 1; i <= n; i++ {
		walk[i] = walk[i-1] + rng.NormFloat64()*vol
	}
	target := math.Log(day.Close / day.Open)
	price := func(i int) float64 {
		return day.Open * math.Exp(walk[i]-float64(i)/float64(n)*(walk[n]-target))
	}
	regularBars := float64(regularClose-regularOpen) / float64(minutes)
	y, m, d := day.Date.Date()

	bars := make([]sources.Bar, 0, n)
	for i := range n {
		start := extendedOpen + i*minutes
		open, closePrice := price(i), price(i+1)
		high := math.Max(open, closePrice) * math.Exp(math.Abs(rng.NormFloat64())*vol*0.5)
		low := math.Min(open, closePrice) * math.Exp(-math.Abs(rng.NormFloat64())*vol*0.5)
		volume := float64(day.Volume) / regularBars * (0.5 + rng.Float64())
		regular := start >= regularOpen && start < regularClose
		if !regular && !extended {
			continue
		}
		if !regular {
			volume *= 0.05
		}
		bars = append(bars, sources.Bar{
			Date:   time.Date(y, m, d, start/60, start%60, 0, 0, sources.Exchange),
			Open:   round4(open * factor),
			High:   round4(high * factor),
			Low:    round4(low * factor),
			Close:  round4(closePrice * factor),
			Volume: int64(volume),
		})
	}
	return bars
}
