package transform

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// MaxWindow is the largest window any built-in accepts: about 40 years of
// daily bars, far past any useful feature and a guard against typos.
const MaxWindow = 10000

// builtin describes one name that Parse knows.
type builtin struct {
	name  string
	usage string // the item's form, as Help and errors show it
	help  string
	// column says whether the item names a column (COL) before its window.
	column bool
	// minWindow is the smallest window N allowed; 0 means no window.
	minWindow int
	build     func(col string, n int) Func
}

var builtins = []builtin{
	{name: "returns", usage: "returns",
		help:  "simple return close[t]/close[t-1]-1 (column return)",
		build: func(string, int) Func { return Returns() }},
	{name: "log_returns", usage: "log_returns",
		help:  "log return ln(close[t]/close[t-1]) (column log_return)",
		build: func(string, int) Func { return LogReturns() }},
	{name: "sma", usage: "sma:N", minWindow: 1,
		help:  "simple moving average of close over N rows (column sma_N)",
		build: func(_ string, n int) Func { return SMA(n) }},
	{name: "ema", usage: "ema:N", minWindow: 1,
		help:  "exponential moving average of close, alpha 2/(N+1), seeded with sma_N (column ema_N)",
		build: func(_ string, n int) Func { return EMA(n) }},
	{name: "volatility", usage: "volatility:N", minWindow: 2,
		help:  "sample standard deviation of log returns over N returns (column volatility_N)",
		build: func(_ string, n int) Func { return Volatility(n) }},
	{name: "rsi", usage: "rsi:N", minWindow: 1,
		help:  "Wilder's relative strength index of close over N changes, 0-100 (column rsi_N)",
		build: func(_ string, n int) Func { return RSI(n) }},
	{name: "zscore", usage: "zscore:COL:N", column: true, minWindow: 2,
		help:  "(COL - rolling mean)/rolling sample std of numeric column COL over N rows (column zscore_COL_N)",
		build: ZScore},
}

// Help describes every transform Parse knows, one per line, for --help text.
func Help() string {
	var b strings.Builder
	for _, t := range builtins {
		fmt.Fprintf(&b, "  %-14s %s\n", t.usage, t.help)
	}
	return b.String()
}

// Parse returns the Chain of the transforms listed in spec, a comma-separated
// list of items such as "returns,log_returns,sma:20,ema:12,volatility:20,
// rsi:14,zscore:close:60", applied in the order given; spaces around items
// are ignored. An empty spec yields the Chain of nothing, which returns its
// input. Errors name the bad item and say what is wrong with it. Whether a
// zscore column exists is only known when the Func is applied.
func Parse(spec string) (Func, error) {
	if strings.TrimSpace(spec) == "" {
		return Chain(), nil
	}
	items := strings.Split(spec, ",")
	fs := make([]Func, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i, item := range items {
		item = strings.TrimSpace(item)
		if item == "" {
			return nil, fmt.Errorf("transform list %q: item %d is empty", spec, i+1)
		}
		f, key, err := parseItem(item)
		if err != nil {
			return nil, fmt.Errorf("transform %q: %w", item, err)
		}
		if seen[key] {
			return nil, fmt.Errorf("transform %q: listed twice", item)
		}
		seen[key] = true
		fs = append(fs, f)
	}
	return Chain(fs...), nil
}

// parseItem returns the Func of one item and a key that is equal for items
// that make the same column.
func parseItem(item string) (Func, string, error) {
	name, rest, _ := strings.Cut(item, ":")
	b, ok := lookup(name)
	if !ok {
		usages := make([]string, len(builtins))
		for i, t := range builtins {
			usages[i] = t.usage
		}
		return nil, "", fmt.Errorf("unknown name %q (known: %s)", name, strings.Join(usages, ", "))
	}
	var args []string
	if rest != "" || strings.Contains(item, ":") {
		args = strings.Split(rest, ":")
	}
	want := 0
	if b.column {
		want++
	}
	if b.minWindow > 0 {
		want++
	}
	switch {
	case len(args) < want:
		return nil, "", fmt.Errorf("missing argument, want %s", b.usage)
	case len(args) > want:
		return nil, "", fmt.Errorf("too many arguments, want %s", b.usage)
	}
	var col string
	if b.column {
		col, args = args[0], args[1:]
		if col == "" {
			return nil, "", errors.New("column name is empty")
		}
	}
	var n int
	if b.minWindow > 0 {
		var err error
		if n, err = parseWindow(args[0], b.minWindow); err != nil {
			return nil, "", err
		}
	}
	return b.build(col, n), fmt.Sprintf("%s:%s:%d", name, col, n), nil
}

func lookup(name string) (builtin, bool) {
	for _, b := range builtins {
		if b.name == name {
			return b, true
		}
	}
	return builtin{}, false
}

// parseWindow parses a window of at least minimum rows.
func parseWindow(s string, minimum int) (int, error) {
	n, err := strconv.Atoi(s)
	switch {
	case errors.Is(err, strconv.ErrRange) && !strings.HasPrefix(s, "-"):
		n = MaxWindow + 1
	case err != nil:
		return 0, errNotPositive
	}
	return n, checkWindow(n, minimum)
}

var errNotPositive = errors.New("window must be a positive integer")

// checkWindow reports whether n is a window in [minimum, MaxWindow].
func checkWindow(n, minimum int) error {
	switch {
	case n < 1:
		return errNotPositive
	case n < minimum:
		return fmt.Errorf("window must be at least %d", minimum)
	case n > MaxWindow:
		return fmt.Errorf("window must be at most %d", MaxWindow)
	}
	return nil
}

// Build returns the transforms of spec (see Parse) followed by the
// DateRange of start and end, or nil when there is nothing to do. The
// features are computed on the whole series before the range cuts it, so
// the first rows of the range already have full windows. A series with no
// row in the range fails with an error matching ErrEmptyRange that says
// where the series lies, rather than yielding an empty record: asking
// for dates a series does not have is worth telling apart from a
// result.
func Build(spec string, start, end time.Time) (Func, error) {
	if !start.IsZero() && !end.IsZero() && start.After(end) {
		return nil, fmt.Errorf("start %s is after end %s", dayString(start), dayString(end))
	}
	features, err := Parse(spec)
	if err != nil {
		return nil, err
	}
	switch {
	case start.IsZero() && end.IsZero() && strings.TrimSpace(spec) == "":
		return nil, nil
	case start.IsZero() && end.IsZero():
		return features, nil
	}
	return Chain(features, nonEmpty(start, end, DateRange(start, end))), nil
}
