package transform

import (
	"fmt"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Func transforms one symbol's record.
//
// A Func neither releases nor modifies rec. On success it returns a record
// the caller owns and must Release: a new record, or rec itself with one
// more Retain. On error it returns nil and has released everything it built.
// mem allocates every buffer the Func creates, so a checked allocator sees
// all of them.
type Func func(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error)

// Chain returns the Func that applies fs in order, each to the output of the
// one before. It releases every intermediate record and stops at the first
// error, which it returns unchanged. Chain with no Funcs returns rec
// retained.
func Chain(fs ...Func) Func {
	fs = append([]Func(nil), fs...)
	return func(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		cur := rec
		cur.Retain()
		for _, f := range fs {
			next, err := f(cur, mem)
			cur.Release()
			if err != nil {
				return nil, err
			}
			cur = next
		}
		return cur, nil
	}
}

// failing returns a Func that always fails with err, naming spec. The
// constructors use it for arguments that Parse would have rejected, so that
// a bad window surfaces as an error where the Func is applied, not a panic.
func failing(spec string, err error) Func {
	return func(arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) {
		return nil, fmt.Errorf("transform %q: %w", spec, err)
	}
}

// derive returns a Func that appends the float64 column out, filled by
// compute from the numeric column in. compute is handed out with every row
// null and sets the rows it defines. Errors name spec.
func derive(spec, in, out string, compute func(x series, y *floatColumn)) Func {
	return func(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
		x, err := numericColumn(rec, in)
		if err != nil {
			return nil, fmt.Errorf("transform %q: %w", spec, err)
		}
		y := newFloatColumn(mem, int(rec.NumRows()))
		compute(x, y)
		col := y.array()
		defer col.Release()
		res, err := AppendColumn(rec, out, col)
		if err != nil {
			return nil, fmt.Errorf("transform %q: %w", spec, err)
		}
		return res, nil
	}
}

// AppendColumn returns a new record holding rec's columns followed by col,
// named name and nullable, with rec's schema and record metadata. The new
// record retains col and rec's columns; the caller owns it and still owns
// rec and col. It fails when rec already has a column called name or col's
// length is not rec's row count. It is the last step of most Funcs.
func AppendColumn(rec arrow.RecordBatch, name string, col arrow.Array) (arrow.RecordBatch, error) {
	if len(rec.Schema().FieldIndices(name)) > 0 {
		return nil, fmt.Errorf("record already has column %q", name)
	}
	if int64(col.Len()) != rec.NumRows() {
		return nil, fmt.Errorf("column %q has %d rows, record %d", name, col.Len(), rec.NumRows())
	}
	schema := rec.Schema()
	meta := schema.Metadata()
	fields := append(schema.Fields(), arrow.Field{Name: name, Type: col.DataType(), Nullable: true})
	out := arrow.NewSchemaWithEndian(fields, &meta, schema.Endianness())
	cols := slices.Concat(rec.Columns(), []arrow.Array{col})
	if m, ok := rec.(arrow.RecordBatchWithMetadata); ok {
		return array.NewRecordBatchWithMetadata(out, cols, rec.NumRows(), m.Metadata()), nil
	}
	return array.NewRecordBatch(out, cols, rec.NumRows()), nil
}

// column returns rec's column called name, or an error listing the columns
// rec has.
func column(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		names := make([]string, rec.NumCols())
		for i := range names {
			names[i] = rec.ColumnName(i)
		}
		return nil, fmt.Errorf("no column %q (have %s)", name, strings.Join(names, ", "))
	}
	return rec.Column(idx[0]), nil
}
