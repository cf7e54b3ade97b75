package main

import (
	"fmt"
	"slices"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// rangeColumn is the column dailyRange appends.
const rangeColumn = "range"

var _ transform.Func = dailyRange

// dailyRange is a user-written transform.Func: it appends the float64
// column "range", the day's span as a share of its close,
// (high-low)/close, null where a price is null or the close is zero. Like
// every Func it leaves rec alone and returns a new record the caller owns.
func dailyRange(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	var prices [3]*array.Float64
	for i, name := range []string{sources.ColHigh, sources.ColLow, sources.ColClose} {
		idx := rec.Schema().FieldIndices(name)
		if len(idx) == 0 {
			return nil, fmt.Errorf("transform range: no column %q", name)
		}
		col, ok := rec.Column(idx[0]).(*array.Float64)
		if !ok {
			return nil, fmt.Errorf("transform range: column %q is %s, want float64", name, rec.Column(idx[0]).DataType())
		}
		prices[i] = col
	}
	high, low, closing := prices[0], prices[1], prices[2]

	b := array.NewFloat64Builder(mem)
	defer b.Release()
	b.Reserve(int(rec.NumRows()))
	for i := range int(rec.NumRows()) {
		if high.IsNull(i) || low.IsNull(i) || closing.IsNull(i) || closing.Value(i) == 0 {
			b.AppendNull()
			continue
		}
		b.UnsafeAppend((high.Value(i) - low.Value(i)) / closing.Value(i))
	}
	col := b.NewFloat64Array()
	defer col.Release()

	meta := rec.Schema().Metadata()
	schema := arrow.NewSchema(append(rec.Schema().Fields(),
		arrow.Field{Name: rangeColumn, Type: arrow.PrimitiveTypes.Float64, Nullable: true}), &meta)
	return array.NewRecordBatch(schema, append(slices.Clone(rec.Columns()), col), rec.NumRows()), nil
}
