package sample

import (
	"github.com/seed-c7c8f39b/loader/sources"
)

// Periods returns daily bars, oldest first, as bars of function
// (sources.Weekly or sources.Monthly; any other returns daily itself),
// the way the service aggregates them: one bar per calendar week (Monday
// to Friday) or month, dated by its last trading day, with the first
// open, the highest high, the lowest low, the last close and adjusted
// close, the summed volume and the summed dividends. The period holding
// the newest bar ends on that bar, as the service's current period ends
// on the last refreshed day.
func Periods(daily []sources.Bar, function sources.Function) []sources.Bar {
	if function != sources.Weekly && function != sources.Monthly {
		return daily
	}
	period := func(b sources.Bar) [2]int {
		if function == sources.Weekly {
			y, w := b.Date.ISOWeek()
			return [2]int{y, w}
		}
		return [2]int{b.Date.Year(), int(b.Date.Month())}
	}
	var out []sources.Bar
	var last [2]int // the period of the bar before
	for i, b := range daily {
		key := period(b)
		if i == 0 || key != last {
			last = key
			b.SplitCoefficient = 0
			out = append(out, b)
			continue
		}
		p := &out[len(out)-1]
		p.Date = b.Date
		p.High = max(p.High, b.High)
		p.Low = min(p.Low, b.Low)
		p.Close = b.Close
		p.AdjustedClose = b.AdjustedClose
		p.Volume += b.Volume
		p.Dividend = round4(p.Dividend + b.Dividend)
	}
	return out
}

// Select returns the bars of a daily, weekly or monthly series of kind
// that a request of size gets from the daily history daily, as the
// service answers: the weekly or monthly periods whole, the daily bars
// all (sources.Full) or the newest sources.CompactBars.
func Select(daily []sources.Bar, kind sources.Kind, size sources.OutputSize) []sources.Bar {
	if kind.IsPeriod() {
		return Periods(daily, kind.Function)
	}
	if size == sources.Compact && len(daily) > sources.CompactBars {
		return daily[len(daily)-sources.CompactBars:]
	}
	return daily
}
