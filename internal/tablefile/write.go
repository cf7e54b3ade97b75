package tablefile

import (
	"fmt"
	"os"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/apache/arrow-go/v18/arrow"
	arrowcsv "github.com/apache/arrow-go/v18/arrow/csv"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// Write writes rec to path in the format its extension names, with meta as
// the Parquet key-value or Arrow schema metadata (CSV has nowhere to keep
// it). It is the plain writer the examples and tests use to make input
// files; `loader fetch` writes through the sinks package, which adds atomic
// finalising and the manifest.
func Write(path string, rec arrow.RecordBatch, meta map[string]string) (err error) {
	format, ok := dataset.FormatOf(path)
	if !ok {
		return fmt.Errorf("write %s: not a .parquet, .arrow or .csv file", path)
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("write %s: %w", path, cerr)
		}
	}()
	md := arrow.MetadataFrom(meta)
	schema := arrow.NewSchema(rec.Schema().Fields(), &md)
	switch format {
	case dataset.FormatParquet:
		err = writeParquet(f, schema, rec)
	case dataset.FormatArrow:
		err = writeArrow(f, schema, rec)
	case dataset.FormatCSV:
		w := arrowcsv.NewWriter(f, rec.Schema(), arrowcsv.WithHeader(true), arrowcsv.WithNullWriter(""))
		if err = w.Write(rec); err == nil {
			err = w.Flush()
		}
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}

func writeParquet(f *os.File, schema *arrow.Schema, rec arrow.RecordBatch) error {
	props := parquet.NewWriterProperties(parquet.WithCompression(compress.Codecs.Snappy))
	w, err := pqarrow.NewFileWriter(schema, nopCloser{f}, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		return err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func writeArrow(f *os.File, schema *arrow.Schema, rec arrow.RecordBatch) error {
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(schema))
	if err != nil {
		return err
	}
	if err := w.Write(rec); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

// nopCloser keeps pqarrow's FileWriter, which closes its sink, from closing
// the file before Write checks the error of closing it.
type nopCloser struct{ *os.File }

func (nopCloser) Close() error { return nil }
