package alphavantage_test

import (
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

const csvHead = "timestamp,open,high,low,close,volume\r\n"

func TestDecodeCSVErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"empty", ``, "empty body"},
		{"only space", "\r\n", "empty body"},
		{"html", "<html>502</html>\r\n", `line 1: got an HTML page, not CSV`},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", `line 1: got a gzip-compressed body, not CSV`},
		{"not the header", "date,open\r\n", `line 1: header "date,open"`},
		{"json for another symbol", `{"Meta Data": {"2. Symbol": "MSFT"}, "Time Series (Daily)": {}}`, `the answer is for another symbol`},
		{"header without line end", "timestamp,open,high,low,close,volume", "line 1: last line"},
		{"truncated line", csvHead + "2024-01-05,1.5,2", `line 2: last line "2024-01-05,1.5,2" has no line end`},
		{"one field", csvHead + "2024-01-05\r\n", "line 2: 1 field, want 6"},
		{"too few fields", csvHead + "2024-01-05,1.5,2,1\r\n", "line 2: 4 fields, want 6"},
		{"too many fields", csvHead + "2024-01-05,1.5,2,1,1.75,100,7\r\n", "line 2: more than 6 fields"},
		{"trailing comma", csvHead + "2024-01-05,1.5,2,1,1.75,100,\r\n", "line 2: more than 6 fields"},
		{"empty field", csvHead + "2024-01-05,1.5,,1,1.75,100\r\n", `line 2: column 3: bad number ""`},
		{"quoted field", csvHead + "2024-01-05,\"1.5\",2,1,1.75,100\r\n", `line 2: column 2: bad number "\"1.5\""`},
		{"space in field", csvHead + "2024-01-05, 1.5,2,1,1.75,100\r\n", `line 2: column 2: bad number " 1.5"`},
		{"bad date", csvHead + "2024/01/05,1.5,2,1,1.75,100\r\n", `line 2: bad date "2024/01/05"`},
		{"year 1899", csvHead + "1899-01-05,1.5,2,1,1.75,100\r\n", `line 2: date "1899-01-05" out of range`},
		{"NaN", csvHead + "2024-01-05,NaN,2,1,1.75,100\r\n", `line 2: column 2: bad number "NaN"`},
		{"Inf", csvHead + "2024-01-05,1.5,Inf,1,1.75,100\r\n", `line 2: column 3: bad number "Inf"`},
		{"overflow", csvHead + "2024-01-05,1.5,2,1e400,1.75,100\r\n", `line 2: column 4: value "1e400" out of range`},
		{"negative", csvHead + "2024-01-05,1.5,2,1,-1.75,100\r\n", `line 2: column 5: negative value "-1.75"`},
		{"negative volume", csvHead + "2024-01-05,1.5,2,1,1.75,-100\r\n", `line 2: column 6: negative value "-100"`},
		{"fractional volume", csvHead + "2024-01-05,1.5,2,1,1.75,1e2\r\n", `line 2: column 6: bad integer "1e2"`},
		{"bad row after good", csvHead + "2024-01-05,1.5,2,1,1.75,100\r\n2024-01-04,x,2,1,1.75,100\r\n", `line 3: column 2: bad number "x"`},
		{"line too long", csvHead + strings.Repeat("1", alphavantage.MaxWireToken+1) + "\r\n", "line 2: line longer than 4096 bytes"},
		{"json without series", `{"Meta Data": {}}`, `no "Time Series (Daily)"`},
		{"broken json", `{"Note": "Thank`, "unexpected end of body"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, err := alphavantage.DecodeCSV(strings.NewReader(tc.body), "IBM", sources.Kind{}, mem)
			if err == nil {
				rec.Release()
				t.Fatalf("err = nil, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "decode IBM csv: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want \"decode IBM csv: ...%s...\"", err, tc.want)
			}
		})
	}
}

// TestDecodeCSVAccepts covers bodies that are odd but valid.
func TestDecodeCSVAccepts(t *testing.T) {
	t.Parallel()
	cases := []acceptCase{
		{"header only", csvHead, 0},
		{"LF line ends", "timestamp,open,high,low,close,volume\n2024-01-05,1.5,2,1,1.75,100\n2024-01-04,1.5,2,1,1.75,100\n", 2},
		{"blank lines skipped", csvHead + "\r\n2024-01-05,1.5,2,1,1.75,100\r\n\r\n", 1},
		{"exponents and long decimals", csvHead + "2024-01-05,1.5e0,2.00000000000000001,1,1.75,100\r\n", 1},
		{"JSON series when CSV was asked for", jsonBody(jsonBar("2024-01-05")), 1},
	}
	checkAccepts(t, alphavantage.DecodeCSV, cases)
}

func TestDecodeCSVHostile(t *testing.T) {
	t.Parallel()
	t.Run("endless rows", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(csvHead), endless("2024-01-05,1.5,2,1,1.75,100\r\n"))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeCSV(body, "IBM", sources.Kind{}, mem)
		if !errors.Is(err, alphavantage.ErrTooManyRows) {
			t.Fatalf("err = %v, want ErrTooManyRows", err)
		}
		if !strings.Contains(err.Error(), "line 100002:") {
			t.Errorf("err = %v, want it to name line 100002", err)
		}
	})
	t.Run("endless line", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(csvHead), endless("1"))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeCSV(body, "IBM", sources.Kind{}, mem)
		if err == nil || !strings.Contains(err.Error(), "line 2: line longer than") {
			t.Fatalf("err = %v, want line longer than ...", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		broken := errors.New("connection reset")
		body := io.MultiReader(strings.NewReader(csvHead+"2024-01-05,1.5"), iotest.ErrReader(broken))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeCSV(body, "IBM", sources.Kind{}, mem)
		if !errors.Is(err, broken) {
			t.Fatalf("err = %v, want it to wrap %v", err, broken)
		}
	})
}

// FuzzDecodeCSV checks that no body makes DecodeCSV panic or leak, and
// that every success holds the Series contract.
func FuzzDecodeCSV(f *testing.F) {
	addTestdataSeeds(f, ".csv")
	f.Add([]byte(csvHead + "2024-01-05,1.5,2,1,1.75,100\r\n2024-01-05,1.5,2,1,1.75,100\r\n"))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, kind := range fuzzKinds {
			fuzzDecode(t, alphavantage.DecodeCSV, body, kind)
		}
	})
}
