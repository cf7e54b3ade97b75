package loader

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"

	"gocloud.dev/blob"
	"gocloud.dev/blob/memblob"

	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// memScheme is an object store for these tests: one in-memory bucket per
// URL host, shared by every Open, which counts the reads it serves.
const memScheme = "loadertest-mem"

var (
	registerOnce sync.Once
	bucketsMu    sync.Mutex
	buckets      = map[string]*blob.Bucket{}
)

// counting is a bucket store that counts the requests that read objects.
type counting struct {
	*store.Bucket
	reads *atomic.Int64
}

var reads atomic.Int64

// Close leaves the shared bucket open for the next Open.
func (c counting) Close() error { return nil }

func (c counting) ReadFile(ctx context.Context, key string) ([]byte, error) {
	c.reads.Add(1)
	return c.Bucket.ReadFile(ctx, key)
}

func (c counting) OpenObject(ctx context.Context, o store.Object) store.Reader {
	return countingReader{c.Bucket.OpenObject(ctx, o), c.reads}
}

type countingReader struct {
	store.Reader
	reads *atomic.Int64
}

func (r countingReader) ReadAt(p []byte, off int64) (int, error) {
	r.reads.Add(1)
	return r.Reader.ReadAt(p, off)
}

// memBucket makes the bucket of host hold a copy of every file under dir,
// and returns its URL. (A prefix would need blob.PrefixedBucket, which
// closes the bucket it wraps, and the next Open would find it closed.)
func memBucket(t *testing.T, host, dir string) string {
	registerOnce.Do(func() {
		store.Register(memScheme, func(_ context.Context, u *url.URL) (store.Store, error) {
			bucketsMu.Lock()
			defer bucketsMu.Unlock()
			prefix, err := store.Prefix(u.Path)
			if err != nil {
				return nil, err
			}
			return counting{store.NewBucket(buckets[u.Host], prefix, memScheme+"://"+u.Host+"/"+prefix, store.BucketOptions{}), &reads}, nil
		})
	})
	b := memblob.OpenBucket(nil)
	bucketsMu.Lock()
	buckets[host] = b
	bucketsMu.Unlock()
	t.Cleanup(func() { b.Close() })
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return b.WriteAll(context.Background(), filepath.ToSlash(rel), data, nil)
	})
	if err != nil {
		t.Fatal(err)
	}
	return memScheme + "://" + host
}

// epoch returns every batch of one epoch, flattened.
func epoch(t *testing.T, ds *Dataset) (x, y []float32, syms []string) {
	t.Helper()
	l, err := New(ds, Config{Window: 8, BatchSize: 300, Shuffle: true, Seed: 3, WorldSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	for {
		b, err := l.Next(context.Background())
		if errors.Is(err, io.EOF) {
			return x, y, syms
		}
		if err != nil {
			t.Fatal(err)
		}
		x, y, syms = append(x, b.X...), append(y, b.Y...), append(syms, b.Symbols[:b.Size]...)
		b.Release()
	}
}

// TestObjectStoreMatchesLocal: a dataset read from an object store, in
// every layout and by each way of reading (whole objects, ranged reads,
// through the cache), yields exactly the batches of the same files read
// from a directory.
func TestObjectStoreMatchesLocal(t *testing.T) {
	cfg := DatasetConfig{Features: []string{"close", loadertest.SMA, LogReturn}, Target: LogReturn}
	for _, layout := range []loadertest.Layout{loadertest.Parquet, loadertest.Arrow, loadertest.Hive, loadertest.Combined} {
		t.Run(string(layout), func(t *testing.T) {
			dir := t.TempDir()
			loadertest.WriteSample(t, dir, layout, "AAPL", "BRK.B", "MSFT")
			local, err := Open(dir, cfg)
			if err != nil {
				t.Fatal(err)
			}
			wantX, wantY, wantSyms := epoch(t, local)
			url := memBucket(t, "match-"+string(layout), dir)
			for _, way := range []string{"whole", "ranged", "cache"} {
				t.Run(way, func(t *testing.T) {
					c := cfg
					switch way {
					case "ranged":
						defer func(old int64) { wholeBelow = old }(wholeBelow)
						wholeBelow = 0
					case "cache":
						c.CacheDir = t.TempDir()
					}
					ds, err := Open(url, c)
					if err != nil {
						t.Fatal(err)
					}
					if !slices.Equal(ds.Symbols(), local.Symbols()) || ds.Rows() != local.Rows() || len(ds.Files()) != len(local.Files()) {
						t.Fatalf("opened %q, %d rows, %d files; want %q, %d, %d", ds.Symbols(), ds.Rows(), len(ds.Files()), local.Symbols(), local.Rows(), len(local.Files()))
					}
					x, y, syms := epoch(t, ds)
					if !slices.Equal(x, wantX) || !slices.Equal(y, wantY) || !slices.Equal(syms, wantSyms) {
						t.Error("the batches differ from those of the local files")
					}
				})
			}
		})
	}
}

// TestRangedReadsAreFew: a Parquet object read by ranges costs one request
// for its footer and one for the column chunks wanted, however many row
// groups it has.
func TestRangedReadsAreFew(t *testing.T) {
	defer func(old int64) { wholeBelow = old }(wholeBelow)
	wholeBelow = 0
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Combined, "AAPL", "MSFT", "IBM", "GOOG")
	url := memBucket(t, "ranged", dir)
	before := reads.Load()
	if _, err := Open(url, DatasetConfig{Features: []string{"close"}}); err != nil {
		t.Fatal(err)
	}
	if n := reads.Load() - before; n > 2 {
		t.Errorf("%d ranged reads for one object, want at most 2 (footer, column chunks)", n)
	}
}

// TestCache: the first open reads every object into the cache; the
// second reads none; a rewritten object is read again; a limit keeps the
// cache at most that big.
func TestCache(t *testing.T) {
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "MSFT", "IBM", "GOOG")
	url := memBucket(t, "cache", dir)
	cfg := DatasetConfig{CacheDir: t.TempDir()}
	opened := func() (int64, string) {
		t.Helper()
		before := reads.Load()
		ds, err := Open(url, cfg)
		if err != nil {
			t.Fatal(err)
		}
		return reads.Load() - before, ds.Fingerprint()
	}
	cold, fp := opened()
	warm, fp2 := opened()
	if cold != 4 || warm != 0 || fp != fp2 {
		t.Errorf("cold open read %d objects, warm %d (want 4 and 0); fingerprints %s, %s", cold, warm, fp, fp2)
	}
	data, err := os.ReadFile(filepath.Join(dir, "AAPL.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	bucketsMu.Lock()
	b := buckets["cache"]
	bucketsMu.Unlock()
	if err := b.WriteAll(context.Background(), "AAPL.parquet", data, nil); err != nil { // the same bytes, a new version
		t.Fatal(err)
	}
	again, fp3 := opened()
	if again != 1 || fp3 == fp {
		t.Errorf("after AAPL was rewritten: %d objects read (want 1), fingerprint changed: %v", again, fp3 != fp)
	}

	limit := int64(len(data)) * 2
	cfg = DatasetConfig{CacheDir: t.TempDir(), CacheLimit: limit}
	opened()
	var size int64
	filepath.WalkDir(cfg.CacheDir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			info, _ := d.Info()
			size += info.Size()
		}
		return nil
	})
	if size > limit+int64(len(data)) || size == 0 {
		t.Errorf("the cache holds %d bytes with a limit of %d", size, limit)
	}
}
