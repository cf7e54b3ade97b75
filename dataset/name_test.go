package dataset_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/seed-c7c8f39b/loader/sinks"
)

func TestFileName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		symbol, want string
	}{
		{"AAPL", "AAPL"},
		{"BRK.B", "BRK.B"},
		{"BRK-B", "BRK-B"},
		{"0700.HK", "0700.HK"},
		{"^GSPC", "%5EGSPC"},
		{"EURUSD=X", "EURUSD%3DX"},
		{"100%", "100%25"},
		{"..", "%2E."},
		{".", "%2E"},
		{".hidden", "%2Ehidden"},
		{"../../etc/passwd", "%2E.%2F..%2Fetc%2Fpasswd"},
		{"/etc/passwd", "%2Fetc%2Fpasswd"},
		{`..\..\windows`, "%2E.%5C..%5Cwindows"},
		{"C:", "C%3A"},
		{"A\x00B", "A%00B"},
		{"A\nB\x7f", "A%0AB%7F"},
		{"a b", "a%20b"},
		{"ÄPL", "%C3%84PL"},
		{"symbol=X", "symbol%3DX"},
	}
	for _, tt := range tests {
		t.Run(strconv.Quote(tt.symbol), func(t *testing.T) {
			got, err := dataset.FileName(tt.symbol)
			if err != nil || got != tt.want {
				t.Errorf("FileName(%q) = %q, %v, want %q", tt.symbol, got, err, tt.want)
			}
		})
	}
}

func TestFileNameRejects(t *testing.T) {
	t.Parallel()
	for _, symbol := range []string{"", strings.Repeat("A", 201), strings.Repeat("/", 67)} {
		if got, err := dataset.FileName(symbol); err == nil {
			t.Errorf("FileName(%.20q...) = %q, want an error", symbol, got)
		}
	}
}

// TestHostileSymbolsStayInDir writes files for hostile symbols in every
// layout and checks that each lands inside the output directory, one
// level (or, for hive, two) down, under the name Path promised.
func TestHostileSymbolsStayInDir(t *testing.T) {
	t.Parallel()
	hostile := []string{"../escape", "..", "/abs", `..\win`, "a/../../b", "nul\x00byte", "ctl\x1b[31m", ".tmp-1", "symbol=AAPL"}
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutHive} {
		t.Run(string(layout), func(t *testing.T) {
			mem := fixture.NewMem(t)
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: layout, Format: dataset.FormatCSV})
			if err != nil {
				t.Fatal(err)
			}
			rec := fixture.DailyBars(mem, "X", 2)
			defer rec.Release()
			depth := map[dataset.Layout]int{dataset.LayoutFiles: 1, dataset.LayoutHive: 2}[layout]
			for _, s := range hostile {
				f, err := w.Write(context.Background(), sources.Series{Symbol: s, Record: rec})
				if err != nil {
					t.Fatalf("Write(%q): %v", s, err)
				}
				if strings.Count(f.Path, "/")+1 != depth || strings.HasPrefix(f.Path, ".") {
					t.Errorf("Write(%q) wrote %q", s, f.Path)
				}
				if _, err := os.Stat(filepath.Join(dir, f.Path)); err != nil {
					t.Errorf("Write(%q): %v", s, err)
				}
			}
			if got := len(fixture.ListFiles(t, dir)); got != len(hostile) {
				t.Errorf("%d files in the output directory, want %d", got, len(hostile))
			}
			if got := fixture.ListFiles(t, parent); len(got) != len(hostile) {
				t.Errorf("files beside the output directory: %v", got)
			}
		})
	}
}

// FuzzFileName checks that a file name is a single plain path element
// that SymbolOf turns back into the symbol, so no two symbols share one,
// and that SymbolOf accepts only names FileName makes.
func FuzzFileName(f *testing.F) {
	for _, s := range []string{"AAPL", "..", "../x", "a/b", "\x00", ".x", "%41", "%3d", "EURUSD%3DX"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if sym, err := dataset.SymbolOf(in); err == nil {
			if name, err := dataset.FileName(sym); err != nil || name != in {
				t.Fatalf("SymbolOf(%q) = %q, whose FileName is %q, %v", in, sym, name, err)
			}
		}
		name, err := dataset.FileName(in)
		if err != nil {
			return
		}
		if name == "." || name == ".." || strings.HasPrefix(name, ".") {
			t.Fatalf("FileName(%q) = %q", in, name)
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < 0x21 || c > 0x7e || c == '/' || c == '\\' {
				t.Fatalf("FileName(%q) = %q holds byte %#x", in, name, c)
			}
		}
		if back, err := dataset.SymbolOf(name); err != nil || back != in {
			t.Fatalf("FileName(%q) = %q, whose SymbolOf is %q, %v", in, name, back, err)
		}
	})
}

func TestSymbolOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, want string
		ok         bool
	}{
		{"AAPL", "AAPL", true},
		{"EURUSD%3DX", "EURUSD=X", true},
		{"%5EGSPC", "^GSPC", true},
		{"BRK.B", "BRK.B", true},
		{"%2E.%2Fetc", "../etc", true},
		{"EURUSD%3dX", "", false}, // FileName writes upper-case hex
		{"%41", "", false},        // 'A' is never escaped
		{"AB%3", "", false},
		{"A=B", "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		got, err := dataset.SymbolOf(tt.name)
		if got != tt.want || (err == nil) != tt.ok {
			t.Errorf("SymbolOf(%q) = %q, %v; want %q, ok %v", tt.name, got, err, tt.want, tt.ok)
		}
	}
}
