package sinks_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// TestNoWriteThroughSymlinks checks that a symbolic link standing inside
// the output never carries a file outside it: a link at a hive partition
// directory is refused, and a link at a file's name is replaced by the
// file, leaving its target untouched.
func TestNoWriteThroughSymlinks(t *testing.T) {
	tests := []struct {
		name    string
		layout  dataset.Layout
		link    string // where the link stands in the output
		refused bool
	}{
		{"hive partition directory", dataset.LayoutHive, "symbol=AAPL", true},
		{"hive file", dataset.LayoutHive, "symbol=AAPL/part-0.parquet", false},
		{"file", dataset.LayoutFiles, "AAPL.parquet", false},
		{"single file", dataset.LayoutSingle, "data.parquet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := fixture.NewMem(t)
			out, outside := t.TempDir(), t.TempDir()
			target := filepath.Join(outside, "target")
			if tt.refused {
				if err := os.Mkdir(target, 0o755); err != nil {
					t.Fatal(err)
				}
			} else if err := os.WriteFile(target, []byte("keep me"), 0o644); err != nil {
				t.Fatal(err)
			}
			link := filepath.Join(out, filepath.FromSlash(tt.link))
			if err := os.MkdirAll(filepath.Dir(link), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(target, link); err != nil {
				t.Fatal(err)
			}
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: out, Layout: tt.layout})
			if err != nil {
				t.Fatal(err)
			}
			rec := fixture.DailyBars(mem, "AAPL", 3)
			defer rec.Release()
			_, err = w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec})
			if cerr := w.Close(); err == nil {
				err = cerr
			}
			if tt.refused {
				if !errors.Is(err, sinks.ErrSymlink) {
					t.Fatalf("Write = %v, want ErrSymlink", err)
				}
				if entries, _ := os.ReadDir(target); len(entries) != 0 {
					t.Fatalf("%d files written through the link", len(entries))
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if data, _ := os.ReadFile(target); string(data) != "keep me" {
				t.Fatal("the link's target was overwritten")
			}
			if st, err := os.Lstat(link); err != nil || !st.Mode().IsRegular() {
				t.Fatalf("%s is not a regular file: %v", tt.link, err)
			}
		})
	}
}

func TestNewRejectsReadOnlyDir(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root writes to read-only directories; cmd/loader tests this on a read-only mount")
	}
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	defer os.Chmod(dir, 0o755)
	if _, err := sinks.New(sinks.Options{Dir: dir}); err == nil || !errors.Is(err, os.ErrPermission) {
		t.Fatalf("New = %v, want a permission error", err)
	}
}
