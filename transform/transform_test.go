package transform_test

import (
	"errors"
	"math"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

// null marks a null in the tables of this package's tests; no test feeds or
// expects a NaN value.
var null = math.NaN()

var day0 = time.Date(2024, time.January, 1, 0, 0, 0, 0, time.UTC)

// newRecord returns a record of symbol, date (consecutive days from day0),
// close (null where closes holds null) and volume (1, 2, 3, ...).
func newRecord(mem memory.Allocator, closes []float64) arrow.RecordBatch {
	schema := arrow.NewSchema([]arrow.Field{
		{Name: sources.ColSymbol, Type: arrow.BinaryTypes.String},
		{Name: sources.ColDate, Type: arrow.FixedWidthTypes.Date32},
		{Name: sources.ColClose, Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: sources.ColVolume, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	// A null slot holds a plausible price, so that a transform reading it
	// as a value gets a wrong answer rather than a lucky zero.
	values := make([]float64, len(closes))
	valid := make([]bool, len(closes))
	for i, c := range closes {
		values[i], valid[i] = c, !math.IsNaN(c)
		if !valid[i] {
			values[i] = 7
		}
		b.Field(0).(*array.StringBuilder).Append("TEST")
		b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(day0.AddDate(0, 0, i)))
		b.Field(3).(*array.Int64Builder).Append(int64(i + 1))
	}
	b.Field(2).(*array.Float64Builder).AppendValues(values, valid)
	return b.NewRecordBatch()
}

// floats returns rec's float64 column name, with null for null rows.
func floats(t *testing.T, rec arrow.RecordBatch, name string) []float64 {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		t.Fatalf("record has %d columns %q, want 1 (schema %v)", len(idx), name, rec.Schema())
	}
	col, ok := rec.Column(idx[0]).(*array.Float64)
	if !ok {
		t.Fatalf("column %q is %s, want float64", name, rec.Column(idx[0]).DataType())
	}
	out := make([]float64, col.Len())
	for i := range out {
		switch {
		case col.IsNull(i):
			out[i] = null
		case math.IsNaN(col.Value(i)):
			t.Fatalf("column %q row %d holds a NaN value, not a null", name, i)
		default:
			out[i] = col.Value(i)
		}
	}
	return out
}

// checkFloats fails unless got and want agree row by row: both null, equal,
// or within rel relative error.
func checkFloats(t *testing.T, name string, got, want []float64, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d rows, want %d", name, len(got), len(want))
	}
	bad := 0
	for i := range got {
		g, w := got[i], want[i]
		if math.IsNaN(g) != math.IsNaN(w) || g != w && math.Abs(g-w) > rel*math.Abs(w) {
			t.Errorf("%s row %d = %v, want %v (null is NaN)", name, i, g, w)
			if bad++; bad > 5 {
				t.FailNow()
			}
		}
	}
}

func TestChain(t *testing.T) {
	t.Parallel()
	// appendConst returns a user Func adding a column that holds v.
	appendConst := func(name string, v float64) transform.Func {
		return func(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			for range rec.NumRows() {
				b.Append(v)
			}
			col := b.NewArray()
			defer col.Release()
			return transform.AppendColumn(rec, name, col)
		}
	}
	errUser := errors.New("user transform failed")
	fail := func(arrow.RecordBatch, memory.Allocator) (arrow.RecordBatch, error) { return nil, errUser }

	tests := []struct {
		name    string
		f       transform.Func
		columns []string // appended columns, in order
		wantErr error
	}{
		{name: "empty", f: transform.Chain()},
		{name: "one", f: transform.Chain(transform.Returns()), columns: []string{"return"}},
		{name: "user then built-ins",
			f:       transform.Chain(appendConst("one", 1), transform.SMA(2), transform.Chain(transform.RSI(2), transform.EMA(2))),
			columns: []string{"one", "sma_2", "rsi_2", "ema_2"}},
		{name: "error after intermediates", f: transform.Chain(transform.Returns(), transform.SMA(2), fail, transform.EMA(2)), wantErr: errUser},
		{name: "error first", f: transform.Chain(fail, transform.Returns()), wantErr: errUser},
		{name: "built-in error", f: transform.Chain(transform.SMA(2), transform.SMA(2)), wantErr: errAny},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := newRecord(mem, []float64{1, 2, 3, 4})
			defer in.Release()

			out, err := tt.f(in, mem)
			if tt.wantErr != nil {
				if err == nil || (tt.wantErr != errAny && !errors.Is(err, tt.wantErr)) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if out != nil {
					t.Fatalf("out = %v on error, want nil", out)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			if got, want := int(out.NumCols()), int(in.NumCols())+len(tt.columns); got != want {
				t.Fatalf("%d columns, want %d", got, want)
			}
			for i, name := range tt.columns {
				if got := out.ColumnName(int(in.NumCols()) + i); got != name {
					t.Errorf("column %d = %q, want %q", int(in.NumCols())+i, got, name)
				}
			}
			if in.NumCols() != 4 {
				t.Errorf("input record changed: %d columns", in.NumCols())
			}
		})
	}
}

// errAny stands for "some error" in tables where its text is checked
// elsewhere.
var errAny = errors.New("any error")

func TestAppendColumn(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		column  string
		values  []float64
		wantErr string
	}{
		{name: "appended", column: "x", values: []float64{1, 2, 3}},
		{name: "name taken", column: "close", values: []float64{1, 2, 3}, wantErr: `record already has column "close"`},
		{name: "too short", column: "x", values: []float64{1, 2}, wantErr: `column "x" has 2 rows, record 3`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			base := newRecord(mem, []float64{1, 2, 3})
			defer base.Release()
			meta := arrow.NewMetadata([]string{"source"}, []string{"test"})
			schema := arrow.NewSchema(base.Schema().Fields(), &meta)
			in := array.NewRecordBatch(schema, base.Columns(), base.NumRows())
			defer in.Release()
			b := array.NewFloat64Builder(mem)
			defer b.Release()
			b.AppendValues(tt.values, nil)
			col := b.NewArray()
			defer col.Release()

			out, err := transform.AppendColumn(in, tt.column, col)
			if tt.wantErr != "" {
				if err == nil {
					out.Release()
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				if err.Error() != tt.wantErr {
					t.Fatalf("err = %q, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			checkFloats(t, tt.column, floats(t, out, tt.column), tt.values, 0)
			if v, ok := out.Schema().Metadata().GetValue("source"); !ok || v != "test" {
				t.Errorf("schema metadata lost: %v", out.Schema().Metadata())
			}
			if in.NumCols() != 4 {
				t.Errorf("input record changed: %d columns", in.NumCols())
			}
		})
	}
}
