package dataset_test

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
)

func TestListSkipsManifestAndTempFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{
		"AAPL.parquet", "MSFT.arrow", "IBM.csv", "_manifest.json", ".GOOG.parquet.tmp-123",
		".hidden.parquet", "notes.txt", "symbol=TSLA/part-0.parquet", "symbol=TSLA/part-1.parquet",
		".staging/X.parquet",
	} {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := dataset.List(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i := range got {
		got[i], _ = filepath.Rel(dir, got[i])
	}
	want := []string{"AAPL.parquet", "IBM.csv", "MSFT.arrow", "symbol=TSLA/part-0.parquet", "symbol=TSLA/part-1.parquet"}
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
	if _, err := dataset.List(filepath.Join(dir, "nope")); err == nil || !strings.Contains(err.Error(), "nope") {
		t.Errorf("List of a missing dir: err = %v, want one naming it", err)
	}
}

func TestPartitionSymbol(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, want string
		ok         bool
	}{
		{"out/symbol=AAPL/part-0.parquet", "AAPL", true},
		{"/x/year=2024/symbol=BRK.B/p.arrow", "BRK.B", true},
		{"out/AAPL.parquet", "", false},
		{"out/symbol=/p.parquet", "", false},
		{"out/symbol=EURUSD%3DX/part-0.parquet", "EURUSD=X", true}, // escaped by FileName
		{"out/symbol=%5EGSPC/part-0.parquet", "^GSPC", true},
		{"out/symbol=A%2/part-0.parquet", "", false},
	}
	for _, tt := range tests {
		got, ok := dataset.PartitionSymbol(tt.path)
		if got != tt.want || ok != tt.ok {
			t.Errorf("PartitionSymbol(%q) = %q, %v; want %q, %v", tt.path, got, ok, tt.want, tt.ok)
		}
	}
}

func TestPathSymbol(t *testing.T) {
	t.Parallel()
	tests := []struct{ path, want string }{
		{"data/AAPL.parquet", "AAPL"},
		{"data/EURUSD%3DX.parquet", "EURUSD=X"},
		{"data/symbol=MSFT/part-0.parquet", "MSFT"},
		{"data/symbol=%5EGSPC/part-0.parquet", "^GSPC"},
		{"data/symbol=BRK.B/year=2020/part-3.parquet", "BRK.B"},
		{"/abs/symbol=IBM/part-0.arrow", "IBM"},
		{"GOOGL.arrow", "GOOGL"},
		// Not a name FileName makes: the base name as it is.
		{"data/my prices.csv", "my prices"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			if got := dataset.PathSymbol(filepath.FromSlash(tt.path)); got != tt.want {
				t.Errorf("PathSymbol(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
