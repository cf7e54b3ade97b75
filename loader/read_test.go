package loader

import (
	"path/filepath"
	"testing"
)

func TestHiveSymbol(t *testing.T) {
	tests := []struct{ path, want string }{
		{"data/AAPL.parquet", "AAPL"},
		{"data/symbol=MSFT/part-0.parquet", "MSFT"},
		{"data/symbol=BRK.B/year=2020/part-3.parquet", "BRK.B"},
		{"/abs/symbol=IBM/part-0.arrow", "IBM"},
		{"GOOGL.arrow", "GOOGL"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			if got := hiveSymbol(filepath.FromSlash(tt.path)); got != tt.want {
				t.Errorf("hiveSymbol(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
