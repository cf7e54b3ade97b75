package sinks_test

import (
	"context"
	"path/filepath"
	"slices"
	"testing"

	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"

	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// TestOptionsDefaults checks what a Writer writes when options are left
// zero or named in another case: Parquet, zstd, one file per symbol.
func TestOptionsDefaults(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts sinks.Options
		want string
	}{
		{"zero", sinks.Options{}, "AAPL.parquet"},
		{"format in upper case", sinks.Options{Format: "CSV"}, "AAPL.csv"},
		{"layout in upper case", sinks.Options{Layout: "HIVE"}, "symbol=AAPL/part-0.parquet"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			mem := fixture.NewMem(t)
			rec := fixture.DailyBars(mem, "AAPL", 3)
			defer rec.Release()
			dir := t.TempDir()
			tt.opts.Dir, tt.opts.Allocator = dir, mem
			w, err := sinks.New(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if p, err := w.Path("AAPL"); p != tt.want || err != nil {
				t.Errorf("Path(AAPL) = %q, %v; want %q", p, err, tt.want)
			}
			if _, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec}); err != nil {
				t.Fatal(err)
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			if got := fixture.ListFiles(t, dir); !slices.Equal(got, []string{tt.want}) {
				t.Fatalf("files %q, want %q", got, tt.want)
			}
			if filepath.Ext(tt.want) != ".parquet" {
				return
			}
			r, err := file.OpenParquetFile(filepath.Join(dir, tt.want), false)
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			col, err := r.MetaData().RowGroup(0).ColumnChunk(0)
			if err != nil {
				t.Fatal(err)
			}
			if col.Compression() != compress.Codecs.Zstd {
				t.Errorf("codec %v, want zstd", col.Compression())
			}
		})
	}
}
