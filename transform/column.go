package transform

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// series is a read-only view of a numeric column as float64 values.
type series struct {
	vals []float64
	// valid is the validity bitmap, nil when no value is null; bit
	// offset+i belongs to vals[i].
	valid  []byte
	offset int
}

// ok reports whether row i holds a value.
func (s series) ok(i int) bool {
	return s.valid == nil || bitutil.BitIsSet(s.valid, s.offset+i)
}

// numericColumn returns rec's column called name as a series. float64
// columns are viewed in place; other integer and float columns are copied.
func numericColumn(rec arrow.RecordBatch, name string) (series, error) {
	col, err := column(rec, name)
	if err != nil {
		return series{}, err
	}
	var vals []float64
	switch a := col.(type) {
	case *array.Float64:
		vals = a.Float64Values()
	case *array.Float32:
		vals = widen(a.Float32Values())
	case *array.Int64:
		vals = widen(a.Int64Values())
	case *array.Int32:
		vals = widen(a.Int32Values())
	case *array.Int16:
		vals = widen(a.Int16Values())
	case *array.Int8:
		vals = widen(a.Int8Values())
	case *array.Uint64:
		vals = widen(a.Uint64Values())
	case *array.Uint32:
		vals = widen(a.Uint32Values())
	case *array.Uint16:
		vals = widen(a.Uint16Values())
	case *array.Uint8:
		vals = widen(a.Uint8Values())
	default:
		return series{}, fmt.Errorf("column %q is %s, not numeric", name, col.DataType())
	}
	s := series{vals: vals}
	if col.NullN() > 0 {
		s.valid, s.offset = col.NullBitmapBytes(), col.Data().Offset()
	}
	return s, nil
}

func widen[T int8 | int16 | int32 | int64 | uint8 | uint16 | uint32 | uint64 | float32](xs []T) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(x)
	}
	return out
}

// floatColumn is a float64 column under construction, all null until set.
// Its buffers come from the allocator it was made with; the column ends in
// either array or release.
type floatColumn struct {
	vals         []float64
	valid        []byte
	data, bitmap *memory.Buffer
	// mem is where the buffers came from, for scratch columns that
	// computing this one needs.
	mem memory.Allocator
}

func newFloatColumn(mem memory.Allocator, n int) *floatColumn {
	data := memory.NewResizableBuffer(mem)
	data.Resize(n * arrow.Float64SizeBytes)
	bitmap := memory.NewResizableBuffer(mem)
	bitmap.Resize(int(bitutil.BytesForBits(int64(n))))
	// Allocators need not hand out zeroed memory.
	clear(data.Bytes())
	clear(bitmap.Bytes())
	return &floatColumn{
		vals:   arrow.Float64Traits.CastFromBytes(data.Bytes())[:n],
		valid:  bitmap.Bytes(),
		data:   data,
		bitmap: bitmap,
		mem:    mem,
	}
}

// set stores v in row i and marks it valid.
func (c *floatColumn) set(i int, v float64) {
	c.vals[i] = v
	bitutil.SetBit(c.valid, i)
}

// series views the column as it is now.
func (c *floatColumn) series() series { return series{vals: c.vals, valid: c.valid} }

// array returns the column as an arrow array the caller owns; c is spent.
func (c *floatColumn) array() arrow.Array {
	n := len(c.vals)
	nulls := n - bitutil.CountSetBits(c.valid, 0, n)
	data := array.NewData(arrow.PrimitiveTypes.Float64, n, []*memory.Buffer{c.bitmap, c.data}, nil, nulls, 0)
	defer data.Release()
	c.release()
	return array.NewFloat64Data(data)
}

// release frees the column's buffers; c is spent.
func (c *floatColumn) release() {
	c.data.Release()
	c.bitmap.Release()
}
