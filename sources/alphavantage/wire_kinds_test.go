package alphavantage_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The kinds of series the tests decode.
var (
	kindDaily           = sources.Kind{}
	kindDailyAdjusted   = sources.Kind{Adjusted: true}
	kindWeekly          = sources.Kind{Function: sources.Weekly}
	kindWeeklyAdjusted  = sources.Kind{Function: sources.Weekly, Adjusted: true}
	kindMonthly         = sources.Kind{Function: sources.Monthly}
	kindMonthlyAdjusted = sources.Kind{Function: sources.Monthly, Adjusted: true}
	kind5min            = sources.Kind{Function: sources.Intraday, Interval: "5min", ExtendedHours: true}
	kind60min           = sources.Kind{Function: sources.Intraday, Interval: "60min", ExtendedHours: true}
)

// fuzzKinds are the kinds every fuzzed body is decoded as.
var fuzzKinds = []sources.Kind{kindDaily, kindDailyAdjusted, kindWeekly, kindWeeklyAdjusted,
	kindMonthly, kindMonthlyAdjusted, kind5min, kind60min}

// The offsets of US Eastern time, so that the expected instants do not
// depend on the zone database the decoder uses.
var (
	est = time.FixedZone("EST", -5*3600)
	edt = time.FixedZone("EDT", -4*3600)
)

func at(zone *time.Location, y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, zone)
}

// recordedKinds are the recorded bodies of each function, oldest bar
// first, and the output size their "Meta Data" labels.
var recordedKinds = []struct {
	file       string // without the extension: both .json and .csv exist
	kind       sources.Kind
	outputSize string
	want       []sources.Bar
}{
	{"ibm_weekly", kindWeekly, "compact", []sources.Bar{
		{Date: day("2024-06-07"), Open: 166.54, High: 170.72, Low: 163.53, Close: 170.01, Volume: 17850234},
		{Date: day("2024-06-14"), Open: 169.55, High: 170.85, Low: 166.12, Close: 169.21, Volume: 16011456},
		{Date: day("2024-06-21"), Open: 169.08, High: 173.73, Low: 168.53, Close: 172.46, Volume: 24115793},
		{Date: day("2024-06-28"), Open: 173.18, High: 174.38, Low: 170.08, Close: 172.95, Volume: 19203578},
	}},
	{"ibm_weekly_adjusted", kindWeeklyAdjusted, "compact", []sources.Bar{
		{Date: day("2024-05-03"), Open: 167.4, High: 168.22, Low: 162.62, Close: 165.71, AdjustedClose: 164.0837, Volume: 22119560},
		{Date: day("2024-05-10"), Open: 166.38, High: 167.71, Low: 163.43, Close: 167.15, AdjustedClose: 167.15, Volume: 19341280, Dividend: 1.67},
		{Date: day("2024-05-17"), Open: 167.47, High: 169.63, Low: 166.37, Close: 169.03, AdjustedClose: 169.03, Volume: 15933522},
		{Date: day("2024-05-24"), Open: 169, High: 173.82, Low: 168.53, Close: 170.89, AdjustedClose: 170.89, Volume: 17051123},
	}},
	{"ibm_monthly", kindMonthly, "compact", []sources.Bar{
		{Date: day("2024-01-31"), Open: 162.83, High: 196.9, Low: 157.885, Close: 183.66, Volume: 128121557},
		{Date: day("2024-02-29"), Open: 183.63, High: 188.95, Low: 178.75, Close: 185.03, Volume: 88678155},
		{Date: day("2024-03-28"), Open: 185.49, High: 199.18, Low: 185.18, Close: 190.96, Volume: 99921776},
		{Date: day("2024-04-30"), Open: 190, High: 193.28, Low: 165.26, Close: 166.2, Volume: 98297181},
	}},
	{"ibm_monthly_adjusted", kindMonthlyAdjusted, "compact", []sources.Bar{
		{Date: day("2024-01-31"), Open: 162.83, High: 196.9, Low: 157.885, Close: 183.66, AdjustedClose: 180.2246, Volume: 128121557},
		{Date: day("2024-02-29"), Open: 183.63, High: 188.95, Low: 178.75, Close: 185.03, AdjustedClose: 183.2104, Volume: 88678155, Dividend: 1.66},
		{Date: day("2024-03-28"), Open: 185.49, High: 199.18, Low: 185.18, Close: 190.96, AdjustedClose: 189.0818, Volume: 99921776},
		{Date: day("2024-04-30"), Open: 190, High: 193.28, Low: 165.26, Close: 166.2, AdjustedClose: 164.5663, Volume: 98297181},
	}},
	// Across the start of daylight saving time, 2024-03-10.
	{"ibm_intraday_5min", kind5min, "full", []sources.Bar{
		{Date: at(est, 2024, 3, 8, 19, 50), Open: 195.9, High: 195.95, Low: 195.9, Close: 195.95, Volume: 135},
		{Date: at(est, 2024, 3, 8, 19, 55), Open: 195.95, High: 196, Low: 195.9, Close: 195.95, Volume: 887},
		{Date: at(edt, 2024, 3, 11, 4, 0), Open: 195.1, High: 195.5, Low: 195.1, Close: 195.4, Volume: 301},
		{Date: at(edt, 2024, 3, 11, 4, 5), Open: 195.4, High: 195.4, Low: 195.4, Close: 195.4, Volume: 12},
		{Date: at(edt, 2024, 3, 11, 9, 30), Open: 194.09, High: 194.38, Low: 193.55, Close: 193.82, Volume: 132481},
	}},
	// Across the end of daylight saving time, 2024-11-03.
	{"ibm_intraday_60min", kind60min, "compact", []sources.Bar{
		{Date: at(edt, 2024, 11, 1, 15, 0), Open: 207.13, High: 208.15, Low: 206.88, Close: 207.97, Volume: 512348},
		{Date: at(edt, 2024, 11, 1, 19, 0), Open: 207.97, High: 208, Low: 207.6, Close: 207.75, Volume: 4310},
		{Date: at(est, 2024, 11, 4, 4, 0), Open: 207.52, High: 208, Low: 207.5, Close: 208, Volume: 978},
		{Date: at(est, 2024, 11, 4, 5, 0), Open: 208, High: 208.25, Low: 207.9, Close: 208.1, Volume: 1532},
	}},
}

// TestDecodeKinds decodes the recorded body of every function in both
// wire formats and compares every value, intraday timestamps as instants.
func TestDecodeKinds(t *testing.T) {
	t.Parallel()
	for _, tc := range recordedKinds {
		for _, ext := range []string{".json", ".csv"} {
			t.Run(tc.file+ext, func(t *testing.T) {
				compareBars(t, decodeFile(t, tc.file+ext, tc.kind), tc.want)
			})
		}
	}
}

// TestEncodeKindsMatchRecorded re-encodes the recorded bodies of every
// function from their bars: the encoders write the service's layout byte
// for byte.
func TestEncodeKindsMatchRecorded(t *testing.T) {
	t.Parallel()
	for _, tc := range recordedKinds {
		for _, ext := range []string{".json", ".csv"} {
			t.Run(tc.file+ext, func(t *testing.T) {
				var got bytes.Buffer
				var err error
				if ext == ".csv" {
					err = alphavantage.EncodeCSV(&got, tc.want, tc.kind)
				} else {
					err = alphavantage.EncodeJSON(&got, "IBM", tc.want, tc.kind, tc.outputSize)
				}
				if err != nil {
					t.Fatal(err)
				}
				want, err := os.ReadFile(filepath.Join("testdata", tc.file+ext))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got.Bytes(), want) {
					t.Errorf("encoded\n%s\nwant\n%s", got.Bytes(), want)
				}
			})
		}
	}
}

// TestDecodeKindMismatches decodes bodies as another kind than theirs, and
// broken intraday bodies: each error names the symbol and what is wrong.
func TestDecodeKindMismatches(t *testing.T) {
	t.Parallel()
	intraday := func(meta, series string) string {
		return `{"Meta Data": {` + meta + `}, "Time Series (5min)": {` + series + `}}`
	}
	bar := func(ts string) string {
		return `"` + ts + `": {"1. open": "1.5", "2. high": "2.0", "3. low": "1.0", "4. close": "1.75", "5. volume": "100"}`
	}
	cases := []struct {
		name string
		body string // a testdata file name, or a body
		kind sources.Kind
		err  string
	}{
		{"weekly as daily", "ibm_weekly.json", kindDaily, `the body holds "Weekly Time Series", not the "Time Series (Daily)" of the TIME_SERIES_DAILY series asked for`},
		{"monthly as weekly", "ibm_monthly.json", kindWeekly, `holds "Monthly Time Series"`},
		{"weekly as weekly adjusted", "ibm_weekly.json", kindWeeklyAdjusted, `holds "Weekly Time Series", not the "Weekly Adjusted Time Series"`},
		{"daily as intraday", "ibm_daily.json", kind5min, `holds "Time Series (Daily)", not the "Time Series (5min)" of the TIME_SERIES_INTRADAY 5min series`},
		{"1min as 5min", "broken_intraday_other_interval.json", kind5min, `the "Interval" of its "Meta Data" is "1min", not the 5min asked for`},
		{"5min as 60min", "ibm_intraday_5min.json", kind60min, `"Interval" of its "Meta Data" is "5min"`},
		{"weekly adjusted csv as daily adjusted", "ibm_weekly_adjusted.csv", kindDailyAdjusted, "is of an adjusted weekly or monthly series"},
		{"daily adjusted csv as monthly adjusted", "ibm_daily_adjusted.csv", kindMonthlyAdjusted, "is of the adjusted daily series"},
		{"intraday csv as weekly", "ibm_intraday_5min.csv", kindWeekly, `line 2: bad date "2024-03-11 09:30:00"`},
		{"daily csv as intraday", "ibm_daily.csv", kind5min, `line 2: bad timestamp "2024-01-05" (want YYYY-MM-DD HH:MM:SS)`},
		{"bad hour", "broken_bad_timestamp.json", kind5min, `bad timestamp "2024-03-08 24:50:00" (no such time)`},
		{"T separator", "broken_bad_timestamp.csv", kind5min, `line 3: bad timestamp "2024-03-08T19:50:00"`},
		{"skipped hour", intraday(`"6. Time Zone": "US/Eastern"`, bar("2024-03-10 02:30:00")), kind5min, `bad timestamp "2024-03-10 02:30:00" (no such time in America/New_York)`},
		{"unknown zone", intraday(`"6. Time Zone": "Asia/Tokyo"`, bar("2024-03-08 19:55:00")), kind5min, `time zone "Asia/Tokyo": want US/Eastern`},
		{"zone after the series", `{"Time Series (5min)": {` + bar("2024-03-08 19:55:00") + `}, "Meta Data": {"6. Time Zone": "UTC"}}`, kind5min,
			`"Meta Data" after the series names time zone "UTC"; its timestamps were read as US/Eastern`},
		{"duplicate timestamp", intraday("", bar("2024-03-08 19:55:00")+`, "2024-03-08 19:55:00": {"1. open": "1.5", "2. high": "2.0", "3. low": "1.0", "4. close": "1.75", "5. volume": "99"}`), kind5min,
			"timestamp 2024-03-08 19:55:00 appears twice with different values"},
		{"bad interval", "ibm_daily.json", sources.Kind{Function: sources.Intraday, Interval: "2min"}, `interval "2min": want 1min, 5min, 15min, 30min, 60min`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := []byte(tc.body)
			decode := alphavantage.DecodeJSON
			if !strings.HasPrefix(tc.body, "{") {
				var err error
				if body, err = os.ReadFile(filepath.Join("testdata", tc.body)); err != nil {
					t.Fatal(err)
				}
				decode = decoderFor(tc.body)
			}
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, err := decode(bytes.NewReader(body), "IBM", tc.kind, mem)
			if err == nil {
				rec.Release()
				t.Fatalf("err = nil, want %q", tc.err)
			}
			if !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "decode IBM ") {
				t.Errorf("err = %q, want it to name IBM and contain %q", err, tc.err)
			}
		})
	}
}

// TestDecodeIntradayZones reads the same bar in the zones "Meta Data" may
// name, before or after the series: the instants follow the zone.
func TestDecodeIntradayZones(t *testing.T) {
	t.Parallel()
	bar := `"Time Series (5min)": {"2024-07-01 09:30:00": {"1. open": "1.5", "2. high": "2.0", "3. low": "1.0", "4. close": "1.75", "5. volume": "100"}}`
	cases := []struct {
		name, body string
		want       time.Time
	}{
		{"US/Eastern", `{"Meta Data": {"6. Time Zone": "US/Eastern"}, ` + bar + `}`, at(edt, 2024, 7, 1, 9, 30)},
		{"America/New_York", `{"Meta Data": {"6. Time Zone": "America/New_York"}, ` + bar + `}`, at(edt, 2024, 7, 1, 9, 30)},
		{"UTC", `{"Meta Data": {"6. Time Zone": "UTC"}, ` + bar + `}`, at(time.UTC, 2024, 7, 1, 9, 30)},
		{"no Meta Data", `{` + bar + `}`, at(edt, 2024, 7, 1, 9, 30)},
		{"Meta Data after the series", `{` + bar + `, "Meta Data": {"2. Symbol": "IBM", "6. Time Zone": "US/Eastern"}}`, at(edt, 2024, 7, 1, 9, 30)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			rec, err := alphavantage.DecodeJSON(strings.NewReader(tc.body), "IBM", kind5min, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer rec.Release()
			bars := sources.RecordBars(rec)
			if len(bars) != 1 || !bars[0].Date.Equal(tc.want) {
				t.Fatalf("bars %+v, want one at %v", bars, tc.want)
			}
		})
	}
}

// TestDecodeKindsRoundTrip encodes what the sample generator makes of
// every kind and decodes it back: every value and instant survives, in
// both wire formats.
func TestDecodeKindsRoundTrip(t *testing.T) {
	t.Parallel()
	march := sources.Month{Year: 2024, Month: time.March} // holds the start of daylight saving time
	intradayKind := func(interval string, adjusted, extended bool) sources.Kind {
		return sources.Kind{Function: sources.Intraday, Interval: interval, Adjusted: adjusted, ExtendedHours: extended}
	}
	cases := []struct {
		kind sources.Kind
		bars []sources.Bar
	}{
		{kindDaily, sample.Series("MSFT")},
		{kindDailyAdjusted, sample.Series("MSFT")},
		{kindWeekly, sample.Periods(sample.Series("MSFT"), sources.Weekly)},
		{kindWeeklyAdjusted, sample.Periods(sample.Series("MSFT"), sources.Weekly)},
		{kindMonthly, sample.Periods(sample.Series("MSFT"), sources.Monthly)},
		{kindMonthlyAdjusted, sample.Periods(sample.Series("MSFT"), sources.Monthly)},
		{intradayKind("1min", false, true), sample.Intraday("MSFT", march, intradayKind("1min", false, true), sample.End)},
		{intradayKind("5min", true, false), sample.Intraday("MSFT", march, intradayKind("5min", true, false), sample.End)},
		{intradayKind("60min", false, false), sample.Intraday("MSFT", march, intradayKind("60min", false, false), sample.End)},
	}
	for _, tc := range cases {
		for _, format := range []string{"json", "csv"} {
			t.Run(fmt.Sprintf("%s/%s", tc.kind, format), func(t *testing.T) {
				t.Parallel()
				var body bytes.Buffer
				decode := alphavantage.DecodeJSON
				if format == "csv" {
					decode = alphavantage.DecodeCSV
					if err := alphavantage.EncodeCSV(&body, tc.bars, tc.kind); err != nil {
						t.Fatal(err)
					}
				} else if err := alphavantage.EncodeJSON(&body, "MSFT", tc.bars, tc.kind, "full"); err != nil {
					t.Fatal(err)
				}
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				rec, err := decode(&body, "MSFT", tc.kind, mem)
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				checkSeries(t, rec, "MSFT", tc.kind)
				compareBars(t, sources.RecordBars(rec), onlyColumns(tc.bars, tc.kind))
			})
		}
	}
}

// onlyColumns returns bars with only the fields kind's schema has.
func onlyColumns(bars []sources.Bar, kind sources.Kind) []sources.Bar {
	has := map[string]bool{}
	for _, f := range kind.Schema().Fields() {
		has[f.Name] = true
	}
	out := make([]sources.Bar, len(bars))
	for i, b := range bars {
		if !has[sources.ColAdjustedClose] {
			b.AdjustedClose = 0
		}
		if !has[sources.ColDividend] {
			b.Dividend = 0
		}
		if !has[sources.ColSplitCoefficient] {
			b.SplitCoefficient = 0
		}
		out[i] = b
	}
	return out
}

// TestMonthOfOneMinuteBarsFits decodes the largest answer the service
// gives, a month of 1min bars with extended hours, in both formats: it is
// within MaxWireRows.
func TestMonthOfOneMinuteBarsFits(t *testing.T) {
	t.Parallel()
	kind := sources.Kind{Function: sources.Intraday, Interval: "1min", ExtendedHours: true}
	bars := sample.Intraday("IBM", sources.Month{Year: 2024, Month: time.July}, kind, sample.End)
	if len(bars) < 20*960 {
		t.Fatalf("%d bars, want a month of 1min bars with extended hours", len(bars))
	}
	for _, format := range []string{"json", "csv"} {
		var body bytes.Buffer
		decode := alphavantage.DecodeJSON
		if format == "csv" {
			decode = alphavantage.DecodeCSV
			if err := alphavantage.EncodeCSV(&body, bars, kind); err != nil {
				t.Fatal(err)
			}
		} else if err := alphavantage.EncodeJSON(&body, "IBM", bars, kind, "full"); err != nil {
			t.Fatal(err)
		}
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		rec, err := decode(&body, "IBM", kind, mem)
		if err != nil {
			t.Fatalf("%s: %v", format, err)
		}
		if int(rec.NumRows()) != len(bars) {
			t.Errorf("%s: %d rows, want %d", format, rec.NumRows(), len(bars))
		}
		rec.Release()
		mem.AssertSize(t, 0)
	}
}

func TestFunctionName(t *testing.T) {
	t.Parallel()
	cases := []struct {
		kind sources.Kind
		want string
	}{
		{kindDaily, alphavantage.FunctionDaily},
		{sources.Kind{Function: sources.Daily}, alphavantage.FunctionDaily},
		{kindDailyAdjusted, alphavantage.FunctionAdjusted},
		{kindWeekly, alphavantage.FunctionWeekly},
		{kindWeeklyAdjusted, alphavantage.FunctionWeeklyAdjusted},
		{kindMonthly, alphavantage.FunctionMonthly},
		{kindMonthlyAdjusted, alphavantage.FunctionMonthlyAdjusted},
		{kind5min, alphavantage.FunctionIntraday},
		{sources.Kind{Function: sources.Intraday, Interval: "1min", Adjusted: true}, alphavantage.FunctionIntraday},
	}
	for _, tc := range cases {
		if got := alphavantage.FunctionName(tc.kind); got != tc.want {
			t.Errorf("FunctionName(%s) = %s, want %s", tc.kind, got, tc.want)
		}
	}
}

func TestEncodeRejectsInvalidKind(t *testing.T) {
	t.Parallel()
	bad := sources.Kind{Function: sources.Weekly, Interval: "5min"}
	if err := alphavantage.EncodeJSON(&bytes.Buffer{}, "IBM", nil, bad, "compact"); err == nil || !strings.Contains(err.Error(), `interval "5min"`) {
		t.Errorf("EncodeJSON(%s) = %v, want an error naming the interval", bad, err)
	}
	if err := alphavantage.EncodeCSV(&bytes.Buffer{}, nil, bad); err == nil || !strings.Contains(err.Error(), `interval "5min"`) {
		t.Errorf("EncodeCSV(%s) = %v, want an error naming the interval", bad, err)
	}
}
