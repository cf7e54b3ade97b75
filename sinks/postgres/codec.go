package postgres

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// pgType is a PostgreSQL column type and its binary wire form, the one
// COPY … (FORMAT binary) and binary results use.
type pgType struct {
	// name is the type as format_type() spells it, which is how an
	// existing table's columns are compared.
	name string
	// arrow is the type a column of it reads back as.
	arrow arrow.DataType
	// bind returns the appender of col's row i, for a column of this
	// type's Arrow counterpart.
	bind func(col arrow.Array) func(dst []byte, i int) []byte
	// decode appends the value src to b, a builder of arrow.
	decode func(src []byte, b array.Builder) error
}

// pgEpoch is 2000-01-01 UTC, day and microsecond zero of the wire form.
var pgEpoch = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

// pgEpochDays is pgEpoch in days since the Unix epoch, Arrow's date32 zero.
const pgEpochDays = 10957

// typeOf returns the PostgreSQL type that holds an Arrow type's values.
func typeOf(dt arrow.DataType) (pgType, error) {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING:
		return textType, nil
	case arrow.DATE32:
		return dateType, nil
	case arrow.FLOAT64:
		return float8Type, nil
	case arrow.FLOAT32:
		return float4Type, nil
	case arrow.INT64:
		return int8Type, nil
	case arrow.INT32:
		return int4Type, nil
	case arrow.INT16:
		return int2Type, nil
	case arrow.BOOL:
		return boolType, nil
	case arrow.TIMESTAMP:
		if dt.(*arrow.TimestampType).TimeZone != "" {
			return timestamptzType, nil
		}
		return timestampType, nil
	}
	return pgType{}, fmt.Errorf("arrow type %s has no PostgreSQL counterpart here", dt)
}

// typeNamed returns the type whose format_type() name is name.
func typeNamed(name string) (pgType, bool) {
	for _, t := range []pgType{textType, dateType, float8Type, float4Type, int8Type, int4Type, int2Type, boolType, timestampType, timestamptzType} {
		if t.name == name {
			return t, true
		}
	}
	return pgType{}, false
}

var (
	textType = pgType{
		name:  "text",
		arrow: arrow.BinaryTypes.String,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			switch a := col.(type) {
			case *array.String:
				return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i)) }
			case *array.LargeString:
				return func(dst []byte, i int) []byte { return appendText(dst, a.Value(i)) }
			}
			panic("postgres: text bound to " + col.DataType().String())
		},
		decode: func(src []byte, b array.Builder) error {
			b.(*array.StringBuilder).BinaryBuilder.Append(src)
			return nil
		},
	}
	dateType = pgType{
		name:  "date",
		arrow: arrow.FixedWidthTypes.Date32,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Date32).Date32Values()
			return func(dst []byte, i int) []byte {
				return appendInt32(dst, int32(vals[i])-pgEpochDays)
			}
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 4)
			if err != nil {
				return err
			}
			days := int32(binary.BigEndian.Uint32(v))
			if days == math.MaxInt32 || days == math.MinInt32 {
				return errors.New("infinite date")
			}
			b.(*array.Date32Builder).Append(arrow.Date32(days + pgEpochDays))
			return nil
		},
	}
	float8Type = pgType{
		name:  "double precision",
		arrow: arrow.PrimitiveTypes.Float64,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Float64).Float64Values()
			return func(dst []byte, i int) []byte { return appendUint64(dst, math.Float64bits(vals[i])) }
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 8)
			if err == nil {
				b.(*array.Float64Builder).Append(math.Float64frombits(binary.BigEndian.Uint64(v)))
			}
			return err
		},
	}
	float4Type = pgType{
		name:  "real",
		arrow: arrow.PrimitiveTypes.Float32,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Float32).Float32Values()
			return func(dst []byte, i int) []byte { return appendInt32(dst, int32(math.Float32bits(vals[i]))) }
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 4)
			if err == nil {
				b.(*array.Float32Builder).Append(math.Float32frombits(binary.BigEndian.Uint32(v)))
			}
			return err
		},
	}
	int8Type = pgType{
		name:  "bigint",
		arrow: arrow.PrimitiveTypes.Int64,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Int64).Int64Values()
			return func(dst []byte, i int) []byte { return appendUint64(dst, uint64(vals[i])) }
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 8)
			if err == nil {
				b.(*array.Int64Builder).Append(int64(binary.BigEndian.Uint64(v)))
			}
			return err
		},
	}
	int4Type = pgType{
		name:  "integer",
		arrow: arrow.PrimitiveTypes.Int32,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Int32).Int32Values()
			return func(dst []byte, i int) []byte { return appendInt32(dst, vals[i]) }
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 4)
			if err == nil {
				b.(*array.Int32Builder).Append(int32(binary.BigEndian.Uint32(v)))
			}
			return err
		},
	}
	int2Type = pgType{
		name:  "smallint",
		arrow: arrow.PrimitiveTypes.Int16,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			vals := col.(*array.Int16).Int16Values()
			return func(dst []byte, i int) []byte {
				dst = binary.BigEndian.AppendUint32(dst, 2)
				return binary.BigEndian.AppendUint16(dst, uint16(vals[i]))
			}
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 2)
			if err == nil {
				b.(*array.Int16Builder).Append(int16(binary.BigEndian.Uint16(v)))
			}
			return err
		},
	}
	boolType = pgType{
		name:  "boolean",
		arrow: arrow.FixedWidthTypes.Boolean,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			a := col.(*array.Boolean)
			return func(dst []byte, i int) []byte {
				dst = binary.BigEndian.AppendUint32(dst, 1)
				if a.Value(i) {
					return append(dst, 1)
				}
				return append(dst, 0)
			}
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 1)
			if err == nil {
				b.(*array.BooleanBuilder).Append(v[0] != 0)
			}
			return err
		},
	}
	timestampType   = timestamps("timestamp without time zone", &arrow.TimestampType{Unit: arrow.Microsecond})
	timestamptzType = timestamps("timestamp with time zone", &arrow.TimestampType{Unit: arrow.Microsecond, TimeZone: "UTC"})
)

// timestamps is a timestamp type: microseconds since pgEpoch on the wire.
// Arrow timestamps of any unit are written; nanoseconds are truncated to
// microseconds, PostgreSQL's resolution. They read back in microseconds.
func timestamps(name string, dt *arrow.TimestampType) pgType {
	offset := pgEpoch.UnixMicro()
	return pgType{
		name:  name,
		arrow: dt,
		bind: func(col arrow.Array) func([]byte, int) []byte {
			a := col.(*array.Timestamp)
			toMicros := map[arrow.TimeUnit]func(int64) int64{
				arrow.Second:      func(v int64) int64 { return v * 1e6 },
				arrow.Millisecond: func(v int64) int64 { return v * 1e3 },
				arrow.Microsecond: func(v int64) int64 { return v },
				arrow.Nanosecond:  func(v int64) int64 { return v / 1e3 },
			}[a.DataType().(*arrow.TimestampType).Unit]
			vals := a.TimestampValues()
			return func(dst []byte, i int) []byte {
				return appendUint64(dst, uint64(toMicros(int64(vals[i]))-offset))
			}
		},
		decode: func(src []byte, b array.Builder) error {
			v, err := fixed(src, 8)
			if err != nil {
				return err
			}
			us := int64(binary.BigEndian.Uint64(v))
			if us == math.MaxInt64 || us == math.MinInt64 {
				return errors.New("infinite timestamp")
			}
			b.(*array.TimestampBuilder).Append(arrow.Timestamp(us + offset))
			return nil
		},
	}
}

// appendText appends a text field: its length, then its bytes.
func appendText(dst []byte, s string) []byte {
	dst = binary.BigEndian.AppendUint32(dst, uint32(len(s)))
	return append(dst, s...)
}

// appendInt32 appends a 4-byte field: its length, then the value.
func appendInt32(dst []byte, v int32) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 4)
	return binary.BigEndian.AppendUint32(dst, uint32(v))
}

// appendUint64 appends an 8-byte field: its length, then the value.
func appendUint64(dst []byte, v uint64) []byte {
	dst = binary.BigEndian.AppendUint32(dst, 8)
	return binary.BigEndian.AppendUint64(dst, v)
}

func fixed(src []byte, n int) ([]byte, error) {
	if len(src) != n {
		return nil, fmt.Errorf("a %d-byte value where %d bytes belong", len(src), n)
	}
	return src, nil
}

// copySignature opens every binary COPY stream; the flags and the header
// extension length that follow it are zero.
const copySignature = "PGCOPY\n\xff\r\n\x00"

// nullField is the length of a NULL field.
const nullField = 0xffffffff

// encodeCopy appends to dst one binary COPY stream of rec's rows: symbol,
// the same in every row, then the columns cols of rec, whose types are
// types.
func encodeCopy(dst []byte, symbol string, rec arrow.RecordBatch, cols []int, types []pgType) []byte {
	binds := make([]func([]byte, int) []byte, len(cols))
	arrays := make([]arrow.Array, len(cols))
	for j, c := range cols {
		arrays[j] = rec.Column(c)
		binds[j] = types[j].bind(arrays[j])
	}
	dst = append(dst, copySignature...)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint32(dst, 0)
	n := int(rec.NumRows())
	for i := range n {
		dst = binary.BigEndian.AppendUint16(dst, uint16(1+len(cols)))
		dst = appendText(dst, symbol)
		for j, a := range arrays {
			if a.IsNull(i) {
				dst = binary.BigEndian.AppendUint32(dst, nullField)
				continue
			}
			dst = binds[j](dst, i)
		}
	}
	return binary.BigEndian.AppendUint16(dst, 0xffff)
}
