package transform_test

import (
	"math"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// TestBuiltins checks every built-in against values worked out by hand.
func TestBuiltins(t *testing.T) {
	t.Parallel()
	e := math.Exp
	sqrt := math.Sqrt
	tests := []struct {
		name   string
		f      transform.Func
		column string
		closes []float64
		want   []float64
	}{
		{"returns", transform.Returns(), "return",
			[]float64{100, 110, 99, 99, null, 120, 60},
			[]float64{null, 0.1, -0.1, 0, null, null, -0.5}},
		{"returns leading nulls", transform.Returns(), "return",
			[]float64{null, null, 10, 20, 30, 40, 50},
			[]float64{null, null, null, 1, 0.5, 1.0 / 3, 0.25}},
		{"returns after zero", transform.Returns(), "return",
			[]float64{0, 5, 10},
			[]float64{null, null, 1}},
		{"returns empty", transform.Returns(), "return", nil, []float64{}},
		{"log_returns", transform.LogReturns(), "log_return",
			[]float64{100, 110, 99, 99, null, 120, 60},
			[]float64{null, math.Log(1.1), math.Log(0.9), 0, null, null, math.Log(0.5)}},
		{"log_returns non-positive", transform.LogReturns(), "log_return",
			[]float64{null, 2, 0, 3, -1, 4},
			[]float64{null, null, null, null, null, null}},

		{"sma", transform.SMA(3), "sma_3",
			[]float64{1, 2, 3, 4, 5, 6},
			[]float64{null, null, 2, 3, 4, 5}},
		{"sma leading nulls", transform.SMA(3), "sma_3",
			[]float64{null, null, 10, 20, 30, 40, 50},
			[]float64{null, null, null, null, 20, 30, 40}},
		{"sma interior null", transform.SMA(3), "sma_3",
			[]float64{1, 2, 3, null, 5, 6, 7, 8},
			[]float64{null, null, 2, null, null, null, 6, 7}},
		{"sma 1", transform.SMA(1), "sma_1",
			[]float64{4, null, 6},
			[]float64{4, null, 6}},
		{"sma longer than series", transform.SMA(10), "sma_10",
			[]float64{1, 2, 3, 4, 5},
			[]float64{null, null, null, null, null}},
		{"sma exact window", transform.SMA(5), "sma_5",
			[]float64{1, 2, 3, 4, 5},
			[]float64{null, null, null, null, 3}},

		// alpha = 2/(3+1) = 0.5; the seed is the mean of the first 3.
		{"ema", transform.EMA(3), "ema_3",
			[]float64{2, 4, 6, 2, 4, 10},
			[]float64{null, null, 4, 3, 3.5, 6.75}},
		{"ema nulls skipped", transform.EMA(3), "ema_3",
			[]float64{null, 2, 4, 6, null, 2},
			[]float64{null, null, null, 4, null, 3}},
		{"ema 1 is the price", transform.EMA(1), "ema_1",
			[]float64{3, 1, 4},
			[]float64{3, 1, 4}},
		{"ema longer than series", transform.EMA(4), "ema_4",
			[]float64{1, 2, 3},
			[]float64{null, null, null}},

		// Log returns of e^0, e^1, e^3, e^3, e^2 are 1, 2, 0, -1.
		{"volatility 2", transform.Volatility(2), "volatility_2",
			[]float64{1, e(1), e(3), e(3), e(2)},
			[]float64{null, null, 1 / sqrt(2), sqrt(2), 1 / sqrt(2)}},
		{"volatility 3", transform.Volatility(3), "volatility_3",
			[]float64{1, e(1), e(3), e(3), e(2)},
			[]float64{null, null, null, 1, sqrt(7.0 / 3)}},
		{"volatility null price", transform.Volatility(2), "volatility_2",
			[]float64{null, 1, e(1), e(3), null, e(3), e(2), e(4)},
			[]float64{null, null, null, 1 / sqrt(2), null, null, null, 3 / sqrt(2)}},
		{"volatility flat", transform.Volatility(2), "volatility_2",
			[]float64{5, 5, 5, 5},
			[]float64{null, null, 0, 0}},

		// Changes +1, -0.5, +1, -0.5, 0: the seed averages the first two.
		{"rsi", transform.RSI(2), "rsi_2",
			[]float64{10, 11, 10.5, 11.5, 11, 11},
			[]float64{null, null, 100 - 100.0/3, 100 - 100.0/7, 100 - 100/2.2, 100 - 100/2.2}},
		{"rsi nulls skipped", transform.RSI(2), "rsi_2",
			[]float64{null, 10, 11, null, 10.5, 11.5},
			[]float64{null, null, null, null, 100 - 100.0/3, 100 - 100.0/7}},
		{"rsi all gains", transform.RSI(2), "rsi_2",
			[]float64{1, 2, 3, 4},
			[]float64{null, null, 100, 100}},
		{"rsi all losses", transform.RSI(2), "rsi_2",
			[]float64{4, 3, 2, 1},
			[]float64{null, null, 0, 0}},
		{"rsi flat", transform.RSI(2), "rsi_2",
			[]float64{5, 5, 5},
			[]float64{null, null, 50}},
		{"rsi longer than series", transform.RSI(5), "rsi_5",
			[]float64{1, 2, 3, 4, 5},
			[]float64{null, null, null, null, null}},

		{"zscore", transform.ZScore("close", 3), "zscore_close_3",
			[]float64{1, 2, 3, 4, 8, 8, 8, 8},
			[]float64{null, null, 1, 1, 3 / sqrt(7), 1 / sqrt(3), null, null}},
		// Running sums leave this flat window a variance of about 1e-12:
		// only knowing the values are equal gives the null.
		{"zscore flat after a move", transform.ZScore("close", 3), "zscore_close_3",
			[]float64{9.4, 89.33, 89.33, 89.33, 89.33},
			[]float64{null, null, 1 / sqrt(3), null, null}},
		{"zscore leading null", transform.ZScore("close", 2), "zscore_close_2",
			[]float64{null, 1, 3, 2},
			[]float64{null, null, 1 / sqrt(2), -1 / sqrt(2)}},
		{"zscore int64 column", transform.ZScore("volume", 3), "zscore_volume_3",
			[]float64{1, 1, 1, 1},
			[]float64{null, null, 1, 1}},
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
			if out.NumRows() != in.NumRows() || out.NumCols() != in.NumCols()+1 {
				t.Fatalf("out is %dx%d, want %dx%d", out.NumRows(), out.NumCols(), in.NumRows(), in.NumCols()+1)
			}
			checkFloats(t, tt.column, floats(t, out, tt.column), tt.want, 1e-12)
			if !out.Schema().Field(int(in.NumCols())).Nullable {
				t.Errorf("column %q is not nullable", tt.column)
			}
		})
	}
}

// TestApplyErrors checks the errors that only applying a Func can find.
func TestApplyErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		f    transform.Func
		want string
	}{
		{"zscore unknown column", transform.ZScore("nope", 3),
			`transform "zscore:nope:3": no column "nope" (have symbol, date, close, volume)`},
		{"zscore string column", transform.ZScore("symbol", 3),
			`transform "zscore:symbol:3": column "symbol" is utf8, not numeric`},
		{"column exists", transform.Chain(transform.SMA(2), transform.SMA(2)),
			`transform "sma:2": record already has column "sma_2"`},
		{"sma 0", transform.SMA(0), `transform "sma:0": window must be a positive integer`},
		{"ema negative", transform.EMA(-3), `transform "ema:-3": window must be a positive integer`},
		{"rsi too large", transform.RSI(transform.MaxWindow + 1), `transform "rsi:10001": window must be at most 10000`},
		{"volatility 1", transform.Volatility(1), `transform "volatility:1": window must be at least 2`},
		{"zscore 1", transform.ZScore("close", 1), `transform "zscore:close:1": window must be at least 2`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := newRecord(mem, []float64{1, 2, 3, 4})
			defer in.Release()

			out, err := tt.f(in, mem)
			if err == nil {
				out.Release()
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}

// TestMissingPriceColumn checks the price-based built-ins on a record
// without a close column.
func TestMissingPriceColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		f    transform.Func
		want string
	}{
		{transform.Returns(), `transform "returns": no column "close" (have symbol, date, volume)`},
		{transform.LogReturns(), `transform "log_returns": no column "close" (have symbol, date, volume)`},
		{transform.SMA(2), `transform "sma:2": no column "close" (have symbol, date, volume)`},
		{transform.EMA(2), `transform "ema:2": no column "close" (have symbol, date, volume)`},
		{transform.Volatility(2), `transform "volatility:2": no column "close" (have symbol, date, volume)`},
		{transform.RSI(2), `transform "rsi:2": no column "close" (have symbol, date, volume)`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			full := newRecord(mem, []float64{1, 2, 3})
			defer full.Release()
			schema := arrow.NewSchema([]arrow.Field{full.Schema().Field(0), full.Schema().Field(1), full.Schema().Field(3)}, nil)
			in := array.NewRecordBatch(schema, []arrow.Array{full.Column(0), full.Column(1), full.Column(3)}, full.NumRows())
			defer in.Release()

			out, err := tt.f(in, mem)
			if err == nil {
				out.Release()
				t.Fatalf("no error, want %q", tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q", err, tt.want)
			}
		})
	}
}
