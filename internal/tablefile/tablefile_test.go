package tablefile_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

func TestWriteReadRoundTrip(t *testing.T) {
	meta := map[string]string{"source": "sample (synthetic data)"}
	tests := []struct {
		name     string
		file     string
		wantMeta bool
		wantRG   int
	}{
		{"parquet", "AAPL.parquet", true, 1},
		{"arrow", "AAPL.arrow", true, 0},
		{"csv", "AAPL.csv", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec := sample.Bars("AAPL", true, mem)
			defer rec.Release()
			path := filepath.Join(t.TempDir(), tt.file)
			if err := tablefile.Write(path, rec, meta); err != nil {
				t.Fatal(err)
			}
			f, err := tablefile.Read(context.Background(), path, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Release()
			if f.NumRows() != rec.NumRows() {
				t.Errorf("rows = %d, want %d", f.NumRows(), rec.NumRows())
			}
			for i, field := range rec.Schema().Fields() {
				got := f.Schema.Field(i)
				if got.Name != field.Name || !arrow.TypeEqual(got.Type, field.Type) {
					t.Errorf("field %d = %s %s, want %s %s", i, got.Name, got.Type, field.Name, field.Type)
				}
			}
			if got, want := f.Records[0].Column(5).(*array.Float64).Value(100),
				rec.Column(5).(*array.Float64).Value(100); got != want {
				t.Errorf("close[100] = %v, want %v", got, want)
			}
			if got := f.Meta["source"] != ""; got != tt.wantMeta {
				t.Errorf("metadata source present = %v, want %v (meta %v)", got, tt.wantMeta, f.Meta)
			}
			if len(f.RowGroups) != tt.wantRG {
				t.Errorf("row groups = %d, want %d", len(f.RowGroups), tt.wantRG)
			}
		})
	}
}

func TestReadErrorsNameThePath(t *testing.T) {
	dir := t.TempDir()
	corrupt := filepath.Join(dir, "BAD.parquet")
	if err := os.WriteFile(corrupt, []byte("not parquet at all"), 0o644); err != nil {
		t.Fatal(err)
	}
	badArrow := filepath.Join(dir, "BAD.arrow")
	if err := os.WriteFile(badArrow, []byte("nope"), 0o644); err != nil {
		t.Fatal(err)
	}
	badCSV := filepath.Join(dir, "BAD.csv")
	if err := os.WriteFile(badCSV, []byte("symbol,date,close\nX,notadate,1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct{ name, path string }{
		{"missing", filepath.Join(dir, "MISSING.parquet")},
		{"corrupt parquet", corrupt},
		{"corrupt arrow", badArrow},
		{"bad csv value", badCSV},
		{"not a data file", filepath.Join(dir, "notes.txt")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			f, err := tablefile.Read(context.Background(), tt.path, mem)
			if err == nil {
				f.Release()
				t.Fatal("Read succeeded, want an error")
			}
			if !strings.Contains(err.Error(), tt.path) {
				t.Errorf("error %q does not name %s", err, tt.path)
			}
		})
	}
}

func FuzzReadCSV(f *testing.F) {
	f.Add([]byte("symbol,date,open,high,low,close,volume\nAAPL,2024-01-02,1,2,0.5,1.5,100\n"))
	f.Add([]byte("symbol,date,close,sma_20\nAAPL,2024-01-02,1.5,\n"))
	f.Add([]byte(""))
	f.Add([]byte("a,b\n1\n"))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(dir, "fuzz.csv")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		file, err := tablefile.Read(context.Background(), path, mem)
		if err != nil {
			return
		}
		defer file.Release()
		if len(file.Schema.Fields()) == 0 {
			t.Errorf("read %q: a table with no columns", data)
		}
	})
}
