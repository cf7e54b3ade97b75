package transform_test

import (
	"math"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// sampleCloses returns the synthetic AAPL closes, oldest first.
func sampleCloses() []float64 {
	bars := sample.Series("AAPL")
	closes := make([]float64, len(bars))
	for i, b := range bars {
		closes[i] = b.Close
	}
	return closes
}

// nulls returns n nulls.
func nulls(n int) []float64 {
	out := make([]float64, n)
	for i := range out {
		out[i] = null
	}
	return out
}

// emaReference is the EMA written out as the weighted sum it unrolls to:
// ema[t] = (1-a)^(t-n+1)*seed + sum over k in (n-1, t] of a*(1-a)^(t-k)*x[k],
// with seed the mean of the first n values. O(len(x)^2), no recursion.
func emaReference(x []float64, n int, a float64) []float64 {
	out := nulls(len(x))
	if len(x) < n {
		return out
	}
	seed := 0.0
	for _, v := range x[:n] {
		seed += v
	}
	seed /= float64(n)
	for t := n - 1; t < len(x); t++ {
		sum, w := 0.0, a // w is a*(1-a)^(t-k)
		for k := t; k >= n; k-- {
			sum += w * x[k]
			w *= 1 - a
		}
		out[t] = sum + w/a*seed
	}
	return out
}

// rsiReference computes Wilder's RSI as 100*up/(up+down), where up and down
// are Wilder averages (EMAs with a = 1/n, seeded with the simple mean of the
// first n changes) written out by emaReference over the gain and loss
// series.
func rsiReference(x []float64, n int) []float64 {
	gains := make([]float64, len(x)-1)
	losses := make([]float64, len(x)-1)
	for i := 1; i < len(x); i++ {
		gains[i-1] = math.Max(x[i]-x[i-1], 0)
		losses[i-1] = math.Max(x[i-1]-x[i], 0)
	}
	up := emaReference(gains, n, 1/float64(n))
	down := emaReference(losses, n, 1/float64(n))
	out := nulls(len(x))
	for i := range up {
		if !math.IsNaN(up[i]) {
			out[i+1] = 100 * up[i] / (up[i] + down[i])
		}
	}
	return out
}

// rollingReference returns, for each full window of n values, f of the
// window, computed two-pass from scratch.
func rollingReference(x []float64, n int, f func(window []float64, mean, sd float64) float64) []float64 {
	out := nulls(len(x))
	for t := n - 1; t < len(x); t++ {
		w := x[t-n+1 : t+1]
		mean := 0.0
		for _, v := range w {
			mean += v
		}
		mean /= float64(n)
		ss := 0.0
		for _, v := range w {
			ss += (v - mean) * (v - mean)
		}
		out[t] = f(w, mean, math.Sqrt(ss/float64(n-1)))
	}
	return out
}

func logReturnsReference(x []float64) []float64 {
	out := nulls(len(x))
	for i := 1; i < len(x); i++ {
		out[i] = math.Log(x[i] / x[i-1])
	}
	return out
}

// TestAgainstReference checks the built-ins on the ~5,200-row sample series,
// and on prices near 1e5 that move by 1e-4, against straightforward
// implementations of a different formulation.
func TestAgainstReference(t *testing.T) {
	t.Parallel()
	aapl := sampleCloses()
	// A price of 1e5 wobbling by a few 1e-4: rolling sums of raw values
	// would lose these variances to cancellation.
	flat, wobble := make([]float64, 3000), make([]float64, 3000)
	for i := range flat {
		flat[i] = 1e5 + 1e-4*float64(i%7) + 3e-4*math.Sin(float64(i))
		wobble[i] = flat[i] - 1e5 // exact: the two are within a factor of 2
	}
	mean := func(_ []float64, m, _ float64) float64 { return m }
	sd := func(_ []float64, _, s float64) float64 { return s }
	zscore := func(w []float64, m, s float64) float64 { return (w[len(w)-1] - m) / s }
	volatility := func(x []float64, n int) []float64 {
		r := rollingReference(logReturnsReference(x)[1:], n, sd)
		return append([]float64{null}, r...)
	}

	tests := []struct {
		name   string
		f      transform.Func
		column string
		closes []float64
		want   []float64
		rel    float64
	}{
		{"ema 12", transform.EMA(12), "ema_12", aapl, emaReference(aapl, 12, 2.0/13), 1e-9},
		{"ema 200", transform.EMA(200), "ema_200", aapl, emaReference(aapl, 200, 2.0/201), 1e-9},
		{"rsi 14", transform.RSI(14), "rsi_14", aapl, rsiReference(aapl, 14), 1e-9},
		{"rsi 2", transform.RSI(2), "rsi_2", aapl, rsiReference(aapl, 2), 1e-9},
		{"sma 20", transform.SMA(20), "sma_20", aapl, rollingReference(aapl, 20, mean), 1e-12},
		{"zscore 60", transform.ZScore("close", 60), "zscore_close_60", aapl, rollingReference(aapl, 60, zscore), 1e-9},
		{"volatility 20", transform.Volatility(20), "volatility_20", aapl, volatility(aapl, 20), 1e-9},
		{"sma 20 near 1e5", transform.SMA(20), "sma_20", flat, rollingReference(flat, 20, mean), 1e-14},
		{"volatility 20 near 1e5", transform.Volatility(20), "volatility_20", flat, volatility(flat, 20), 1e-6},
		// A z-score does not change when every value moves by the same
		// amount, and the reference loses no digits on the wobble alone.
		{"zscore 30 near 1e5", transform.ZScore("close", 30), "zscore_close_30", flat, rollingReference(wobble, 30, zscore), 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := newRecord(mem, tt.closes)
			defer in.Release()

			out, err := tt.f(in, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			checkFloats(t, tt.column, floats(t, out, tt.column), tt.want, tt.rel)
		})
	}
}
