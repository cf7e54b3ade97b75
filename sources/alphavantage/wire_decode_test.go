package alphavantage_test

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// decodeFunc is the shape of DecodeJSON and DecodeCSV.
type decodeFunc func(io.Reader, string, sources.Kind, memory.Allocator) (arrow.RecordBatch, error)

// acceptCase is a body that is odd but valid, and how many rows it holds.
type acceptCase struct {
	name, body string
	rows       int
}

// checkAccepts decodes every case's body one byte at a time, which
// exercises every buffer refill path, and checks the series and its rows.
func checkAccepts(t *testing.T, decode decodeFunc, cases []acceptCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, err := decode(iotest.OneByteReader(strings.NewReader(tc.body)), "IBM", sources.Kind{}, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			checkSeries(t, rec, "IBM", sources.Kind{})
			if int(rec.NumRows()) != tc.rows {
				t.Errorf("rows = %d, want %d", rec.NumRows(), tc.rows)
			}
		})
	}
}

// decoderFor picks the decoder for a testdata file by its extension.
func decoderFor(name string) decodeFunc {
	if strings.HasSuffix(name, ".csv") {
		return alphavantage.DecodeCSV
	}
	return alphavantage.DecodeJSON
}

// TestDecodeTestdata drives both decoders over the recorded bodies.
func TestDecodeTestdata(t *testing.T) {
	t.Parallel()
	type want struct {
		rows        int
		first, last string
		kind        alphavantage.ServiceErrorKind
		service     bool   // want a *ServiceError of kind
		err         string // want an error containing this
	}
	ok4 := want{rows: 4, first: "2024-01-02", last: "2024-01-05"}
	cases := []struct {
		file     string
		adjusted bool
		want     want
	}{
		{"ibm_daily.json", false, ok4},
		{"ibm_daily_adjusted.json", true, ok4},
		{"ibm_daily.csv", false, ok4},
		{"ibm_daily_adjusted.csv", true, ok4},

		{"ibm_daily.json", true, want{err: `missing field "5. adjusted close"`}},
		{"ibm_daily_adjusted.json", false, want{err: `missing field "5. volume"`}},
		{"ibm_daily.csv", true, want{err: "is of an unadjusted series"}},
		{"ibm_daily_adjusted.csv", false, want{err: "is of the adjusted daily series"}},

		{"error_invalid_symbol.json", false, want{service: true, kind: alphavantage.ServiceInvalidCall}},
		{"error_intraday_invalid_call.json", false, want{service: true, kind: alphavantage.ServiceInvalidCall}},
		{"error_invalid_key.json", false, want{service: true, kind: alphavantage.ServiceInvalidKey}},
		{"error_note_rate_limit.json", false, want{service: true, kind: alphavantage.ServiceRateLimitMinute}},
		{"error_daily_limit.json", false, want{service: true, kind: alphavantage.ServiceRateLimitDay}},
		{"error_per_second.json", false, want{service: true, kind: alphavantage.ServiceRateLimitSecond}},
		{"error_premium_endpoint.json", true, want{service: true, kind: alphavantage.ServicePremiumEndpoint}},
		{"error_premium_outputsize.json", false, want{service: true, kind: alphavantage.ServicePremiumOutputSize}},

		{"broken_truncated.json", false, want{err: "unexpected end of body"}},
		{"broken_truncated.csv", false, want{err: "line 5: last line"}},
		{"broken_bad_number.json", false, want{err: `date 2024-01-05: offset 363: field "2. high": bad number "160,72"`}},
		{"broken_bad_number.csv", false, want{err: `line 2: column 3: bad number "NaN"`}},
		{"broken_bad_date.json", false, want{err: `bad date "2024-02-30" (no such day)`}},
		{"broken_bad_date.csv", false, want{err: `line 3: bad date "04/01/2024"`}},
		{"broken_wrong_shape.json", false, want{err: "want '{', got an array"}},
		{"broken_missing_field.json", false, want{err: `date 2024-01-04: offset 665: missing field "3. low"`}},
		{"broken_negative.csv", false, want{err: `line 3: column 6: negative value "-3997823"`}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/adjusted=%v", tc.file, tc.adjusted), func(t *testing.T) {
			body, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			decoders := []decodeFunc{decoderFor(tc.file)}
			if tc.want.service { // refusals come as JSON also when CSV was asked for
				decoders = append(decoders, alphavantage.DecodeCSV)
			}
			for _, decode := range decoders {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				rec, err := decode(bytes.NewReader(body), "IBM", sources.Kind{Adjusted: tc.adjusted}, mem)
				switch {
				case tc.want.service:
					var se *alphavantage.ServiceError
					if !errors.As(err, &se) {
						t.Fatalf("err = %v, want a *ServiceError", err)
					}
					if se.Kind != tc.want.kind {
						t.Errorf("kind = %d, want %d (%v)", se.Kind, tc.want.kind, se)
					}
					if !strings.HasPrefix(err.Error(), "decode IBM ") {
						t.Errorf("error %q does not name the symbol", err)
					}
				case tc.want.err != "":
					if err == nil {
						rec.Release()
						t.Fatalf("err = nil, want %q", tc.want.err)
					}
					if !strings.Contains(err.Error(), tc.want.err) || !strings.Contains(err.Error(), "IBM") {
						t.Errorf("err = %q, want it to name IBM and contain %q", err, tc.want.err)
					}
				default:
					if err != nil {
						t.Fatal(err)
					}
					checkSeries(t, rec, "IBM", sources.Kind{Adjusted: tc.adjusted})
					dates := rec.Column(1).(*array.Date32)
					if got := int(rec.NumRows()); got != tc.want.rows {
						t.Errorf("rows = %d, want %d", got, tc.want.rows)
					}
					first := dates.Value(0).FormattedString()
					last := dates.Value(dates.Len() - 1).FormattedString()
					if first != tc.want.first || last != tc.want.last {
						t.Errorf("dates %s..%s, want %s..%s", first, last, tc.want.first, tc.want.last)
					}
					rec.Release()
				}
				mem.AssertSize(t, 0)
			}
		})
	}
}

// TestDecodeValues checks the decoded values of the recorded IBM series,
// not only their count.
func TestDecodeValues(t *testing.T) {
	t.Parallel()
	want := []sources.Bar{
		{Date: day("2024-01-02"), Open: 162.83, High: 163.29, Low: 160.77, Close: 161.5, Volume: 3867687, AdjustedClose: 156.655, SplitCoefficient: 1},
		{Date: day("2024-01-03"), Open: 161, High: 161.73, Low: 160.08, Close: 160.58, Volume: 4086514, AdjustedClose: 155.7626, Dividend: 1.66, SplitCoefficient: 1},
		{Date: day("2024-01-04"), Open: 160.1, High: 161.46, Low: 159.35, Close: 160.1, Volume: 3997823, AdjustedClose: 160.1, SplitCoefficient: 1},
		{Date: day("2024-01-05"), Open: 160, High: 160.72, Low: 158.6, Close: 159.16, Volume: 3927757, AdjustedClose: 159.16, SplitCoefficient: 1},
	}
	for _, file := range []string{"ibm_daily.json", "ibm_daily.csv", "ibm_daily_adjusted.json", "ibm_daily_adjusted.csv"} {
		t.Run(file, func(t *testing.T) {
			adjusted := strings.Contains(file, "adjusted")
			got := decodeFile(t, file, sources.Kind{Adjusted: adjusted})
			wantBars := want
			if !adjusted {
				wantBars = unadjusted(want)
			}
			compareBars(t, got, wantBars)
		})
	}
}

// decodeFile decodes a testdata body as a series of kind, and returns its
// bars.
func decodeFile(t *testing.T, file string, kind sources.Kind) []sources.Bar {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := decoderFor(file)(bytes.NewReader(body), "IBM", kind, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer rec.Release()
	checkSeries(t, rec, "IBM", kind)
	return sources.RecordBars(rec)
}

func day(s string) time.Time {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return d
}

// unadjusted returns bars without the adjusted fields, as a record of the
// unadjusted schema reads back.
func unadjusted(bars []sources.Bar) []sources.Bar {
	out := make([]sources.Bar, len(bars))
	for i, b := range bars {
		b.AdjustedClose, b.Dividend, b.SplitCoefficient = 0, 0, 0
		out[i] = b
	}
	return out
}

func compareBars(t *testing.T, got, want []sources.Bar) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d bars, want %d", len(got), len(want))
	}
	for i := range got {
		if !got[i].Date.Equal(want[i].Date) || got[i].Open != want[i].Open || got[i].High != want[i].High ||
			got[i].Low != want[i].Low || got[i].Close != want[i].Close || got[i].Volume != want[i].Volume ||
			got[i].AdjustedClose != want[i].AdjustedClose || got[i].Dividend != want[i].Dividend ||
			got[i].SplitCoefficient != want[i].SplitCoefficient {
			t.Fatalf("bar %d = %+v, want %+v", i, got[i], want[i])
		}
	}
}

// checkSeries checks the contract of every decoded record: its schema, its
// symbol, ascending unique times in range, finite non-negative values.
func checkSeries(t testing.TB, rec arrow.RecordBatch, symbol string, kind sources.Kind) {
	t.Helper()
	if err := seriesInvariants(rec, symbol, kind); err != nil {
		t.Fatal(err)
	}
}

func seriesInvariants(rec arrow.RecordBatch, symbol string, kind sources.Kind) error {
	if !rec.Schema().Equal(kind.Schema()) {
		return fmt.Errorf("schema %v, want %s's", rec.Schema(), kind)
	}
	n := int(rec.NumRows())
	syms := rec.Column(0).(*array.String)
	times := make([]time.Time, n)
	for i := range n {
		switch col := rec.Column(1).(type) {
		case *array.Date32:
			times[i] = col.Value(i).ToTime()
		case *array.Timestamp:
			times[i] = time.UnixMicro(int64(col.Value(i)))
		}
	}
	for i := range n {
		if syms.Value(i) != symbol {
			return fmt.Errorf("row %d: symbol %q, want %q", i, syms.Value(i), symbol)
		}
		if i > 0 && !times[i].After(times[i-1]) {
			return fmt.Errorf("row %d: time %s after %s", i, times[i], times[i-1])
		}
		if y := times[i].Year(); y < 1900 || y > 2100 {
			return fmt.Errorf("row %d: time %s out of range", i, times[i])
		}
		if v := rec.Column(6).(*array.Int64).Value(i); v < 0 {
			return fmt.Errorf("row %d: volume %d", i, v)
		}
		for c := 2; c < int(rec.NumCols()); c++ {
			if col, ok := rec.Column(c).(*array.Float64); ok {
				if v := col.Value(i); v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
					return fmt.Errorf("row %d: %s = %v", i, rec.ColumnName(c), v)
				}
			}
		}
		for c := range int(rec.NumCols()) {
			if rec.Column(c).NullN() != 0 {
				return fmt.Errorf("column %s has nulls", rec.ColumnName(c))
			}
		}
	}
	return nil
}

// TestDecodeRoundTrip encodes the whole sample series and decodes it back:
// every value and date must survive exactly.
func TestDecodeRoundTrip(t *testing.T) {
	t.Parallel()
	for _, symbol := range []string{"AAPL", "MSFT", "GOOGL"} {
		for _, adjusted := range []bool{false, true} {
			for _, format := range []string{"json", "csv"} {
				t.Run(fmt.Sprintf("%s/%s/adjusted=%v", symbol, format, adjusted), func(t *testing.T) {
					t.Parallel()
					bars := sample.Series(symbol)
					var body bytes.Buffer
					decode := alphavantage.DecodeJSON
					if format == "csv" {
						decode = alphavantage.DecodeCSV
						if err := alphavantage.EncodeCSV(&body, bars, sources.Kind{Adjusted: adjusted}); err != nil {
							t.Fatal(err)
						}
					} else if err := alphavantage.EncodeJSON(&body, symbol, bars, sources.Kind{Adjusted: adjusted}, "full"); err != nil {
						t.Fatal(err)
					}
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					defer mem.AssertSize(t, 0)
					rec, err := decode(&body, symbol, sources.Kind{Adjusted: adjusted}, mem)
					if err != nil {
						t.Fatal(err)
					}
					defer rec.Release()
					checkSeries(t, rec, symbol, sources.Kind{Adjusted: adjusted})
					want := bars
					if !adjusted {
						want = unadjusted(bars)
					}
					compareBars(t, sources.RecordBars(rec), want)
				})
			}
		}
	}
}

// TestDecodeOrderAndDuplicates feeds bars in several orders, with repeated
// dates: the record is ascending, a date repeated with the same bar is kept
// once, and one repeated with other values is an error naming the date.
func TestDecodeOrderAndDuplicates(t *testing.T) {
	t.Parallel()
	bars := sample.Series("IBM")[:6]
	dup := func(b sources.Bar, open float64) sources.Bar { b.Open = open; return b }
	// wire lists bars in the order given here; EncodeCSV writes its input
	// reversed, so each case is given reversed to the encoder.
	cases := []struct {
		name    string
		wire    []sources.Bar
		want    []sources.Bar
		wantErr string
	}{
		{name: "ascending", wire: bars, want: bars},
		{name: "descending", wire: reverse(bars), want: bars},
		{name: "shuffled", wire: []sources.Bar{bars[3], bars[0], bars[5], bars[1], bars[4], bars[2]}, want: bars},
		{name: "identical duplicates kept once",
			wire: []sources.Bar{bars[2], bars[1], bars[1], bars[0], bars[2]},
			want: []sources.Bar{bars[0], bars[1], bars[2]}},
		{name: "conflicting duplicates",
			wire:    []sources.Bar{bars[2], dup(bars[1], 1), bars[1], bars[0]},
			wantErr: "date " + bars[1].Date.Format(time.DateOnly) + " appears twice with different values"},
		{name: "one bar", wire: bars[:1], want: bars[:1]},
		{name: "no bars"},
	}
	for _, tc := range cases {
		for _, format := range []string{"json", "csv"} {
			t.Run(tc.name+"/"+format, func(t *testing.T) {
				var body bytes.Buffer
				decode := alphavantage.DecodeJSON
				if format == "csv" {
					decode = alphavantage.DecodeCSV
					if err := alphavantage.EncodeCSV(&body, reverse(tc.wire), sources.Kind{Adjusted: true}); err != nil {
						t.Fatal(err)
					}
				} else if err := alphavantage.EncodeJSON(&body, "IBM", reverse(tc.wire), sources.Kind{Adjusted: true}, "compact"); err != nil {
					t.Fatal(err)
				}
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				rec, err := decode(&body, "IBM", sources.Kind{Adjusted: true}, mem)
				if tc.wantErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "IBM") {
						t.Fatalf("error %v, want one naming IBM and %q", err, tc.wantErr)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				checkSeries(t, rec, "IBM", sources.Kind{Adjusted: true})
				compareBars(t, sources.RecordBars(rec), tc.want)
			})
		}
	}
}

func reverse(bars []sources.Bar) []sources.Bar {
	out := make([]sources.Bar, len(bars))
	for i, b := range bars {
		out[len(bars)-1-i] = b
	}
	return out
}

// fuzzDecode decodes body twice, from one buffer and one byte at a time,
// and fails unless both agree, leak nothing, and a success holds the
// Series contract.
func fuzzDecode(t *testing.T, decode decodeFunc, body []byte, kind sources.Kind) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec, err := decode(bytes.NewReader(body), "FUZZ", kind, mem)
	rec1, err1 := decode(iotest.OneByteReader(bytes.NewReader(body)), "FUZZ", kind, mem)
	if (err == nil) != (err1 == nil) {
		t.Fatalf("whole body: %v; one byte at a time: %v", err, err1)
	}
	if err != nil {
		return
	}
	defer rec.Release()
	defer rec1.Release()
	if err := seriesInvariants(rec, "FUZZ", kind); err != nil {
		t.Fatal(err)
	}
	if !array.RecordEqual(rec, rec1) {
		t.Fatal("whole body and one byte at a time decode differently")
	}
}
