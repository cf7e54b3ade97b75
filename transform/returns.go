package transform

import (
	"math"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Returns appends the column "return": the simple return of the close
// ([sources.ColClose]), close[t]/close[t-1] - 1. The first row is null, and so is every row where
// close[t] or close[t-1] is null (a return across a gap would silently span
// two days) or close[t-1] is 0.
func Returns() Func {
	return derive("returns", sources.ColClose, "return", func(x series, y *floatColumn) {
		for i := 1; i < len(x.vals); i++ {
			if x.ok(i) && x.ok(i-1) && x.vals[i-1] != 0 {
				y.set(i, x.vals[i]/x.vals[i-1]-1)
			}
		}
	})
}

// LogReturnColumn is the column [LogReturns] appends.
const LogReturnColumn = "log_return"

// LogReturns appends the column "log_return": [LogReturn] of each close and
// the one before. Rows are null as for [Returns], and also where either
// price is not positive, since the logarithm is undefined there.
func LogReturns() Func {
	return derive("log_returns", sources.ColClose, LogReturnColumn, logReturns)
}

// LogReturn returns ln(cur/prev), the log return from the price prev to the
// next price cur, or NaN and false where it is undefined: where either price
// is not positive, or is NaN.
func LogReturn(prev, cur float64) (float64, bool) {
	if !(prev > 0 && cur > 0) {
		return math.NaN(), false
	}
	return math.Log(cur / prev), true
}

func logReturns(x series, y *floatColumn) {
	for i := 1; i < len(x.vals); i++ {
		if !x.ok(i) || !x.ok(i-1) {
			continue
		}
		if r, ok := LogReturn(x.vals[i-1], x.vals[i]); ok {
			y.set(i, r)
		}
	}
}
