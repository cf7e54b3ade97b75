package transform_test

import (
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/transform"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec    string
		columns []string // appended, in order
	}{
		{"", nil},
		{"  ", nil},
		{"returns", []string{"return"}},
		{"returns,log_returns,sma:20,ema:12,volatility:20,rsi:14,zscore:close:60",
			[]string{"return", "log_return", "sma_20", "ema_12", "volatility_20", "rsi_14", "zscore_close_60"}},
		{" sma:5 , rsi:14 ", []string{"sma_5", "rsi_14"}},
		{"sma:1,sma:10000", []string{"sma_1", "sma_10000"}},
		{"volatility:2,zscore:volume:2", []string{"volatility_2", "zscore_volume_2"}},
		{"sma:020", []string{"sma_20"}},
		{"returns,zscore:return:20", []string{"return", "zscore_return_20"}},
		{"zscore:close:5,zscore:volume:5", []string{"zscore_close_5", "zscore_volume_5"}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			f, err := transform.Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			in := sample.Bars("AAPL", false, mem)
			defer in.Release()
			out, err := f(in, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer out.Release()
			var got []string
			for i := int(in.NumCols()); i < int(out.NumCols()); i++ {
				got = append(got, out.ColumnName(i))
			}
			if strings.Join(got, ",") != strings.Join(tt.columns, ",") {
				t.Fatalf("appended columns %q, want %q", got, tt.columns)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	const known = "(known: returns, log_returns, sma:N, ema:N, volatility:N, rsi:N, zscore:COL:N)"
	tests := []struct {
		spec, want string
	}{
		{"sma:0", `transform "sma:0": window must be a positive integer`},
		{"sma:-5", `transform "sma:-5": window must be a positive integer`},
		{"sma:x", `transform "sma:x": window must be a positive integer`},
		{"sma:2.5", `transform "sma:2.5": window must be a positive integer`},
		{"sma:", `transform "sma:": window must be a positive integer`},
		{"ema:10001", `transform "ema:10001": window must be at most 10000`},
		{"rsi:99999999999999999999999", `transform "rsi:99999999999999999999999": window must be at most 10000`},
		{"volatility:1", `transform "volatility:1": window must be at least 2`},
		{"zscore:close:1", `transform "zscore:close:1": window must be at least 2`},
		{"sma", `transform "sma": missing argument, want sma:N`},
		{"zscore:close", `transform "zscore:close": missing argument, want zscore:COL:N`},
		{"zscore", `transform "zscore": missing argument, want zscore:COL:N`},
		{"sma:5:5", `transform "sma:5:5": too many arguments, want sma:N`},
		{"returns:1", `transform "returns:1": too many arguments, want returns`},
		{"log_returns:", `transform "log_returns:": too many arguments, want log_returns`},
		{"zscore::5", `transform "zscore::5": column name is empty`},
		{"macd:12", `transform "macd:12": unknown name "macd" ` + known},
		{"SMA:20", `transform "SMA:20": unknown name "SMA" ` + known},
		{"returns,bogus", `transform "bogus": unknown name "bogus" ` + known},
		{"returns,,sma:5", `transform list "returns,,sma:5": item 2 is empty`},
		{"sma:5,", `transform list "sma:5,": item 2 is empty`},
		{"sma:20,rsi:14,sma:20", `transform "sma:20": listed twice`},
		{"sma:20,sma:020", `transform "sma:020": listed twice`},
		{"returns, returns", `transform "returns": listed twice`},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			f, err := transform.Parse(tt.spec)
			if err == nil {
				t.Fatalf("Parse accepted it (%v), want %q", f != nil, tt.want)
			}
			if err.Error() != tt.want {
				t.Fatalf("err = %q\nwant  %q", err, tt.want)
			}
			if f != nil {
				t.Error("Parse returned a Func with its error")
			}
		})
	}
}

func TestHelp(t *testing.T) {
	t.Parallel()
	help := transform.Help()
	for _, usage := range []string{"returns", "log_returns", "sma:N", "ema:N", "volatility:N", "rsi:N", "zscore:COL:N"} {
		// Every usage Help shows must parse once N and COL are filled in.
		spec := strings.NewReplacer("N", "3", "COL", "close").Replace(usage)
		if _, err := transform.Parse(spec); err != nil {
			t.Errorf("Help's %q: Parse(%q): %v", usage, spec, err)
		}
		if !strings.Contains(help, "  "+usage+" ") {
			t.Errorf("Help() does not describe %q:\n%s", usage, help)
		}
	}
	if lines := strings.Count(help, "\n"); lines != 7 {
		t.Errorf("Help() has %d lines, want 7:\n%s", lines, help)
	}
}

// FuzzParse checks that Parse never panics, that its errors name a
// transform, and that what it accepts applies cleanly to a short record.
func FuzzParse(f *testing.F) {
	for _, seed := range []string{
		"", "returns", "returns,log_returns,sma:20,ema:12,volatility:20,rsi:14,zscore:close:60",
		"sma:0", "zscore::5", "a,,b", "rsi:99999999999999999999", " ema:3 , sma:2", "zscore:volume:3:4", ":", ",",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		fn, err := transform.Parse(spec)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "transform ") {
				t.Fatalf("Parse(%q) error %q does not start with \"transform \"", spec, err)
			}
			return
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		in := newRecord(mem, []float64{1, 2, null, 4, 5, 6})
		defer in.Release()
		out, err := fn(in, mem)
		if err != nil {
			// Only a zscore column is unknown until applied.
			if !strings.Contains(err.Error(), "zscore") {
				t.Fatalf("Parse(%q) accepted a chain that fails: %v", spec, err)
			}
			return
		}
		defer out.Release()
		if out.NumRows() != in.NumRows() {
			t.Fatalf("Parse(%q): %d rows, want %d", spec, out.NumRows(), in.NumRows())
		}
	})
}
