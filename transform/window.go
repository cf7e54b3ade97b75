package transform

import "math"

// moments describes the window of n rows ending at row i.
type moments struct {
	mean float64
	// dev is x[i]-mean, computed without going through mean so that it
	// keeps its digits when x is large and the window narrow.
	dev float64
	// sd is the sample standard deviation (ddof=1, so meaningful only for
	// n >= 2).
	sd float64
}

// rolling calls emit for every row i whose window — the n rows ending at i —
// is full and holds no null, with the window's moments. When the n values
// are equal, mean is that value and dev and sd are exactly 0. It runs in
// O(len(x.vals)).
//
// The window's sums are kept of differences from a shift inside the window,
// not of the raw values, so that a price near 1e5 that moves by 1e-4 keeps
// its variance instead of losing it to cancellation. Every n rows the sums
// are recomputed from scratch around a fresh shift, which bounds both the
// rounding drift of the running add/remove and how far the data can wander
// from the shift.
func rolling(x series, n int, emit func(i int, m moments)) {
	var (
		shift, s1, s2 float64 // Σ(v-shift) and Σ(v-shift)² over the window's valid values
		nulls         int     // nulls in the window
		run           int     // length of the run of equal valid values ending at i
		sinceAnchor   = n     // rows since the sums were last recomputed
		fn            = float64(n)
	)
	for i, v := range x.vals {
		if x.ok(i) {
			if run > 0 && v == x.vals[i-1] {
				run++
			} else {
				run = 1
			}
			d := v - shift
			s1 += d
			s2 += d * d
		} else {
			nulls++
			run = 0
		}
		if j := i - n; j >= 0 {
			if x.ok(j) {
				d := x.vals[j] - shift
				s1 -= d
				s2 -= d * d
			} else {
				nulls--
			}
		}
		sinceAnchor++
		if i+1 < n || nulls > 0 {
			continue
		}
		if sinceAnchor >= n {
			shift, s1, s2 = x.vals[i-n+1], 0, 0
			for _, w := range x.vals[i-n+1 : i+1] {
				d := w - shift
				s1 += d
				s2 += d * d
			}
			sinceAnchor = 0
		}
		if run >= n {
			emit(i, moments{mean: v})
			continue
		}
		emit(i, moments{
			mean: shift + s1/fn,
			dev:  (v - shift) - s1/fn,
			sd:   math.Sqrt(max(s2-s1*s1/fn, 0) / (fn - 1)),
		})
	}
}
