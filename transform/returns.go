package transform

import "math"

// Returns appends the column "return": the simple return of PriceColumn,
// close[t]/close[t-1] - 1. The first row is null, and so is every row where
// close[t] or close[t-1] is null (a return across a gap would silently span
// two days) or close[t-1] is 0.
func Returns() Func {
	return derive("returns", PriceColumn, "return", func(x series, y *floatColumn) {
		for i := 1; i < len(x.vals); i++ {
			if x.ok(i) && x.ok(i-1) && x.vals[i-1] != 0 {
				y.set(i, x.vals[i]/x.vals[i-1]-1)
			}
		}
	})
}

// LogReturns appends the column "log_return": ln(close[t]/close[t-1]). Rows
// are null as for [Returns], and also where either price is not positive,
// since the logarithm is undefined there.
func LogReturns() Func {
	return derive("log_returns", PriceColumn, "log_return", logReturns)
}

func logReturns(x series, y *floatColumn) {
	for i := 1; i < len(x.vals); i++ {
		if x.ok(i) && x.ok(i-1) && x.vals[i] > 0 && x.vals[i-1] > 0 {
			y.set(i, math.Log(x.vals[i]/x.vals[i-1]))
		}
	}
}
