package postgres

import (
	"encoding/binary"
	"fmt"
	"math"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// decodeCopy reads a binary COPY stream back into a record of schema, as
// the server would store it and a binary SELECT would return it; the
// stream's first field, the symbol, must be symbol.
func decodeCopy(stream []byte, symbol string, schema *arrow.Schema, types []pgType, mem memory.Allocator) (arrow.RecordBatch, error) {
	if len(stream) < 19 || string(stream[:11]) != copySignature {
		return nil, fmt.Errorf("no COPY signature")
	}
	p := stream[19:]
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	for {
		if len(p) < 2 {
			return nil, fmt.Errorf("cut short")
		}
		n := int16(binary.BigEndian.Uint16(p))
		p = p[2:]
		if n == -1 {
			break
		}
		if int(n) != 1+len(types) {
			return nil, fmt.Errorf("a row of %d fields, want %d", n, 1+len(types))
		}
		size := int(binary.BigEndian.Uint32(p))
		if got := string(p[4 : 4+size]); got != symbol {
			return nil, fmt.Errorf("symbol %q, want %q", got, symbol)
		}
		p = p[4+size:]
		for j := range types {
			size := int32(binary.BigEndian.Uint32(p))
			p = p[4:]
			if size == -1 {
				b.Field(j).AppendNull()
				continue
			}
			if err := types[j].decode(p[:size], b.Field(j)); err != nil {
				return nil, err
			}
			p = p[size:]
		}
	}
	if len(p) != 0 {
		return nil, fmt.Errorf("%d bytes after the trailer", len(p))
	}
	return b.NewRecordBatch(), nil
}

// Every type loader writes reads back as written, nulls and extremes
// included.
func TestCodecRoundTrip(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	usec := &arrow.TimestampType{Unit: arrow.Microsecond}
	tz := &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: "s", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "d", Type: arrow.FixedWidthTypes.Date32, Nullable: true},
		{Name: "f8", Type: arrow.PrimitiveTypes.Float64, Nullable: true},
		{Name: "f4", Type: arrow.PrimitiveTypes.Float32, Nullable: true},
		{Name: "i8", Type: arrow.PrimitiveTypes.Int64, Nullable: true},
		{Name: "i4", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "i2", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
		{Name: "b", Type: arrow.FixedWidthTypes.Boolean, Nullable: true},
		{Name: "ts", Type: usec, Nullable: true},
		{Name: "tstz", Type: tz, Nullable: true},
	}, nil)
	b := array.NewRecordBuilder(mem, schema)
	defer b.Release()
	when := time.Date(1999, 12, 31, 23, 59, 59, 999999000, time.UTC)
	rows := []func(){
		func() {
			b.Field(0).(*array.StringBuilder).Append("AAPL")
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(1969, 7, 20, 0, 0, 0, 0, time.UTC)))
			b.Field(2).(*array.Float64Builder).Append(math.Inf(-1))
			b.Field(3).(*array.Float32Builder).Append(-0.5)
			b.Field(4).(*array.Int64Builder).Append(math.MinInt64)
			b.Field(5).(*array.Int32Builder).Append(math.MaxInt32)
			b.Field(6).(*array.Int16Builder).Append(-7)
			b.Field(7).(*array.BooleanBuilder).Append(true)
			b.Field(8).(*array.TimestampBuilder).Append(arrow.Timestamp(when.UnixMicro()))
			b.Field(9).(*array.TimestampBuilder).Append(arrow.Timestamp(when.Add(time.Microsecond).UnixMicro()))
		},
		func() {
			for i := range schema.NumFields() {
				b.Field(i).AppendNull()
			}
		},
		func() {
			b.Field(0).(*array.StringBuilder).Append("")
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)))
			b.Field(2).(*array.Float64Builder).Append(123.4567)
			b.Field(3).(*array.Float32Builder).Append(float32(math.NaN()))
			b.Field(4).(*array.Int64Builder).Append(42)
			b.Field(5).(*array.Int32Builder).Append(0)
			b.Field(6).(*array.Int16Builder).Append(math.MaxInt16)
			b.Field(7).(*array.BooleanBuilder).Append(false)
			b.Field(8).(*array.TimestampBuilder).Append(0)
			b.Field(9).(*array.TimestampBuilder).Append(-1)
		},
	}
	for _, row := range rows {
		row()
	}
	rec := b.NewRecordBatch()
	defer rec.Release()

	var types []pgType
	var cols []int
	for i, f := range schema.Fields() {
		typ, err := typeOf(f.Type)
		if err != nil {
			t.Fatal(err)
		}
		types = append(types, typ)
		cols = append(cols, i)
	}
	got, err := decodeCopy(encodeCopy(nil, "BRK.B", rec, cols, types), "BRK.B", schema, types, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Release()
	if !array.RecordApproxEqual(got, rec, array.WithNaNsEqual(true)) {
		t.Fatalf("read back\n%v\nwrote\n%v", got, rec)
	}
}

// Arrow types without a counterpart are refused by name.
func TestTypeOfUnknown(t *testing.T) {
	if _, err := typeOf(arrow.BinaryTypes.Binary); err == nil {
		t.Fatal("binary has a PostgreSQL type here?")
	}
}

func TestRedact(t *testing.T) {
	tests := []struct{ in, want string }{
		{"postgres://u:secret@h:5432/db", "postgres://u:xxxxx@h:5432/db"},
		{"postgresql://u@h/db?sslmode=disable", "postgresql://u@h/db?sslmode=disable"},
		{"postgres://h/db?password=secret&sslmode=require", "postgres://h/db?password=xxxxx&sslmode=require"},
		{"postgres://u:p%40ss@h/db", "postgres://u:xxxxx@h/db"},
		{"postgres://%zz", "postgres://xxxxx"},
	}
	for _, tt := range tests {
		if got := Redact(tt.in); got != tt.want {
			t.Errorf("Redact(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestScrubber(t *testing.T) {
	s := newScrubber("postgres://u:a%2Fb%40c@h/db?password=q")
	t.Setenv("PGPASSWORD", "")
	s.add("from-pgpass")
	err := s.error(fmt.Errorf("x a/b@c y a%%2Fb%%40c z q from-pgpass"))
	if got, want := err.Error(), "x xxxxx y xxxxx z xxxxx xxxxx"; got != want {
		t.Errorf("scrubbed %q, want %q", got, want)
	}
}
