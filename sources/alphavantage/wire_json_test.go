package alphavantage_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// jsonBody wraps series members in a daily answer.
func jsonBody(members string) string {
	return `{"Meta Data": {"2. Symbol": "IBM"}, "Time Series (Daily)": {` + members + `}}`
}

// jsonBar is one well-formed unadjusted bar of date.
func jsonBar(date string) string {
	return `"` + date + `": {"1. open": "1.5", "2. high": "2.0", "3. low": "1.0", "4. close": "1.75", "5. volume": "100"}`
}

func TestDecodeJSONErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, body, want string
	}{
		{"empty", ``, "unexpected end of body"},
		{"only space", " \r\n\t", "unexpected end of body"},
		{"not an object", `[1, 2]`, "want '{', got an array"},
		{"html", `<html>502 Bad Gateway</html>`, `offset 0: got an HTML page, not JSON`},
		{"html after space", "\r\n <!DOCTYPE html><html></html>", `offset 3: got an HTML page, not JSON`},
		{"xml", `<?xml version="1.0"?><Error/>`, `got an XML document, not JSON`},
		{"gzip", "\x1f\x8b\x08\x00\x00\x00\x00\x00", `got a gzip-compressed body, not JSON`},
		{"another symbol", `{"Meta Data": {"1. Information": "Daily", "2. Symbol": "MSFT"}, "Time Series (Daily)": {}}`,
			`offset 55: the answer is for another symbol: its "Meta Data" names "MSFT"`},
		{"symbol not a string", `{"Meta Data": {"2. Symbol": 7}, "Time Series (Daily)": {}}`, `"2. Symbol" is not a string`},
		{"no series", `{"Meta Data": {}}`, `no "Time Series (Daily)"`},
		{"series is an array", `{"Time Series (Daily)": []}`, "want '{', got an array"},
		{"series is a string", `{"Time Series (Daily)": "x"}`, "want '{', got a string"},
		{"bar is an array", jsonBody(`"2024-01-05": []`), "date 2024-01-05: offset 74: want '{', got an array"},
		{"two series", `{"Time Series (Daily)": {}, "Time Series (Daily)": {}}`, "second"},
		{"trailing garbage", jsonBody(jsonBar("2024-01-05")) + `x`, "unexpected 'x' after the JSON object"},
		{"two documents", jsonBody("") + jsonBody(""), "after the JSON object"},
		{"missing comma", `{"Meta Data": {} "Time Series (Daily)": {}}`, "want ',' or '}', got a string"},
		{"trailing comma", jsonBody(jsonBar("2024-01-05") + `,`), "want a key, got '}'"},
		{"missing colon", `{"Meta Data" {}}`, "want ':', got an object"},
		{"unquoted key", `{Meta: {}}`, "want a key, got 'M'"},
		{"control character", "{\"Meta\nData\": {}}", "control character in string"},
		{"bad escape", `{"Meta \x": {}}`, `bad escape \x`},
		{"bad unicode escape", `{"Meta \u12G4": {}}`, `bad \u escape`},
		{"bad literal", `{"Meta Data": tru}`, `bad literal "tru"`},
		{"leading zero", `{"Meta Data": 012}`, `bad literal "012"`},
		{"missing value", `{"Meta Data": }`, `unexpected '}'`},
		{"nested too deep", `{"Meta Data": [[[[[[[[[[]]]]]]]]]]}`, "nested deeper than 8"},
		{"error message is not a string", `{"Error Message": 1}`, `"Error Message" is not a string`},
		{"key too long", `{"` + strings.Repeat("k", alphavantage.MaxWireToken+1) + `": 1}`, "string longer than 4096 bytes"},
		{"escaped key too long", `{"\n` + strings.Repeat("k", alphavantage.MaxWireToken+1) + `": 1}`, "string longer than 4096 bytes"},
		{"bad date", jsonBody(jsonBar("2024-1-05")), `bad date "2024-1-05" (want YYYY-MM-DD)`},
		{"no such day", jsonBody(jsonBar("2023-02-29")), `bad date "2023-02-29" (no such day)`},
		{"month 13", jsonBody(jsonBar("2024-13-01")), `bad date "2024-13-01" (no such day)`},
		{"year 1899", jsonBody(jsonBar("1899-12-31")), `date "1899-12-31" out of range 1900..2100`},
		{"year 2101", jsonBody(jsonBar("2101-01-01")), `date "2101-01-01" out of range 1900..2100`},
		{"missing field", jsonBody(`"2024-01-05": {"1. open": "1.5"}`), `date 2024-01-05: offset 92: missing field "2. high"`},
		{"number not string", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.5"`, `1.5`, 1)), `field "1. open": want a string`},
		{"NaN", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.5"`, `"NaN"`, 1)), `field "1. open": bad number "NaN"`},
		{"Inf", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"2.0"`, `"+Inf"`, 1)), `field "2. high": bad number "+Inf"`},
		{"overflow", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.0"`, `"1e400"`, 1)), `field "3. low": value "1e400" out of range`},
		{"hex float", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.0"`, `"0x1p-2"`, 1)), `bad number "0x1p-2"`},
		{"empty number", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.75"`, `""`, 1)), `field "4. close": bad number ""`},
		{"negative price", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.75"`, `"-1.75"`, 1)), `field "4. close": negative value "-1.75"`},
		{"negative volume", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"100"`, `"-100"`, 1)), `field "5. volume": negative value "-100"`},
		{"fractional volume", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"100"`, `"100.5"`, 1)), `field "5. volume": bad integer "100.5"`},
		{"volume overflow", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"100"`, `"9223372036854775808"`, 1)), `bad integer "9223372036854775808"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, err := alphavantage.DecodeJSON(strings.NewReader(tc.body), "IBM", sources.Kind{}, mem)
			if err == nil {
				rec.Release()
				t.Fatalf("err = nil, want %q", tc.want)
			}
			if !strings.HasPrefix(err.Error(), "decode IBM json: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("err = %q, want \"decode IBM json: ...%s...\"", err, tc.want)
			}
			var se *alphavantage.ServiceError
			if errors.As(err, &se) {
				t.Errorf("err = %v is a *ServiceError", err)
			}
		})
	}
}

// TestDecodeJSONAccepts covers bodies that are odd but valid.
func TestDecodeJSONAccepts(t *testing.T) {
	t.Parallel()
	cases := []acceptCase{
		{"compact layout", jsonBody(jsonBar("2024-01-05") + "," + jsonBar("2024-01-04")), 2},
		{"empty series", jsonBody(""), 0},
		{"unknown keys skipped", `{"x": [1, -2.5e3, true, false, null, {"y": "z"}], "Time Series (Daily)": {` +
			`"2024-01-05": {"0. note": {"a": [1]}, "1. open": "1.5", "2. high": "2", "3. low": "1", "4. close": "1.75", "5. volume": "100"}}}`, 1},
		{"escaped keys", `{"Time Series (Daily)": {"2024-01-05": {"1. op\u0065n": "1.5", "2. high": "2", ` +
			`"3. low": "1", "4. close": "1.75", "5. volume": "100", "\ud83d\ude00 \/\b\f\n\r\t\"\\": "x"}}}`, 1},
		{"space before colons", `{ "Time Series (Daily)" : { "2024-01-05" : { "1. open" : "1.5" , "2. high" : "2" ,` +
			` "3. low" : "1" , "4. close" : "1.75" , "5. volume" : "100" } } } `, 1},
		{"exponent and long decimals", jsonBody(strings.Replace(jsonBar("2024-01-05"), `"1.5"`, `"1.5e0"`, 1)) +
			"\n", 1},
		{"the symbol in another case", `{"Meta Data": {"2. Symbol": "ibm"}, "Time Series (Daily)": {` + jsonBar("2024-01-05") + `}}`, 1},
		{"meta data that is no object", `{"Meta Data": "x", "Time Series (Daily)": {` + jsonBar("2024-01-05") + `}}`, 1},
		{"message next to the series is advisory", `{"Information": "demo key", "Time Series (Daily)": {` + jsonBar("2024-01-05") + `}}`, 1},
		{"the service's largest plausible values", jsonBody(strings.NewReplacer(`"2.0"`, `"123456789.12345678"`, `"100"`, `"999999999999999999"`).Replace(jsonBar("2024-01-05"))), 1},
	}
	checkAccepts(t, alphavantage.DecodeJSON, cases)
}

// TestDecodeSymbolMismatch checks that an answer for another symbol fails
// with ErrSymbolMismatch, in both decoders.
func TestDecodeSymbolMismatch(t *testing.T) {
	body := `{"Meta Data": {"2. Symbol": "IBM"}, "Time Series (Daily)": {` + jsonBar("2024-01-05") + `}}`
	for name, decode := range map[string]decodeFunc{"json": alphavantage.DecodeJSON, "csv": alphavantage.DecodeCSV} {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		_, err := decode(strings.NewReader(body), "MSFT", sources.Kind{}, mem)
		mem.AssertSize(t, 0)
		if !errors.Is(err, alphavantage.ErrSymbolMismatch) || !strings.HasPrefix(err.Error(), "decode MSFT "+name+": ") {
			t.Errorf("%s: err = %v, want ErrSymbolMismatch naming MSFT", name, err)
		}
	}
}

// TestDecodeJSONHostile checks that endless bodies stop at the limits
// instead of growing memory or running forever.
func TestDecodeJSONHostile(t *testing.T) {
	t.Parallel()
	t.Run("endless bars", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(`{"Time Series (Daily)": {`+jsonBar("2024-01-05")),
			endless(","+jsonBar("2024-01-05")))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeJSON(body, "IBM", sources.Kind{}, mem)
		if !errors.Is(err, alphavantage.ErrTooManyRows) {
			t.Fatalf("err = %v, want ErrTooManyRows", err)
		}
	})
	t.Run("endless string", func(t *testing.T) {
		body := io.MultiReader(strings.NewReader(`{"Note": "`), endless("a"))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeJSON(body, "IBM", sources.Kind{}, mem)
		if err == nil || !strings.Contains(err.Error(), "string longer than") {
			t.Fatalf("err = %v, want string longer than ...", err)
		}
	})
	t.Run("read error", func(t *testing.T) {
		broken := errors.New("connection reset")
		body := io.MultiReader(strings.NewReader(jsonBody(jsonBar("2024-01-05"))[:40]), iotest.ErrReader(broken))
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, err := alphavantage.DecodeJSON(body, "IBM", sources.Kind{}, mem)
		if !errors.Is(err, broken) {
			t.Fatalf("err = %v, want it to wrap %v", err, broken)
		}
	})
}

// endless returns a reader repeating s forever.
func endless(s string) io.Reader {
	return &repeatReader{s: s}
}

type repeatReader struct {
	s   string
	off int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// FuzzDecodeJSON checks that no body makes DecodeJSON panic or leak, and
// that every success holds the Series contract.
func FuzzDecodeJSON(f *testing.F) {
	addTestdataSeeds(f, ".json")
	f.Add([]byte(jsonBody(jsonBar("2024-01-05") + "," + jsonBar("2024-01-05"))))
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, kind := range fuzzKinds {
			fuzzDecode(t, alphavantage.DecodeJSON, body, kind)
		}
	})
}

// addTestdataSeeds seeds f with every testdata body.
func addTestdataSeeds(f *testing.F, ext string) {
	files, err := filepath.Glob(filepath.Join("testdata", "*"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		if filepath.Ext(file) != ".json" && filepath.Ext(file) != ".csv" {
			continue
		}
		body, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if filepath.Ext(file) == ext || strings.HasPrefix(filepath.Base(file), "error_") {
			f.Add(body)
		}
	}
}
