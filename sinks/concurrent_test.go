package sinks_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/seed-c7c8f39b/loader/sinks"

	"gocloud.dev/blob/fileblob"
)

// TestConcurrentWrites writes many symbols from many goroutines into one
// Writer and checks that every row arrives.
func TestConcurrentWrites(t *testing.T) {
	t.Parallel()
	const n = 16
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutSingle, dataset.LayoutHive} {
		t.Run(string(layout), func(t *testing.T) {
			mem := fixture.NewMem(t)
			dir := t.TempDir()
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: layout, Format: dataset.FormatArrow})
			if err != nil {
				t.Fatal(err)
			}
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					s := fmt.Sprintf("S%02d", i)
					rec := fixture.DailyBars(mem, s, i+1)
					defer rec.Release()
					if _, err := w.Write(context.Background(), sources.Series{Symbol: s, Record: rec}); err != nil {
						t.Error(err)
					}
				})
			}
			wg.Wait()
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			files := fixture.ListFiles(t, dir)
			var rows int64
			for _, f := range files {
				tbl := readTable(t, mem, dataset.FormatArrow, filepath.Join(dir, f), nil)
				rows += tbl.NumRows()
				tbl.Release()
			}
			wantFiles := n
			if layout == dataset.LayoutSingle {
				wantFiles = 1
			}
			if len(files) != wantFiles || rows != n*(n+1)/2 {
				t.Errorf("%d files with %d rows, want %d with %d", len(files), rows, wantFiles, n*(n+1)/2)
			}
		})
	}
}

// TestAbortDuringWrites aborts while many goroutines write and checks that
// no temporary file remains and that every file under a final name is one
// a Write reported complete.
func TestAbortDuringWrites(t *testing.T) {
	t.Parallel()
	t.Run("dir", func(t *testing.T) { testAbortDuringWrites(t, t.TempDir(), nil) })
	t.Run("bucket", func(t *testing.T) {
		dir := t.TempDir()
		b, err := fileblob.OpenBucket(dir, &fileblob.Options{Metadata: fileblob.MetadataDontWrite})
		if err != nil {
			t.Fatal(err)
		}
		st := store.NewBucket(b, "", "file-bucket://", store.BucketOptions{})
		defer st.Close()
		testAbortDuringWrites(t, dir, st)
	})
}

func testAbortDuringWrites(t *testing.T, dir string, st store.Store) {
	const n = 32
	mem := fixture.NewMem(t)
	w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Store: st, Compression: dataset.CompressionNone})
	if err != nil {
		t.Fatal(err)
	}
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		written = make(map[string]string) // path to SHA-256
	)
	for i := range n {
		wg.Go(func() {
			s := fmt.Sprintf("S%02d", i)
			rec := fixture.DailyBars(mem, s, 200)
			defer rec.Release()
			f, err := w.Write(context.Background(), sources.Series{Symbol: s, Record: rec})
			if err != nil {
				return // aborted
			}
			mu.Lock()
			written[f.Path] = f.SHA256
			mu.Unlock()
		})
		if i == n/2 {
			w.Abort()
		}
	}
	wg.Wait()
	got := fixture.FileSums(t, dir)
	if len(got) != len(written) {
		t.Errorf("%d files, %d reported written", len(got), len(written))
	}
	for p, sum := range got {
		if written[p] != sum {
			t.Errorf("%s: not a file a Write reported complete", p)
		}
	}
}
