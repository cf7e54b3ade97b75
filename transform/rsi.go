package transform

import (
	"fmt"

	"github.com/seed-c7c8f39b/loader/sources"
)

// RSI appends the column "rsi_N": Wilder's relative strength index of
// the close, in [0, 100].
//
// Each row's change close[t]-close[t-1] is a gain (or a loss, as a positive
// number). The first average gain and loss are the simple averages of the
// first n changes, so row n is the first non-null one; after that each is
// smoothed the Wilder way, avg = (avg*(n-1) + current)/n. Then
// rsi = 100 - 100/(1 + avgGain/avgLoss): 100 when the average loss is 0, and
// 50 when neither average moved at all, since a flat series has no strength
// either way (libraries differ here; some give 0, some 100). A null price
// gives a null row and is skipped: the next change is taken from the last
// valid price. n must be in [1, MaxWindow].
func RSI(n int) Func {
	spec := fmt.Sprintf("rsi:%d", n)
	if err := checkWindow(n, 1); err != nil {
		return failing(spec, err)
	}
	return derive(spec, sources.ColClose, fmt.Sprintf("rsi_%d", n), func(x series, y *floatColumn) {
		var (
			gain, loss float64
			prev       float64
			changes    = -1 // changes seen so far; the first valid price has none
			fn         = float64(n)
		)
		for i, v := range x.vals {
			if !x.ok(i) {
				continue
			}
			changes++
			d := v - prev
			prev = v
			if changes == 0 {
				continue
			}
			g, l := max(d, 0), max(-d, 0)
			switch {
			case changes < n:
				gain += g
				loss += l
				continue
			case changes == n:
				gain, loss = (gain+g)/fn, (loss+l)/fn
			default:
				gain, loss = (gain*(fn-1)+g)/fn, (loss*(fn-1)+l)/fn
			}
			y.set(i, rsi(gain, loss))
		}
	})
}

func rsi(gain, loss float64) float64 {
	switch {
	case loss == 0 && gain == 0:
		return 50
	case loss == 0:
		return 100
	}
	return 100 - 100/(1+gain/loss)
}
