package symbols_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/symbols"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		list    string
		want    []string
		wantErr string
	}{
		{list: "AAPL,GOOGL,MSFT", want: []string{"AAPL", "GOOGL", "MSFT"}},
		{list: " aapl , msft,AAPL", want: []string{"AAPL", "MSFT"}},
		{list: "brk.b,RDS-A,^gspc,eurusd=x,TSCO.LON", want: []string{"BRK.B", "RDS-A", "^GSPC", "EURUSD=X", "TSCO.LON"}},
		{list: "", wantErr: "empty symbol list"},
		{list: "AAPL,,MSFT", wantErr: `symbol list "AAPL,,MSFT": entry 2 is empty`},
		{list: "AAPL,MSFT,", want: []string{"AAPL", "MSFT"}},
		{list: "AAPL, ", want: []string{"AAPL"}},
		{list: ",", wantErr: "entry 1 is empty"},
		{list: "AAPL,,", wantErr: "entry 2 is empty"},
		{list: ",AAPL", wantErr: "entry 1 is empty"},
		{list: "../x", wantErr: `symbol "../x": character '/' not allowed`},
		{list: "A B", wantErr: `symbol "A B": character ' ' not allowed`},
		{list: "AAPL&apikey=x", wantErr: `character '&' not allowed`},
		{list: "A\x00B", wantErr: `symbol "A\x00B": character '\x00' not allowed`},
		{list: "..", wantErr: `symbol ".."`},
		{list: "/etc/passwd", wantErr: `character '/' not allowed`},
		{list: strings.Repeat("A", 21), wantErr: "longer than 20 characters"},
	}
	for _, tt := range tests {
		t.Run(tt.list, func(t *testing.T) {
			got, err := symbols.Parse(tt.list)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.Is(err, symbols.ErrInvalid) {
					t.Fatalf("Parse(%q) error = %v, want one containing %q", tt.list, err, tt.wantErr)
				}
				return
			}
			if err != nil || !slices.Equal(got, tt.want) {
				t.Fatalf("Parse(%q) = %v, %v; want %v", tt.list, got, err, tt.want)
			}
		})
	}
}

func TestReadSymbols(t *testing.T) {
	tests := []struct {
		name, in   string
		want       []string
		wantHeader string
	}{
		{"comments and blanks", "# my universe\naapl\n\n  msft  # software\nAAPL\n", []string{"AAPL", "MSFT", "AAPL"}, ""},
		{"CRLF", "AAPL\r\nMSFT\r\n", []string{"AAPL", "MSFT"}, ""},
		{"byte-order mark", "\ufeffAAPL\r\nMSFT\r\n", []string{"AAPL", "MSFT"}, ""},
		{"header", "Symbol\nAAPL\nMSFT\n", []string{"AAPL", "MSFT"}, "Symbol"},
		{"header after a mark and a comment", "\ufeff# from Excel\r\nTICKER\r\nAAPL\r\n", []string{"AAPL"}, "TICKER"},
		{"no final newline", "symbols\nAAPL", []string{"AAPL"}, "symbols"},
		{"the word later is a symbol", "AAPL\nsymbol\n", []string{"AAPL", "SYMBOL"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, header, err := symbols.Read(strings.NewReader(tt.in), "u.txt")
			if err != nil || !slices.Equal(got, tt.want) || header != tt.wantHeader {
				t.Fatalf("Read = %v, %q, %v; want %v, %q", got, header, err, tt.want, tt.wantHeader)
			}
		})
	}
	for _, in := range []string{"AAPL\nA/B\n", "\ufeff\ufeffAAPL\n"} {
		_, _, err := symbols.Read(strings.NewReader(in), "u.txt")
		if err == nil || !strings.HasPrefix(err.Error(), "u.txt:") {
			t.Errorf("Read(%q) error %v, want one naming u.txt and the line", in, err)
		}
	}
}

func TestShardPartitions(t *testing.T) {
	t.Parallel()
	universe := make([]string, 1000)
	for i := range universe {
		universe[i] = fmt.Sprintf("S%04d", i)
	}
	for _, n := range []int{1, 2, 3, 7, 16} {
		seen := map[string]int{}
		for k := range n {
			shard := symbols.Shard(universe, k, n)
			if n > 1 && (len(shard) < len(universe)/n/2 || len(shard) > 2*len(universe)/n) {
				t.Errorf("n=%d shard %d has %d symbols: badly balanced", n, k, len(shard))
			}
			for _, s := range shard {
				seen[s]++
			}
			reversed := slices.Clone(universe)
			slices.Reverse(reversed)
			again := symbols.Shard(reversed, k, n)
			slices.Reverse(again)
			if !slices.Equal(shard, again) {
				t.Errorf("n=%d shard %d depends on the list's order", n, k)
			}
		}
		for _, s := range universe {
			if seen[s] != 1 {
				t.Fatalf("n=%d: %s in %d shards, want exactly 1", n, s, seen[s])
			}
		}
	}
}

func TestParseShard(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		k, n int
		ok   bool
	}{
		{"0/1", 0, 1, true}, {"2/3", 2, 3, true},
		{"3/2", 0, 0, false}, {"3/3", 0, 0, false}, {"-1/2", 0, 0, false}, {"1/0", 0, 0, false}, {"1", 0, 0, false}, {"a/b", 0, 0, false},
	}
	for _, tt := range tests {
		k, n, err := symbols.ParseShard(tt.in)
		if (err == nil) != tt.ok || k != tt.k || n != tt.n {
			t.Errorf("ParseShard(%q) = %d, %d, %v", tt.in, k, n, err)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"AAPL", "brk.b", "../x", "A B", "AAPL&apikey=x", "\x00", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		sym, err := symbols.Normalize(s)
		if err != nil {
			return
		}
		if sym == "" || len(sym) > symbols.MaxLen || strings.ContainsAny(sym, "/\\&?# \x00") || sym == ".." {
			t.Fatalf("Normalize(%q) accepted %q", s, sym)
		}
		if again, err := symbols.Normalize(sym); err != nil || again != sym {
			t.Fatalf("Normalize not idempotent on %q: %q, %v", sym, again, err)
		}
	})
}

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/1", "3/4", "3/2", "-1/2", "1/0", "x", "1/2/3", "99999999999999999999/1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		k, n, err := symbols.ParseShard(s)
		if err != nil {
			return
		}
		if n < 1 || k < 0 || k >= n {
			t.Fatalf("ParseShard(%q) = %d/%d", s, k, n)
		}
	})
}

func FuzzReadSymbols(f *testing.F) {
	for _, s := range []string{"AAPL\nmsft # x\n\n", "#only\n", "A B\n", "\x00\n", strings.Repeat("A", 70000)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		list, _, err := symbols.Read(strings.NewReader(in), "fuzz.txt")
		if err != nil {
			if !strings.HasPrefix(err.Error(), "fuzz.txt") && !strings.Contains(err.Error(), "fuzz.txt") {
				t.Fatalf("error %q does not name the input", err)
			}
			return
		}
		for _, s := range list {
			if again, err := symbols.Normalize(s); err != nil || again != s {
				t.Fatalf("Read returned %q, which does not normalise to itself", s)
			}
		}
	})
}
