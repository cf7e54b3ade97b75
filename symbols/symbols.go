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
// drops repeats, keeping the first occurrence's position. One trailing
// comma is allowed ("AAPL,MSFT,", as lists built in a loop end); an empty
// list or an empty entry between commas is an error naming its position.
func Parse(list string) ([]string, error) {
	if strings.TrimSpace(list) == "" {
		return nil, fmt.Errorf("empty symbol list: %w", ErrInvalid)
	}
	parts := strings.Split(list, ",")
	if len(parts) > 1 && strings.TrimSpace(parts[len(parts)-1]) == "" {
		parts = parts[:len(parts)-1]
	}
	for i, part := range parts {
		if strings.TrimSpace(part) == "" {
			return nil, fmt.Errorf("symbol list %q: entry %d is empty: %w", list, i+1, ErrInvalid)
		}
	}
	return Unique(parts)
}

// headers are the column names a first line may hold instead of a symbol,
// compared without case: what a spreadsheet exports above the column.
var headers = []string{"symbol", "symbols", "ticker", "tickers"}

// bom is the UTF-8 byte-order mark that Excel and Notepad put at the start
// of a file they save as UTF-8.
const bom = "\ufeff"

// Read reads one symbol a line from r, ignoring blank lines and
// everything after a '#'. name is used in errors ("symbols.txt:3: ...").
// It accepts files as spreadsheets and Windows editors save them: a UTF-8
// byte-order mark, CRLF line ends, and a first line that names the column
// ("Symbol" or "ticker", any case), which is not a symbol: Read skips that
// line and returns its text as header, "" when there was none, so that the
// caller can say so.
func Read(r io.Reader, name string) (symbols []string, header string, err error) {
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if line == 1 {
			text = strings.TrimPrefix(text, bom)
		}
		text, _, _ = strings.Cut(text, "#")
		text = strings.TrimSpace(text)
		if text == "" {
			continue
		}
		if len(symbols) == 0 && header == "" && isHeader(text) {
			header = text
			continue
		}
		sym, err := Normalize(text)
		if err != nil {
			return nil, "", fmt.Errorf("%s:%d: %w", name, line, err)
		}
		symbols = append(symbols, sym)
	}
	if err := sc.Err(); err != nil {
		return nil, "", fmt.Errorf("read symbols from %s: %w", name, err)
	}
	return symbols, header, nil
}

func isHeader(text string) bool {
	for _, h := range headers {
		if strings.EqualFold(text, h) {
			return true
		}
	}
	return false
}

// ReadFile is Read over the named file.
func ReadFile(path string) (symbols []string, header string, err error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, "", fmt.Errorf("read symbols: %w", err)
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
