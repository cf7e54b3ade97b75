package sinks_test

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sinks"
)

func TestSafeName(t *testing.T) {
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
			got, err := sinks.SafeName(tt.symbol)
			if err != nil || got != tt.want {
				t.Errorf("SafeName(%q) = %q, %v, want %q", tt.symbol, got, err, tt.want)
			}
		})
	}
}

func TestSafeNameRejects(t *testing.T) {
	for _, symbol := range []string{"", strings.Repeat("A", 201), strings.Repeat("/", 67)} {
		if got, err := sinks.SafeName(symbol); err == nil {
			t.Errorf("SafeName(%.20q...) = %q, want an error", symbol, got)
		}
	}
}

// TestHostileSymbolsStayInDir writes files for hostile symbols in every
// layout and checks that each lands inside the output directory, one
// level (or, for hive, two) down, under the name Path promised.
func TestHostileSymbolsStayInDir(t *testing.T) {
	hostile := []string{"../escape", "..", "/abs", `..\win`, "a/../../b", "nul\x00byte", "ctl\x1b[31m", ".tmp-1", "symbol=AAPL"}
	for _, layout := range []sinks.Layout{sinks.LayoutFiles, sinks.LayoutHive} {
		t.Run(string(layout), func(t *testing.T) {
			mem := newMem(t)
			parent := t.TempDir()
			dir := filepath.Join(parent, "out")
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: layout, Format: sinks.FormatCSV})
			if err != nil {
				t.Fatal(err)
			}
			rec := dailyBars(mem, "X", 2)
			defer rec.Release()
			depth := map[sinks.Layout]int{sinks.LayoutFiles: 1, sinks.LayoutHive: 2}[layout]
			for _, s := range hostile {
				f, err := w.Write(s, rec, nil)
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
			if got := len(listFiles(t, dir)); got != len(hostile) {
				t.Errorf("%d files in the output directory, want %d", got, len(hostile))
			}
			if got := listFiles(t, parent); len(got) != len(hostile) {
				t.Errorf("files beside the output directory: %v", got)
			}
		})
	}
}

// FuzzSafeName checks that a safe name is a single plain path element
// that unescapes back to the symbol, so no two symbols share one.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"AAPL", "..", "../x", "a/b", "\x00", ".x", "%41"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, symbol string) {
		name, err := sinks.SafeName(symbol)
		if err != nil {
			return
		}
		if name == "." || name == ".." || strings.HasPrefix(name, ".") {
			t.Fatalf("SafeName(%q) = %q", symbol, name)
		}
		for i := 0; i < len(name); i++ {
			if c := name[i]; c < 0x21 || c > 0x7e || c == '/' || c == '\\' {
				t.Fatalf("SafeName(%q) = %q holds byte %#x", symbol, name, c)
			}
		}
		if back := unescape(t, name); back != symbol {
			t.Fatalf("SafeName(%q) = %q unescapes to %q", symbol, name, back)
		}
	})
}

func unescape(t *testing.T, name string) string {
	var b strings.Builder
	for i := 0; i < len(name); i++ {
		if name[i] != '%' {
			b.WriteByte(name[i])
			continue
		}
		c, err := strconv.ParseUint(name[i+1:i+3], 16, 8)
		if err != nil {
			t.Fatalf("%q: bad escape at %d", name, i)
		}
		b.WriteByte(byte(c))
		i += 2
	}
	return b.String()
}
