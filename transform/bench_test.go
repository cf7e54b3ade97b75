package transform_test

import (
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// BenchmarkTransforms applies each built-in to the first 5,000 rows of the
// sample series. Bytes are the close column's.
func BenchmarkTransforms(b *testing.B) {
	const rows = 5000
	mid := time.Date(2010, time.January, 1, 0, 0, 0, 0, time.UTC)
	all, err := transform.Parse("returns,log_returns,sma:20,ema:12,volatility:20,rsi:14,zscore:close:60")
	if err != nil {
		b.Fatal(err)
	}
	benchmarks := []struct {
		name string
		f    transform.Func
	}{
		{"returns", transform.Returns()},
		{"log_returns", transform.LogReturns()},
		{"sma:20", transform.SMA(20)},
		{"ema:12", transform.EMA(12)},
		{"volatility:20", transform.Volatility(20)},
		{"rsi:14", transform.RSI(14)},
		{"zscore:close:60", transform.ZScore("close", 60)},
		{"zscore:volume:60", transform.ZScore("volume", 60)},
		{"date_range", transform.DateRange(mid, time.Time{})},
		{"all", all},
	}
	mem := memory.NewGoAllocator()
	full := sample.Bars("AAPL", false, mem)
	defer full.Release()
	in := full.NewSlice(0, rows)
	defer in.Release()
	for _, bm := range benchmarks {
		b.Run(bm.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(rows * 8)
			for b.Loop() {
				out, err := bm.f(in, mem)
				if err != nil {
					b.Fatal(err)
				}
				out.Release()
			}
		})
	}
}
