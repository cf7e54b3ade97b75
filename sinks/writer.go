package sinks

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/atomicfile"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// ErrClosed is returned by Write after Close or Abort.
var ErrClosed = errors.New("sinks: writer closed")

// Writer writes records into files under a directory, or objects under an
// object-store prefix (Options.Store), so that a reader never sees a
// partial file under a final name: a file is written under a temporary
// name first, an object is uploaded whole or not at all. It is synchronous
// and safe for concurrent use; in the single layout, writes are
// serialized.
type Writer struct {
	opts Options
	st   store.Store

	mu     sync.Mutex
	closed bool
	temps  map[store.Upload]struct{} // files being written, for Abort

	singleMu  sync.Mutex
	single    *appendFile // the single layout's file, from the first Write
	singleErr error       // a failure that lost the single file
}

// appendFile is the single layout's file, open for the whole run.
type appendFile struct {
	out    store.Upload
	rel    string
	enc    encoder
	schema *arrow.Schema
}

// New returns a Writer configured by opts. A local directory it creates,
// checks that a file can be created there, and removes the temporary files
// a killed run left there and in its hive partition directories, so two
// Writers must not share a directory (the lock of dataset.Begin keeps two
// runs apart). An object store (opts.Store) has no temporary objects: an
// upload that did not complete is not an object.
func New(opts Options) (*Writer, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	st := opts.Store
	if st == nil {
		st = store.NewDir(opts.Dir)
	}
	if d, ok := st.(*store.Dir); ok {
		if err := os.MkdirAll(d.Path(), 0o755); err != nil {
			return nil, fmt.Errorf("create output directory: %w", err)
		}
		// A directory that cannot be written fails here, before a run
		// spends requests on symbols it could not keep.
		probe, err := atomicfile.Create(filepath.Join(d.Path(), ".write-test"))
		if err != nil {
			return nil, fmt.Errorf("output directory not writable: %w", err)
		}
		probe.Discard()
		if err := atomicfile.RemoveStale(d.Path(), isPartition); err != nil {
			return nil, err
		}
	}
	return &Writer{opts: opts, st: st, temps: make(map[store.Upload]struct{})}, nil
}

// Path returns the path of the file that holds symbol, relative to the
// output directory and with '/' separators: see [dataset.Layout.Path].
func (w *Writer) Path(symbol string) (string, error) {
	return w.opts.Layout.Path(symbol, w.opts.Format)
}

// isPartition reports whether a directory name is a hive partition's.
func isPartition(name string) bool {
	return strings.HasPrefix(name, dataset.PartitionKey+"=")
}

// Write writes s.Record as s.Symbol's data and returns what it wrote. The
// caller keeps ownership of the record. A Writer is a fetch.Sink.
//
// In the files and hive layouts the file is complete under its final name
// when Write returns, replacing an earlier one; on error no file of this
// call remains. Its metadata is Options.Metadata plus s.Meta (s.Meta wins
// on a shared key).
//
// In the single layout rec is appended to the shared file, which Close
// finalizes; every record must have the first record's schema, and the
// file's metadata is that of the first Write, as an Arrow IPC file's
// schema is written before its rows: the run's source, function and
// output size, which every symbol shares, and the first symbol's fetch
// time (the manifest keeps each symbol's). A record with another schema
// fails without harming the file; a failed write of the file loses it, and
// every later Write and Close reports that.
//
// No file is written through a symbolic link inside the output: a hive
// partition directory that is one fails the Write with ErrSymlink, and a
// link standing at a file's name is replaced by the file.
func (w *Writer) Write(ctx context.Context, s sources.Series) (dataset.File, error) {
	symbol, rec, meta := s.Symbol, s.Record, s.Meta
	if err := ctx.Err(); err != nil {
		return dataset.File{}, fmt.Errorf("write %s: %w", symbol, err)
	}
	rel, err := w.Path(symbol)
	if err != nil {
		return dataset.File{}, err // SafeName's error names the symbol
	}
	if w.isClosed() {
		return dataset.File{}, ErrClosed
	}
	var f dataset.File
	if w.opts.Layout == dataset.LayoutSingle {
		f, err = w.appendSingle(rel, rec, meta)
	} else {
		f, err = w.writeWhole(ctx, rel, rec, meta)
	}
	if err != nil {
		return dataset.File{}, fmt.Errorf("write %s to %s: %w", symbol, rel, err)
	}
	return f, nil
}

func (w *Writer) writeWhole(ctx context.Context, rel string, rec arrow.RecordBatch, meta map[string]string) (dataset.File, error) {
	if d, ok := w.st.(*store.Dir); ok && path.Dir(rel) != "." {
		if err := partitionDir(d.Path(), path.Dir(rel)); err != nil {
			return dataset.File{}, err
		}
	}
	if w.opts.Layout == dataset.LayoutHive {
		rec = dropColumn(rec, sources.ColSymbol)
		defer rec.Release()
	}
	out, err := w.create(ctx, rel)
	if err != nil {
		return dataset.File{}, err
	}
	defer w.forget(out)
	enc, err := newEncoder(out, withMetadata(rec.Schema(), w.opts.Metadata, meta), w.opts)
	if err != nil {
		out.Abort()
		return dataset.File{}, err
	}
	err = enc.write(rec)
	if ferr := enc.finish(); err == nil {
		err = ferr
	}
	if err != nil {
		out.Abort()
		return dataset.File{}, err
	}
	obj, err := out.Commit()
	if err != nil {
		return dataset.File{}, err
	}
	f := describe(rec)
	f.Path, f.Bytes, f.SHA256, f.ETag = rel, out.Size(), out.HexSum(), obj.ETag
	return f, nil
}

// ErrSymlink is the error of a write refused because a directory of the
// output is a symbolic link: a file written through it would land outside
// the output directory.
var ErrSymlink = errors.New("is a symbolic link: refusing to write through it")

// partitionDir makes the directory rel of the output directory out, or checks the one
// there: a symbolic link standing in its place (OUT/symbol=AAPL pointing
// elsewhere) is refused, not followed.
func partitionDir(out, rel string) error {
	dir := filepath.Join(out, filepath.FromSlash(rel))
	st, err := os.Lstat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if err := os.Mkdir(dir, 0o755); err != nil && !errors.Is(err, fs.ErrExist) {
			return err
		}
		st, err = os.Lstat(dir)
		if err != nil {
			return err
		}
	case err != nil:
		return err
	}
	switch {
	case st.Mode()&fs.ModeSymlink != 0:
		return fmt.Errorf("%s %w", rel, ErrSymlink)
	case !st.IsDir():
		return fmt.Errorf("%s is not a directory", rel)
	}
	return nil
}

func (w *Writer) appendSingle(rel string, rec arrow.RecordBatch, meta map[string]string) (dataset.File, error) {
	w.singleMu.Lock()
	defer w.singleMu.Unlock()
	if w.singleErr != nil {
		return dataset.File{}, w.singleErr
	}
	if w.single == nil {
		// The shared file outlives the Write that starts it: Abort, not a
		// Write's context, ends it.
		out, err := w.create(context.Background(), rel)
		if err != nil {
			return dataset.File{}, err
		}
		enc, err := newEncoder(out, withMetadata(rec.Schema(), w.opts.Metadata, meta), w.opts)
		if err != nil {
			out.Abort()
			w.forget(out)
			return dataset.File{}, err
		}
		w.single = &appendFile{out: out, rel: rel, enc: enc, schema: rec.Schema()}
	}
	if !rec.Schema().Equal(w.single.schema) {
		return dataset.File{}, fmt.Errorf("schema %v differs from the file's %v", rec.Schema(), w.single.schema)
	}
	before := w.single.out.Size()
	if err := w.single.enc.write(rec); err != nil {
		w.singleErr = fmt.Errorf("%s lost: %w", rel, err)
		w.dropSingle()
		return dataset.File{}, err
	}
	f := describe(rec)
	f.Path, f.Bytes = rel, w.single.out.Size()-before
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
		return fmt.Errorf("close: %w", w.singleErr)
	}
	if w.single == nil {
		return nil
	}
	s := w.single
	w.single = nil
	defer w.forget(s.out)
	if err := s.enc.finish(); err != nil {
		s.out.Abort()
		return fmt.Errorf("close %s: %w", store.Join(w.st.String(), s.rel), err)
	}
	if _, err := s.out.Commit(); err != nil {
		return fmt.Errorf("close %s: %w", store.Join(w.st.String(), s.rel), err)
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
	w.temps = make(map[store.Upload]struct{})
	w.mu.Unlock()
	for u := range temps {
		u.Abort()
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
	w.single.out.Abort()
	w.forget(w.single.out)
	w.single = nil
}

// create starts the upload of rel and registers it for Abort, unless w is
// closed.
func (w *Writer) create(ctx context.Context, rel string) (store.Upload, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil, ErrClosed
	}
	u, err := w.st.Create(ctx, rel)
	if err != nil {
		return nil, err
	}
	w.temps[u] = struct{}{}
	return u, nil
}

func (w *Writer) forget(a store.Upload) {
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

// describe returns the rows and date range of rec: the first and last
// day of its date column, or of an intraday series' timestamp column the
// exchange days (sources.Exchange) of its first and last bar, each as UTC
// midnight, which is what the manifest's dates hold.
func describe(rec arrow.RecordBatch) dataset.File {
	f := dataset.File{Rows: rec.NumRows()}
	col, intraday, err := sources.TimeAxis(rec.Schema())
	if err != nil {
		return f
	}
	if intraday {
		// An instant's exchange day never falls as the instant rises:
		// the days of the least and greatest instants are the range.
		ts := rec.Column(col).(*array.Timestamp)
		typ := ts.DataType().(*arrow.TimestampType)
		if _, err := typ.GetZone(); err != nil {
			return f
		}
		if lo, hi, ok := bounds(ts.TimestampValues(), ts.IsValid); ok {
			f.FirstDate, f.LastDate = sources.DayOf(lo.ToTime(typ.Unit)), sources.DayOf(hi.ToTime(typ.Unit))
		}
		return f
	}
	dates := rec.Column(col).(*array.Date32)
	if lo, hi, ok := bounds(dates.Date32Values(), dates.IsValid); ok {
		f.FirstDate, f.LastDate = lo.ToTime(), hi.ToTime()
	}
	return f
}

// bounds returns the least and greatest of the values valid reports, and
// whether there was one.
func bounds[T cmp.Ordered](values []T, valid func(int) bool) (lo, hi T, ok bool) {
	for i, v := range values {
		if !valid(i) {
			continue
		}
		if !ok || v < lo {
			lo = v
		}
		if !ok || v > hi {
			hi = v
		}
		ok = true
	}
	return lo, hi, ok
}
