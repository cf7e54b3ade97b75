package transform_test

import (
	"fmt"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// spread is a user-written transform: it appends (high-low)/close. Like
// every Func it leaves its input alone and returns a new record, which
// AppendColumn makes.
func spread(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	cols := map[string]*array.Float64{}
	for _, name := range []string{"high", "low", "close"} {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("spread: no column %q", name)
		}
		cols[name] = rec.Column(idx[0]).(*array.Float64)
	}
	b := array.NewFloat64Builder(mem)
	defer b.Release()
	for i := range int(rec.NumRows()) {
		b.Append((cols["high"].Value(i) - cols["low"].Value(i)) / cols["close"].Value(i))
	}
	col := b.NewArray()
	defer col.Release()
	return transform.AppendColumn(rec, "spread", col)
}

func Example() {
	mem := memory.NewGoAllocator()
	rec := sample.Bars("AAPL", false, mem)
	defer rec.Release()

	features, err := transform.Parse("returns,sma:3")
	if err != nil {
		panic(err)
	}
	// Filtering last keeps the windows warm: sma_3 on the first kept day
	// averages days before it. Filtering first would start them over.
	f := transform.Chain(
		features,
		spread,
		transform.DateRange(time.Date(2025, time.December, 24, 0, 0, 0, 0, time.UTC), time.Time{}),
	)
	out, err := f(rec, mem)
	if err != nil {
		panic(err)
	}
	defer out.Release()

	columns := []string{"close", "return", "sma_3", "spread"}
	fmt.Printf("%-10s", "date")
	for _, name := range columns {
		fmt.Printf(" %8s", name)
	}
	fmt.Println()
	dates := out.Column(1).(*array.Date32)
	for i := range int(out.NumRows()) {
		fmt.Print(dates.Value(i).FormattedString())
		for _, name := range columns {
			fmt.Printf(" %8.4f", out.Column(out.Schema().FieldIndices(name)[0]).(*array.Float64).Value(i))
		}
		fmt.Println()
	}
	// Output:
	// date          close   return    sma_3   spread
	// 2025-12-24 295.7107   0.0003 295.5744   0.0126
	// 2025-12-25 298.9290   0.0109 296.7492   0.0163
	// 2025-12-26 300.3026   0.0046 298.3141   0.0105
	// 2025-12-29 301.9038   0.0053 300.3785   0.0184
	// 2025-12-30 300.1985  -0.0056 300.8016   0.0134
	// 2025-12-31 298.4070  -0.0060 300.1698   0.0118
}

// LogReturn is the kernel of LogReturns and of the DataLoader's built-in
// log_return feature, for code that has the prices as plain numbers.
func ExampleLogReturn() {
	for _, p := range [][2]float64{{100, 101}, {100, 100}, {0, 101}} {
		r, ok := transform.LogReturn(p[0], p[1])
		fmt.Printf("%v -> %v: %.6f %t\n", p[0], p[1], r, ok)
	}
	// Output:
	// 100 -> 101: 0.009950 true
	// 100 -> 100: 0.000000 true
	// 0 -> 101: NaN false
}
