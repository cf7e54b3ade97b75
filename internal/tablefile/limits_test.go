package tablefile_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"runtime"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// A damaged Arrow stream whose message claims a length its file cannot
// hold fails without allocating that length. Found by fuzzing Open: a
// 1 KB file cost 770 MB of allocations, because ipc.NewReader ignores its
// size limits (arrow-go v18.8.0).
func TestDamagedArrowLengthsAllocateLittle(t *testing.T) {
	header := func(cont bool, length uint32) []byte {
		var b []byte
		if cont {
			b = binary.LittleEndian.AppendUint32(b, 0xFFFFFFFF)
		}
		return append(binary.LittleEndian.AppendUint32(b, length), make([]byte, 64)...)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"metadata of 60 MiB", header(true, 60<<20)},
		{"metadata of 2 GiB - 1", header(true, 1<<31-1)},
		{"pre-0.15 metadata of 60 MiB", header(false, 60<<20)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			f, err := tablefile.Decode(context.Background(), "X.arrow", tt.data, mem)
			runtime.ReadMemStats(&after)
			if err == nil {
				f.Release()
				t.Fatal("Decode succeeded, want an error")
			}
			if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
				t.Errorf("Decode allocated %d bytes for a %d-byte file before failing: %v", got, len(tt.data), err)
			}
		})
	}
}

// A record batch over arrow-go's default body limit (256 MiB), which a
// long intraday history makes, is read: the limit is the file's size.
func TestArrowBatchOver256MiB(t *testing.T) {
	if testing.Short() {
		t.Skip("writes and reads a 270 MiB file")
	}
	const rows = 270 << 20 / 8 // one int64 column
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	schema := arrow.NewSchema([]arrow.Field{{Name: "volume", Type: arrow.PrimitiveTypes.Int64}}, nil)
	values := make([]int64, rows)
	for i := range values {
		values[i] = int64(i)
	}
	col := array.NewInt64Data(array.NewData(arrow.PrimitiveTypes.Int64, rows,
		[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int64Traits.CastToBytes(values))}, nil, 0, 0))
	rec := array.NewRecordBatch(schema, []arrow.Array{col}, rows)
	col.Release()
	defer rec.Release()
	for _, tt := range []struct {
		name  string
		write func(*bytes.Buffer) error
	}{
		{"file", func(b *bytes.Buffer) error {
			w, err := ipc.NewFileWriter(b, ipc.WithSchema(schema))
			if err != nil {
				return err
			}
			if err := w.Write(rec); err != nil {
				return err
			}
			return w.Close()
		}},
		{"stream", func(b *bytes.Buffer) error {
			w := ipc.NewWriter(b, ipc.WithSchema(schema))
			if err := w.Write(rec); err != nil {
				return err
			}
			return w.Close()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			buf.Grow(rows*8 + 1<<20)
			if err := tt.write(&buf); err != nil {
				t.Fatal(err)
			}
			f, err := tablefile.Decode(context.Background(), "X.arrow", buf.Bytes(), mem)
			if err != nil {
				t.Fatalf("Decode of a %d MiB %s: %v", buf.Len()>>20, tt.name, err)
			}
			defer f.Release()
			if n := f.Records[0].NumRows(); len(f.Records) != 1 || n != rows {
				t.Fatalf("read %d records, the first of %d rows; want 1 of %d", len(f.Records), n, rows)
			}
			if v := f.Records[0].Column(0).(*array.Int64).Value(rows - 1); v != rows-1 {
				t.Errorf("last value %d, want %d", v, rows-1)
			}
		})
	}
}
