package transform

import (
	"fmt"

	"github.com/seed-c7c8f39b/loader/sources"
)

// SMA appends the column "sma_N": the mean of the close ([sources.ColClose]) over the n rows
// ending at each row. Rows before the n-th, and rows whose window holds a
// null, are null. n must be in [1, MaxWindow].
func SMA(n int) Func {
	spec := fmt.Sprintf("sma:%d", n)
	if err := checkWindow(n, 1); err != nil {
		return failing(spec, err)
	}
	return derive(spec, sources.ColClose, fmt.Sprintf("sma_%d", n), func(x series, y *floatColumn) {
		rolling(x, n, func(i int, m moments) { y.set(i, m.mean) })
	})
}

// EMA appends the column "ema_N": the exponential moving average of
// the close with alpha = 2/(n+1),
//
//	ema[t] = alpha*close[t] + (1-alpha)*ema[t-1],
//
// seeded with the simple average of the first n prices, so that row n-1 is
// the first non-null one and equals sma_N there. That is TA-Lib's
// convention; seeding with the first price instead would bias the early
// rows. A null price gives a null row and leaves the average where it was:
// the next price continues from it, and leading nulls only delay the seed.
// n must be in [1, MaxWindow].
func EMA(n int) Func {
	spec := fmt.Sprintf("ema:%d", n)
	if err := checkWindow(n, 1); err != nil {
		return failing(spec, err)
	}
	alpha := 2 / float64(n+1)
	return derive(spec, sources.ColClose, fmt.Sprintf("ema_%d", n), func(x series, y *floatColumn) {
		var ema float64
		seen := 0 // valid prices so far
		for i, v := range x.vals {
			if !x.ok(i) {
				continue
			}
			seen++
			switch {
			case seen < n:
				ema += v
				continue
			case seen == n:
				ema = (ema + v) / float64(n)
			default:
				ema += alpha * (v - ema)
			}
			y.set(i, ema)
		}
	})
}
