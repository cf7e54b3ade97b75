package sinks

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Read returns the record stored for symbol, as it was given to Write (in
// the hive layout with its symbol column put back first, without the
// file's metadata), and the description of its file that Write would have
// returned. The record is built with mem; the caller releases it. It reads
// the file under its final name, which is always complete. The single
// layout's shared file cannot be read back per symbol. A Writer is a
// fetch.Reader, which `loader update` needs to append new days.
func (w *Writer) Read(ctx context.Context, symbol string, mem memory.Allocator) (arrow.RecordBatch, dataset.File, error) {
	if w.opts.Layout == dataset.LayoutSingle {
		return nil, dataset.File{}, errors.New("sinks: the single layout's file cannot be read back per symbol")
	}
	rel, err := w.Path(symbol)
	if err != nil {
		return nil, dataset.File{}, err
	}
	var (
		size int64
		sum  string
		etag string
		f    *tablefile.File
	)
	if d, ok := w.st.(*store.Dir); ok {
		path := filepath.Join(d.Path(), filepath.FromSlash(rel))
		size, sum, err = hashFile(path)
		if err != nil {
			return nil, dataset.File{}, fmt.Errorf("sinks: read back %s: %w", symbol, err)
		}
		f, err = tablefile.Read(ctx, path, mem)
	} else {
		var data []byte
		data, err = w.st.ReadFile(ctx, rel)
		if err != nil {
			return nil, dataset.File{}, fmt.Errorf("sinks: read back %s: %w", symbol, err)
		}
		h := sha256.Sum256(data)
		size, sum = int64(len(data)), hex.EncodeToString(h[:])
		// The ETag lets resume check the object from a listing. One read
		// after the other: an ETag of another size is not this object's.
		if obj, serr := w.st.Stat(ctx, rel); serr == nil && obj.Size == size {
			etag = obj.ETag
		}
		f, err = tablefile.ReadBytes(ctx, store.Join(w.st.String(), rel), data, mem)
	}
	if err != nil {
		return nil, dataset.File{}, fmt.Errorf("sinks: read back %s: %w", symbol, err)
	}
	defer f.Release()
	rec, err := tablefile.Concat(f.Schema, f.Records, mem)
	if err != nil {
		return nil, dataset.File{}, fmt.Errorf("sinks: read back %s from %s: %w", symbol, rel, err)
	}
	if w.opts.Layout == dataset.LayoutHive && len(rec.Schema().FieldIndices(sources.ColSymbol)) == 0 {
		defer rec.Release()
		rec = withSymbol(rec, symbol, mem)
	}
	desc := describe(rec)
	desc.Path, desc.Bytes, desc.SHA256, desc.ETag = rel, size, sum, etag
	return rec, desc, nil
}

// hashFile returns the size and hex SHA-256 of the file at path.
func hashFile(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", err
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

// withSymbol returns rec with a first column symbol holding symbol in
// every row, built with mem.
func withSymbol(rec arrow.RecordBatch, symbol string, mem memory.Allocator) arrow.RecordBatch {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.Reserve(int(rec.NumRows()))
	for range rec.NumRows() {
		b.Append(symbol)
	}
	col := b.NewArray()
	defer col.Release()
	fields := append([]arrow.Field{{Name: sources.ColSymbol, Type: arrow.BinaryTypes.String}}, rec.Schema().Fields()...)
	cols := append([]arrow.Array{col}, rec.Columns()...)
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}
