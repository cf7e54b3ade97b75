package sinks

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Column names the Writer looks for in a record.
const (
	// hiveKey is the symbol column, which the hive layout moves from the
	// file into the directory name (symbol=AAPL).
	hiveKey = "symbol"
	// dateColumn, when it is a date32 column, gives File its first and last
	// date.
	dateColumn = "date"
)

// ErrClosed is returned by Write after Close or Abort.
var ErrClosed = errors.New("sinks: writer closed")

// File describes a file a Writer finalized (or, in the single layout, the
// part one symbol added to the shared file).
type File struct {
	// Path is relative to the output directory, with '/' separators.
	Path string
	// Bytes is the file size. In the single layout it is what this
	// symbol's rows added to the shared file.
	Bytes int64
	// Rows is the number of rows written.
	Rows int64
	// FirstDate and LastDate are the smallest and largest value of the
	// date column (UTC midnight), zero when there is none.
	FirstDate, LastDate time.Time
	// SHA256 is the hex SHA-256 of the file; empty in the single layout,
	// whose file is not final until Close.
	SHA256 string
}

// Writer writes records into files under a directory, each under a
// temporary name first, so a reader never sees a partial file under a
// final name. It is synchronous and safe for concurrent use; in the single
// layout, writes are serialized.
type Writer struct {
	opts Options

	mu     sync.Mutex
	closed bool
	temps  map[*atomicFile]struct{} // files being written, for Abort

	singleMu  sync.Mutex
	single    *appendFile // the single layout's file, from the first Write
	singleErr error       // a failure that lost the single file
}

// appendFile is the single layout's file, open for the whole run.
type appendFile struct {
	out    *atomicFile
	enc    encoder
	schema *arrow.Schema
}

// New returns a Writer configured by opts. It creates opts.Dir and removes
// the temporary files a killed run left there and in its hive partition
// directories, so two Writers must not share a directory.
func New(opts Options) (*Writer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(opts.Dir, 0o755); err != nil {
		return nil, fmt.Errorf("sinks: create output directory: %w", err)
	}
	if err := removeStaleTemps(opts.Dir); err != nil {
		return nil, err
	}
	return &Writer{opts: opts, temps: make(map[*atomicFile]struct{})}, nil
}

// Options returns the options of w, with defaults filled in.
func (w *Writer) Options() Options { return w.opts }

// Path returns the path, relative to the output directory and with '/'
// separators, of the file that holds symbol: "AAPL.parquet",
// "symbol=AAPL/part-0.parquet" or, in the single layout, "data.parquet".
// It fails for a symbol [SafeName] rejects.
func (w *Writer) Path(symbol string) (string, error) {
	name, err := SafeName(symbol)
	if err != nil {
		return "", err
	}
	ext := w.opts.Format.Ext()
	switch w.opts.Layout {
	case LayoutSingle:
		return "data." + ext, nil
	case LayoutHive:
		return hiveKey + "=" + name + "/part-0." + ext, nil
	default:
		return name + "." + ext, nil
	}
}

// Write writes rec as symbol's data and returns what it wrote. The caller
// keeps ownership of rec.
//
// In the files and hive layouts the file is complete under its final name
// when Write returns, replacing an earlier one; on error no file of this
// call remains. Its metadata is Options.Metadata plus meta (meta wins on
// a shared key).
//
// In the single layout rec is appended to the shared file, which Close
// finalizes; every record must have the first record's schema, and the
// file's metadata is Options.Metadata alone, as per-symbol values cannot
// describe a shared file (the manifest keeps them). A record with another
// schema fails without harming the file; a failed write of the file loses
// it, and every later Write and Close reports that.
func (w *Writer) Write(symbol string, rec arrow.RecordBatch, meta map[string]string) (File, error) {
	rel, err := w.Path(symbol)
	if err != nil {
		return File{}, err // SafeName's error names the symbol
	}
	if w.isClosed() {
		return File{}, ErrClosed
	}
	var f File
	if w.opts.Layout == LayoutSingle {
		f, err = w.appendSingle(rel, rec)
	} else {
		f, err = w.writeWhole(rel, rec, meta)
	}
	if err != nil {
		return File{}, fmt.Errorf("sinks: write %s to %s: %w", symbol, rel, err)
	}
	return f, nil
}

func (w *Writer) writeWhole(rel string, rec arrow.RecordBatch, meta map[string]string) (File, error) {
	final := filepath.Join(w.opts.Dir, filepath.FromSlash(rel))
	if path.Dir(rel) != "." {
		if err := os.MkdirAll(filepath.Dir(final), 0o755); err != nil {
			return File{}, err
		}
	}
	if w.opts.Layout == LayoutHive {
		rec = dropColumn(rec, hiveKey)
		defer rec.Release()
	}
	out, err := w.create(final)
	if err != nil {
		return File{}, err
	}
	defer w.forget(out)
	enc, err := newEncoder(out, withMetadata(rec.Schema(), w.opts.Metadata, meta), w.opts)
	if err != nil {
		out.discard()
		return File{}, err
	}
	err = enc.write(rec)
	if ferr := enc.finish(); err == nil {
		err = ferr
	}
	if err != nil {
		out.discard()
		return File{}, err
	}
	if err := out.commit(); err != nil {
		return File{}, err
	}
	f := describe(rec)
	f.Path, f.Bytes, f.SHA256 = rel, out.n, out.hexSum()
	return f, nil
}

func (w *Writer) appendSingle(rel string, rec arrow.RecordBatch) (File, error) {
	w.singleMu.Lock()
	defer w.singleMu.Unlock()
	if w.singleErr != nil {
		return File{}, w.singleErr
	}
	if w.single == nil {
		out, err := w.create(filepath.Join(w.opts.Dir, filepath.FromSlash(rel)))
		if err != nil {
			return File{}, err
		}
		enc, err := newEncoder(out, withMetadata(rec.Schema(), w.opts.Metadata, nil), w.opts)
		if err != nil {
			out.discard()
			w.forget(out)
			return File{}, err
		}
		w.single = &appendFile{out: out, enc: enc, schema: rec.Schema()}
	}
	if !rec.Schema().Equal(w.single.schema) {
		return File{}, fmt.Errorf("schema %v differs from the file's %v", rec.Schema(), w.single.schema)
	}
	before := w.single.out.n
	if err := w.single.enc.write(rec); err != nil {
		w.singleErr = fmt.Errorf("%s lost: %w", rel, err)
		w.dropSingle()
		return File{}, err
	}
	f := describe(rec)
	f.Path, f.Bytes = rel, w.single.out.n-before
	return f, nil
}

// Close finalizes the single layout's file under its final name; in the
// other layouts there is nothing left to do. Close must not run while a
// Write is in progress. Later calls return nil.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.closed {
		w.mu.Unlock()
		return nil
	}
	w.closed = true
	w.mu.Unlock()

	w.singleMu.Lock()
	defer w.singleMu.Unlock()
	if w.singleErr != nil {
		return fmt.Errorf("sinks: close: %w", w.singleErr)
	}
	if w.single == nil {
		return nil
	}
	s := w.single
	w.single = nil
	defer w.forget(s.out)
	if err := s.enc.finish(); err != nil {
		s.out.discard()
		return fmt.Errorf("sinks: close %s: %w", s.out.final, err)
	}
	if err := s.out.commit(); err != nil {
		return fmt.Errorf("sinks: close %s: %w", s.out.final, err)
	}
	return nil
}

// Abort removes every temporary file of w, including the single layout's
// unfinished file, and makes later Writes fail with ErrClosed. It is meant
// for an interrupted run: a Write in progress fails instead of finalizing.
// Files already finalized stay.
func (w *Writer) Abort() {
	w.mu.Lock()
	w.closed = true
	temps := w.temps
	w.temps = make(map[*atomicFile]struct{})
	w.mu.Unlock()
	for a := range temps {
		os.Remove(a.tempPath())
	}
	w.singleMu.Lock()
	defer w.singleMu.Unlock()
	if w.single != nil {
		w.dropSingle()
	}
}

// dropSingle discards the single layout's file. singleMu must be held.
func (w *Writer) dropSingle() {
	w.single.enc.finish() // lets the encoder release what it holds; the file goes anyway
	w.single.out.discard()
	w.forget(w.single.out)
	w.single = nil
}

// create starts the atomic file whose final path is final and registers
// it for Abort, unless w is closed.
func (w *Writer) create(final string) (*atomicFile, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	a, err := createAtomic(final)
	if err != nil {
		return nil, err
	}
	w.temps[a] = struct{}{}
	return a, nil
}

func (w *Writer) forget(a *atomicFile) {
	w.mu.Lock()
	delete(w.temps, a)
	w.mu.Unlock()
}

func (w *Writer) isClosed() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.closed
}

// withMetadata returns schema's fields with base and extra as metadata,
// extra winning on a shared key. The record's own schema metadata is
// dropped so that a file holds only what the caller passed.
func withMetadata(schema *arrow.Schema, base, extra map[string]string) *arrow.Schema {
	kv := make(map[string]string, len(base)+len(extra))
	for k, v := range base {
		kv[k] = v
	}
	for k, v := range extra {
		kv[k] = v
	}
	var md *arrow.Metadata
	if len(kv) > 0 {
		m := arrow.MetadataFrom(kv)
		md = &m
	}
	return arrow.NewSchema(schema.Fields(), md)
}

// dropColumn returns rec without the column named name (rec itself,
// retained, when there is none). The caller releases the result.
func dropColumn(rec arrow.RecordBatch, name string) arrow.RecordBatch {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		rec.Retain()
		return rec
	}
	var fields []arrow.Field
	var cols []arrow.Array
	for i, f := range rec.Schema().Fields() {
		if i != idx[0] {
			fields = append(fields, f)
			cols = append(cols, rec.Column(i))
		}
	}
	return array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, rec.NumRows())
}

// describe returns the rows and date range of rec.
func describe(rec arrow.RecordBatch) File {
	f := File{Rows: rec.NumRows()}
	idx := rec.Schema().FieldIndices(dateColumn)
	if len(idx) == 0 {
		return f
	}
	dates, ok := rec.Column(idx[0]).(*array.Date32)
	if !ok {
		return f
	}
	first, last, seen := arrow.Date32(0), arrow.Date32(0), false
	for i := 0; i < dates.Len(); i++ {
		if dates.IsNull(i) {
			continue
		}
		d := dates.Value(i)
		if !seen || d < first {
			first = d
		}
		if !seen || d > last {
			last = d
		}
		seen = true
	}
	if seen {
		f.FirstDate, f.LastDate = first.ToTime(), last.ToTime()
	}
	return f
}
