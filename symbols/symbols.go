package symbols

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"strconv"
	"strings"
)

// MaxLen is the longest symbol accepted.
const MaxLen = 20

// ErrInvalid marks a symbol that could not be a ticker.
var ErrInvalid = errors.New("not a valid ticker symbol")

// Normalize upper-cases s and checks that it could be a ticker: 1 to
// MaxLen letters, digits, '.', '-', '^' or '=' (as in BRK.B, RDS-A,
// TSCO.LON, ^GSPC, EURUSD=X). Anything else — spaces, slashes, '&', control
// characters — is rejected, so a symbol can never leave an output directory
// or inject a query parameter.
func Normalize(s string) (string, error) {
	sym := strings.ToUpper(strings.TrimSpace(s))
	if sym == "" {
		return "", fmt.Errorf("empty symbol: %w", ErrInvalid)
	}
	if len(sym) > MaxLen {
		return "", fmt.Errorf("symbol %q: longer than %d characters: %w", s, MaxLen, ErrInvalid)
	}
	for i := 0; i < len(sym); i++ {
		c := sym[i]
		ok := c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '^' || c == '='
		if !ok {
			return "", fmt.Errorf("symbol %s: character %q not allowed: %w", strconv.Quote(s), c, ErrInvalid)
		}
	}
	if strings.Trim(sym, ".") == "" {
		return "", fmt.Errorf("symbol %q: %w", s, ErrInvalid)
	}
	return sym, nil
}

// Parse splits a comma-separated list, normalises every symbol and
// drops repeats, keeping the first occurrence's position. An empty list or
// an empty entry between commas is an error naming its position.
func Parse(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("empty symbol list: %w", ErrInvalid)
	}
	parts := strings.Split(list, ",")
	for i, part := range parts {
		if strings.TrimSpace(part) == "" {
			return nil, fmt.Errorf("symbol list %q: entry %d is empty: %w", list, i+1, ErrInvalid)
		}
	}
	return Unique(parts)
}

// Read reads one symbol a line from r, ignoring blank lines and
// everything after a '#'. name is used in errors ("symbols.txt:3: ...").
func Read(r io.Reader, name string) ([]string, error) {
	var symbols []string
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text, _, _ := strings.Cut(sc.Text(), "#")
		if strings.TrimSpace(text) == "" {
			continue
		}
		sym, err := Normalize(text)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", name, line, err)
		}
		symbols = append(symbols, sym)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read symbols from %s: %w", name, err)
	}
	return symbols, nil
}

// ReadFile is Read over the named file.
func ReadFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read symbols: %w", err)
	}
	defer f.Close()
	return Read(f, path)
}

// Unique normalises every symbol and drops repeats, keeping first positions.
func Unique(symbols []string) ([]string, error) {
	seen := make(map[string]bool, len(symbols))
	out := make([]string, 0, len(symbols))
	for _, s := range symbols {
		sym, err := Normalize(s)
		if err != nil {
			return nil, err
		}
		if !seen[sym] {
			seen[sym] = true
			out = append(out, sym)
		}
	}
	return out, nil
}

// Shard returns the symbols that belong to shard k of n (0 <= k < n): those
// whose FNV-1a hash is k modulo n. The choice depends only on the symbol, not
// on the list's order or length, so n machines given the same universe split
// it exactly, without coordination.
func Shard(symbols []string, k, n int) []string {
	var out []string
	for _, s := range symbols {
		h := fnv.New32a()
		h.Write([]byte(s))
		if int(h.Sum32()%uint32(n)) == k {
			out = append(out, s)
		}
	}
	return out
}

// ParseShard parses "K/N" with 0 <= K < N.
func ParseShard(s string) (k, n int, err error) {
	ks, ns, ok := strings.Cut(s, "/")
	k, errK := strconv.Atoi(ks)
	n, errN := strconv.Atoi(ns)
	if !ok || errK != nil || errN != nil || n < 1 || k < 0 || k >= n {
		return 0, 0, fmt.Errorf("shard %q: want K/N with 0 <= K < N, e.g. 0/4", s)
	}
	return k, n, nil
}
