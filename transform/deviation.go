package transform

import (
	"fmt"

	"github.com/seed-c7c8f39b/loader/sources"
)

// Volatility appends the column "volatility_N": the sample standard
// deviation (ddof=1) of the log returns of the close (as [LogReturns]
// defines them) over the n returns ending at each row. The first return is
// at row 1, so row n is the first non-null one; a window holding a null
// return is null. It is not annualised. n must be in [2, MaxWindow].
func Volatility(n int) Func {
	spec := fmt.Sprintf("volatility:%d", n)
	if err := checkWindow(n, 2); err != nil {
		return failing(spec, err)
	}
	return derive(spec, sources.ColClose, fmt.Sprintf("volatility_%d", n), func(x series, y *floatColumn) {
		r := newFloatColumn(y.mem, len(x.vals))
		defer r.release()
		logReturns(x, r)
		rolling(r.series(), n, func(i int, m moments) { y.set(i, m.sd) })
	})
}

// ZScore appends the column "zscore_COL_N": (v - mean)/sd of the numeric
// column col, where mean and sd are the mean and sample standard deviation
// (ddof=1) of the n rows ending at each row, the row itself included. Rows
// whose window is not full, holds a null, or has sd 0 are null. An unknown
// or non-numeric col is an error when the Func is applied. n must be in
// [2, MaxWindow].
func ZScore(col string, n int) Func {
	spec := fmt.Sprintf("zscore:%s:%d", col, n)
	if err := checkWindow(n, 2); err != nil {
		return failing(spec, err)
	}
	return derive(spec, col, fmt.Sprintf("zscore_%s_%d", col, n), func(x series, y *floatColumn) {
		rolling(x, n, func(i int, m moments) {
			if m.sd > 0 {
				y.set(i, m.dev/m.sd)
			}
		})
	})
}
