package tablefile

import (
	"path/filepath"
	"testing"
)

func TestSymbolOf(t *testing.T) {
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
			if got := symbolOf(filepath.FromSlash(tt.path)); got != tt.want {
				t.Errorf("symbolOf(%q) = %q, want %q", tt.path, got, tt.want)
			}
		})
	}
}
