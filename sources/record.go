package sources

import (
	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// NewRecord returns bars as symbol's record of kind.Schema(), built with
// mem, in the order given. The caller owns the record.
func NewRecord(kind Kind, symbol string, bars []Bar, mem memory.Allocator) arrow.RecordBatch {
	schema := kind.Schema()
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	b.Reserve(len(bars))
	for i, f := range schema.Fields() {
		switch col := b.Field(i).(type) {
		case *array.StringBuilder:
			for range bars {
				col.Append(symbol)
			}
		case *array.Date32Builder:
			for _, bar := range bars {
				col.Append(arrow.Date32FromTime(bar.Date))
			}
		case *array.TimestampBuilder:
			for _, bar := range bars {
				col.Append(arrow.Timestamp(bar.Date.UnixMicro()))
			}
		case *array.Int64Builder:
			for _, bar := range bars {
				col.Append(bar.Volume)
			}
		case *array.Float64Builder:
			value := barField(f.Name)
			for i := range bars {
				col.Append(value(&bars[i]))
			}
		}
	}
	return b.NewRecordBatch()
}

func barField(name string) func(*Bar) float64 {
	switch name {
	case ColOpen:
		return func(b *Bar) float64 { return b.Open }
	case ColHigh:
		return func(b *Bar) float64 { return b.High }
	case ColLow:
		return func(b *Bar) float64 { return b.Low }
	case ColClose:
		return func(b *Bar) float64 { return b.Close }
	case ColAdjustedClose:
		return func(b *Bar) float64 { return b.AdjustedClose }
	case ColDividend:
		return func(b *Bar) float64 { return b.Dividend }
	}
	return func(b *Bar) float64 { return b.SplitCoefficient }
}
