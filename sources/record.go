package sources

import (
	"time"

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
			field := barField(f.Name)
			for i := range bars {
				col.Append(*field(&bars[i]))
			}
		}
	}
	return b.NewRecordBatch()
}

// RecordBars reads a record of any kind's schema back into bars, by column
// name: the inverse of NewRecord. An intraday bar's Date is its instant in
// Exchange time. The symbol column and columns a Bar has no field for (a
// transform's) are not read; fields the schema lacks stay zero.
func RecordBars(rec arrow.RecordBatch) []Bar {
	bars := make([]Bar, rec.NumRows())
	for c, f := range rec.Schema().Fields() {
		switch col := rec.Column(c).(type) {
		case *array.Date32:
			for i := range bars {
				bars[i].Date = col.Value(i).ToTime()
			}
		case *array.Timestamp:
			for i := range bars {
				bars[i].Date = time.UnixMicro(int64(col.Value(i))).In(Exchange)
			}
		case *array.Int64:
			for i := range bars {
				bars[i].Volume = col.Value(i)
			}
		case *array.Float64:
			if field := barField(f.Name); field != nil {
				for i := range bars {
					*field(&bars[i]) = col.Value(i)
				}
			}
		}
	}
	return bars
}

// barField returns the accessor of the Bar field that the price column
// name holds, or nil for a column no field holds.
func barField(name string) func(*Bar) *float64 {
	switch name {
	case ColOpen:
		return func(b *Bar) *float64 { return &b.Open }
	case ColHigh:
		return func(b *Bar) *float64 { return &b.High }
	case ColLow:
		return func(b *Bar) *float64 { return &b.Low }
	case ColClose:
		return func(b *Bar) *float64 { return &b.Close }
	case ColAdjustedClose:
		return func(b *Bar) *float64 { return &b.AdjustedClose }
	case ColDividend:
		return func(b *Bar) *float64 { return &b.Dividend }
	case ColSplitCoefficient:
		return func(b *Bar) *float64 { return &b.SplitCoefficient }
	}
	return nil
}
