package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// fileSet is what Open reads: files of a local directory, or objects of a
// store.
type fileSet interface {
	// names returns the files, as Dataset.Files reports them.
	names() []string
	// workers is how many files are read at once.
	workers() int
	// read decodes file i, calling fn with its records, and returns the
	// line that identifies its contents in the Dataset's fingerprint.
	read(ctx context.Context, i int, columns []string, mem memory.Allocator, fn func(rec arrow.RecordBatch, symbol string) error) (string, error)
	close()
}

// openFiles returns the files at path: a local file or directory, or an
// object-store URL.
func openFiles(ctx context.Context, path string, cfg DatasetConfig) (fileSet, error) {
	if !store.IsURL(path) {
		files, err := findFiles(path)
		if err != nil {
			return nil, err
		}
		return &localFiles{root: path, files: files}, nil
	}
	st, objs, err := dataset.OpenData(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("loader: %w", err)
	}
	objs = slices.DeleteFunc(objs, func(o store.Object) bool {
		f, _ := dataset.FormatOf(o.Key)
		return f == dataset.FormatCSV
	})
	if len(objs) == 0 {
		st.Close()
		return nil, fmt.Errorf("loader: %s: no .parquet or .arrow objects", path)
	}
	s := &storeFiles{st: st, objs: objs, readAhead: cfg.ReadAhead}
	if s.readAhead == 0 {
		s.readAhead = defaultReadAhead
	}
	if cfg.CacheDir != "" {
		if s.cache, err = openCache(cfg.CacheDir, cfg.CacheLimit, st.String()); err != nil {
			st.Close()
			return nil, err
		}
	}
	return s, nil
}

// localFiles are files on the local file system, read whole.
type localFiles struct {
	root  string
	files []string
}

func (l *localFiles) names() []string { return l.files }
func (l *localFiles) workers() int    { return runtime.GOMAXPROCS(0) }
func (l *localFiles) close()          {}

func (l *localFiles) read(_ context.Context, i int, columns []string, mem memory.Allocator, fn func(arrow.RecordBatch, string) error) (string, error) {
	f := l.files[i]
	data, err := os.ReadFile(f)
	if err != nil {
		return "", fmt.Errorf("loader: %w", err)
	}
	file, err := tablefile.Decode(context.Background(), f, data, mem, columns...)
	if err != nil {
		return "", fmt.Errorf("loader: %w", err)
	}
	defer file.Release()
	for _, rec := range file.Records {
		if err := fn(rec, file.Symbol); err != nil {
			return "", fmt.Errorf("loader: read %s: %w", f, err)
		}
	}
	rel, _ := filepath.Rel(l.root, f)
	return fmt.Sprintf("%s\x00%d\x00%x\n", filepath.ToSlash(rel), len(data), sha256.Sum256(data)), nil
}

// defaultReadAhead is DatasetConfig.ReadAhead's default.
const defaultReadAhead = 16

// wholeBelow is the size under which a Parquet object is read in one
// request: below it, a round trip costs more than the bytes of the columns
// a ranged read would skip.
var wholeBelow int64 = 4 << 20

// storeFiles are the objects of a store.
type storeFiles struct {
	st        store.Store
	objs      []store.Object
	readAhead int
	cache     *objectCache
}

func (s *storeFiles) names() []string {
	out := make([]string, len(s.objs))
	for i, o := range s.objs {
		out[i] = store.Join(s.st.String(), o.Key)
	}
	return out
}

func (s *storeFiles) workers() int { return max(s.readAhead, runtime.GOMAXPROCS(0)) }
func (s *storeFiles) close()       { s.st.Close() }

func (s *storeFiles) read(ctx context.Context, i int, columns []string, mem memory.Allocator, fn func(arrow.RecordBatch, string) error) (string, error) {
	obj := s.objs[i]
	name := store.Join(s.st.String(), obj.Key)
	id := fmt.Sprintf("%s\x00%d\x00%s\n", obj.Key, obj.Size, version(obj))
	format, _ := dataset.FormatOf(obj.Key)
	var err error
	switch {
	case s.cache != nil:
		var data []byte
		if data, err = s.cache.get(ctx, s.st, obj); err == nil {
			err = decodeBytes(ctx, name, data, columns, mem, fn)
		}
	case format == dataset.FormatParquet && obj.Size >= wholeBelow:
		r := newRangeReader(ctx, openObject(ctx, s.st, obj), obj.Size)
		sym := dataset.PathSymbol(obj.Key)
		want := func(c string) bool { return slices.Contains(columns, c) }
		err = eachParquetRecordAt(r, obj.Size, r.prefetch, want, mem, func(rec arrow.RecordBatch) error { return fn(rec, sym) })
	default:
		var data []byte
		if data, err = readObject(ctx, s.st, obj); err == nil {
			err = decodeBytes(ctx, name, data, columns, mem, fn)
		}
	}
	if err != nil {
		return "", fmt.Errorf("loader: read %s: %w", name, err)
	}
	return id, nil
}

// version identifies an object's contents: its ETag, or where a listing
// carries none, its modification time.
func version(o store.Object) string {
	if o.ETag != "" {
		return o.ETag
	}
	return "mtime:" + strconv.FormatInt(o.ModTime.UnixNano(), 10)
}

// openObject opens obj for ranged reads without a request for its size
// when the store can.
func openObject(ctx context.Context, st store.Store, obj store.Object) io.ReaderAt {
	if b, ok := st.(interface {
		OpenObject(context.Context, store.Object) store.Reader
	}); ok {
		return b.OpenObject(ctx, obj)
	}
	return lazyReader{ctx: ctx, st: st, key: obj.Key}
}

// lazyReader opens its object at the first read.
type lazyReader struct {
	ctx context.Context
	st  store.Store
	key string
}

func (l lazyReader) ReadAt(p []byte, off int64) (int, error) {
	r, err := l.st.Open(l.ctx, l.key)
	if err != nil {
		return 0, err
	}
	defer r.Close()
	return r.ReadAt(p, off)
}

// readObject reads obj whole, and fails if it is no longer the object
// listed: the fingerprint would not describe what was read.
func readObject(ctx context.Context, st store.Store, obj store.Object) ([]byte, error) {
	data, err := st.ReadFile(ctx, obj.Key)
	if err != nil {
		return nil, err
	}
	if int64(len(data)) != obj.Size {
		return nil, fmt.Errorf("%d bytes, %d when listed: the object changed while the dataset was opened", len(data), obj.Size)
	}
	return data, nil
}

// tailSize is how much of a Parquet object's end the first read of its
// footer fetches: the 8-byte trailer and, in one request, the metadata
// before it.
const tailSize = 64 << 10

// mergeGap is the largest gap between two column chunks fetched in one
// request: skipping fewer bytes costs more in a round trip than reading
// them.
const mergeGap = 1 << 20

// rangeReader reads a Parquet object in few ranged requests: the footer
// at the first read near the end, then, once prefetch knows the columns
// wanted, their column chunks, neighbouring ones merged into one request.
// Reads it holds no segment for go to the object directly.
type rangeReader struct {
	ctx  context.Context
	r    io.ReaderAt
	size int64

	mu   sync.Mutex
	segs []segment
}

type segment struct {
	off  int64
	data []byte
}

func newRangeReader(ctx context.Context, r io.ReaderAt, size int64) *rangeReader {
	return &rangeReader{ctx: ctx, r: r, size: size}
}

func (c *rangeReader) ReadAt(p []byte, off int64) (int, error) {
	if n, ok := c.cached(p, off); ok {
		return n, nil
	}
	if tail := max(0, c.size-tailSize); off >= tail {
		if err := c.fetch(tail, c.size-tail); err != nil {
			return 0, err
		}
		if n, ok := c.cached(p, off); ok {
			return n, nil
		}
	}
	return c.r.ReadAt(p, off)
}

// holds reports whether a segment holds the n bytes at off.
func (c *rangeReader) holds(off, n int64) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.segs {
		if off >= s.off && off+n <= s.off+int64(len(s.data)) {
			return true
		}
	}
	return false
}

// cached copies p from a segment that holds all of it.
func (c *rangeReader) cached(p []byte, off int64) (int, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.segs {
		if off >= s.off && off+int64(len(p)) <= s.off+int64(len(s.data)) {
			return copy(p, s.data[off-s.off:]), true
		}
	}
	return 0, false
}

func (c *rangeReader) fetch(off, n int64) error {
	buf := make([]byte, n)
	if _, err := c.r.ReadAt(buf, off); err != nil && err != io.EOF {
		return err
	}
	c.mu.Lock()
	c.segs = append(c.segs, segment{off: off, data: buf})
	c.mu.Unlock()
	return nil
}

// prefetch fetches the column chunks of cols in every row group of pf that
// no segment holds yet, in as few requests as mergeGap allows, at once.
func (c *rangeReader) prefetch(pf *file.Reader, cols []int) error {
	type span struct{ lo, hi int64 }
	var spans []span
	md := pf.MetaData()
	for g := range md.NumRowGroups() {
		rg := md.RowGroup(g)
		for _, col := range cols {
			cc, err := rg.ColumnChunk(col)
			if err != nil {
				return err
			}
			lo := cc.DataPageOffset()
			if cc.HasDictionaryPage() && cc.DictionaryPageOffset() > 0 && lo > cc.DictionaryPageOffset() {
				lo = cc.DictionaryPageOffset()
			}
			hi := min(lo+cc.TotalCompressedSize(), c.size)
			if lo < 0 || lo >= hi {
				continue
			}
			if !c.holds(lo, hi-lo) {
				spans = append(spans, span{lo, hi})
			}
		}
	}
	slices.SortFunc(spans, func(a, b span) int { return int(a.lo - b.lo) })
	var merged []span
	for _, s := range spans {
		if n := len(merged); n > 0 && s.lo-merged[n-1].hi <= mergeGap {
			merged[n-1].hi = max(merged[n-1].hi, s.hi)
			continue
		}
		merged = append(merged, s)
	}
	errs := make([]error, len(merged))
	var wg sync.WaitGroup
	for i, s := range merged {
		wg.Go(func() { errs[i] = c.fetch(s.lo, s.hi-s.lo) })
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// cacheName is the file name of an object's copy: a hash of its key and
// version, with its extension.
func cacheName(o store.Object) string {
	sum := sha256.Sum256([]byte(o.Key + "\x00" + version(o) + "\x00" + strconv.FormatInt(o.Size, 10)))
	return hex.EncodeToString(sum[:12]) + filepath.Ext(o.Key)
}

// decodeBytes calls fn with every record of the file whose bytes are data,
// and the symbol of rows without a symbol column.
func decodeBytes(ctx context.Context, name string, data []byte, columns []string, mem memory.Allocator, fn func(arrow.RecordBatch, string) error) error {
	file, err := tablefile.Decode(ctx, name, data, mem, columns...)
	if err != nil {
		return err
	}
	defer file.Release()
	for _, rec := range file.Records {
		if err := fn(rec, file.Symbol); err != nil {
			return err
		}
	}
	return nil
}
