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
	for i, b := range daily {
		if i == 0 || period(b) != period(daily[i-1]) {
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
