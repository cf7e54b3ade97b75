package avserver_test

import (
	"bytes"
	"context"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

var (
	weekly          = sources.Kind{Function: sources.Weekly}
	monthlyAdj      = sources.Kind{Function: sources.Monthly, Adjusted: true}
	intraday5       = sources.Kind{Function: sources.Intraday, Interval: "5min", Adjusted: true, ExtendedHours: true}
	intraday60Plain = sources.Kind{Function: sources.Intraday, Interval: "60min"}
	march2024       = sources.Month{Year: 2024, Month: time.March}
)

// encoded returns bars as the service's answer of kind.
func encoded(t testing.TB, symbol, dataType string, bars []sources.Bar, kind sources.Kind, outputSize string) []byte {
	t.Helper()
	var b bytes.Buffer
	var err error
	if dataType == "csv" {
		err = alphavantage.EncodeCSV(&b, bars, kind)
	} else {
		err = alphavantage.EncodeJSON(&b, symbol, bars, kind, outputSize)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func invalidCall(t testing.TB, function string) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := alphavantage.EncodeInvalidCall(&b, function); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestServerAnswersKinds checks the raw answers for every function: the
// weekly and monthly series aggregated from the daily one, intraday months
// and recent days, and the refusals of the calls the service refuses.
func TestServerAnswersKinds(t *testing.T) {
	t.Parallel()
	_, base := avtest.Start(t, avserver.Config{})
	_, free := avtest.Start(t, avserver.Config{FreeTier: true})
	q := func(url, params string) string { return url + "?apikey=k&" + params }
	intra := "function=TIME_SERIES_INTRADAY&symbol=IBM&"
	tests := []struct {
		name, url, filename string
		body                []byte
	}{
		{"weekly json", q(base, "function=TIME_SERIES_WEEKLY&symbol=IBM"), "",
			encoded(t, "IBM", "json", sample.Periods(sample.Series("IBM"), sources.Weekly), weekly, "compact")},
		{"weekly csv ignores outputsize", q(base, "function=TIME_SERIES_WEEKLY&symbol=IBM&datatype=csv&outputsize=full"), "weekly_IBM.csv",
			encoded(t, "IBM", "csv", sample.Periods(sample.Series("IBM"), sources.Weekly), weekly, "")},
		{"monthly adjusted csv", q(base, "function=TIME_SERIES_MONTHLY_ADJUSTED&symbol=MSFT&datatype=csv"), "monthly_adjusted_MSFT.csv",
			encoded(t, "MSFT", "csv", sample.Periods(sample.Series("MSFT"), sources.Monthly), monthlyAdj, "")},
		{"free tier weekly full", q(free, "function=TIME_SERIES_WEEKLY&symbol=IBM&outputsize=full"), "",
			encoded(t, "IBM", "json", sample.Periods(sample.Series("IBM"), sources.Weekly), weekly, "full")},
		{"intraday month, defaults extended and adjusted", q(base, intra+"interval=5min&month=2024-03&outputsize=full"), "",
			encoded(t, "IBM", "json", sample.Intraday("IBM", march2024, intraday5, sample.End), intraday5, "full")},
		{"intraday month csv, regular hours unadjusted", q(base, intra+"interval=60min&month=2024-03&extended_hours=false&adjusted=false&datatype=csv"),
			"intraday_60min_IBM.csv", encoded(t, "IBM", "csv", sample.Intraday("IBM", march2024, intraday60Plain, sample.End), intraday60Plain, "")},
		{"intraday compact", q(base, intra+"interval=5min"), "",
			encoded(t, "IBM", "json", sample.RecentIntraday("IBM", intraday5, sources.Compact, sample.End), intraday5, "compact")},
		{"intraday full", q(free, intra+"interval=60min&outputsize=full&extended_hours=false&adjusted=false"), "",
			encoded(t, "IBM", "json", sample.RecentIntraday("IBM", intraday60Plain, sources.Full, sample.End), intraday60Plain, "full")},
		{"a month not traded yet", q(base, intra+"interval=5min&month=2026-02"), "",
			encoded(t, "IBM", "json", nil, intraday5, "compact")},

		{"unknown interval", q(base, intra+"interval=2min"), "", invalidCall(t, alphavantage.FunctionIntraday)},
		{"no interval", q(base, intra), "", invalidCall(t, alphavantage.FunctionIntraday)},
		{"month before the history", q(base, intra+"interval=5min&month=2005-12"), "", invalidCall(t, alphavantage.FunctionIntraday)},
		{"malformed month", q(base, intra+"interval=5min&month=2024-3"), "", invalidCall(t, alphavantage.FunctionIntraday)},
		{"malformed extended_hours", q(base, intra+"interval=5min&extended_hours=yes"), "", invalidCall(t, alphavantage.FunctionIntraday)},
		{"interval of a weekly series", q(base, "function=TIME_SERIES_WEEKLY&symbol=IBM&interval=5min"), "",
			encoded(t, "IBM", "json", sample.Periods(sample.Series("IBM"), sources.Weekly), weekly, "compact")},
		{"weekly unknown symbol", q(base, "function=TIME_SERIES_WEEKLY&symbol=TOOLONGTICKER"), "", invalidCall(t, alphavantage.FunctionWeekly)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 2 { // the second answer comes from the cache
				got := getRaw(t, tt.url)
				if got.err != nil {
					t.Fatal(got.err)
				}
				if got.status != 200 {
					t.Errorf("HTTP %d, want 200", got.status)
				}
				if !bytes.Equal(got.body, tt.body) {
					t.Errorf("body (%d bytes) differs from want (%d bytes):\n%.400s", len(got.body), len(tt.body), got.body)
				}
				if tt.filename != "" && !strings.HasSuffix(got.disposition, "filename="+tt.filename) {
					t.Errorf("Content-Disposition %q, want filename %s", got.disposition, tt.filename)
				}
			}
		})
	}
}

// TestServerMovesEveryKind changes the server's history: the weekly and
// monthly series follow the daily one (its last day, its dividends), and
// intraday bars stop at the last day.
func TestServerMovesEveryKind(t *testing.T) {
	last := time.Date(2025, time.November, 5, 0, 0, 0, 0, time.UTC) // a Wednesday
	srv, url := avtest.Start(t, avserver.Config{LastDay: last})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	fetch := func(kind sources.Kind, month *sources.Month) []sources.Bar {
		t.Helper()
		av, err := alphavantage.New(alphavantage.Config{BaseURL: url, APIKey: "k", Kind: kind, Rate: math.Inf(1), Retries: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer av.Close()
		var s sources.Series
		if month != nil {
			s, err = av.FetchMonth(context.Background(), "IBM", *month, mem)
		} else {
			s, err = av.Fetch(context.Background(), "IBM", mem)
		}
		if err != nil {
			t.Fatal(err)
		}
		defer s.Record.Release()
		return sources.RecordBars(s.Record)
	}
	weeklyAdj := sources.Kind{Function: sources.Weekly, Adjusted: true}
	november := sources.Month{Year: 2025, Month: time.November}

	w := fetch(weeklyAdj, nil)
	if got := w[len(w)-1].Date; !got.Equal(last) {
		t.Fatalf("the weekly series ends %s, want the last day %s", got, last)
	}
	bars := fetch(intraday5, &november)
	if got := bars[len(bars)-1].Date; sources.MonthOf(got) != november || got.Day() != last.Day() {
		t.Fatalf("intraday bars end %s, want on %s", got, last.Format(time.DateOnly))
	}

	srv.Advance(2) // Friday
	srv.AddDividend("IBM", time.Date(2025, time.November, 6, 0, 0, 0, 0, time.UTC), 1.25)
	w2 := fetch(weeklyAdj, nil)
	if len(w2) != len(w) {
		t.Fatalf("%d weeks after Advance(2), want the same %d", len(w2), len(w))
	}
	newest := w2[len(w2)-1]
	daily := sample.History("IBM", srv.LastDay())
	if !newest.Date.Equal(srv.LastDay()) || newest.Close != daily[len(daily)-1].Close {
		t.Errorf("the newest week is %+v, want it to end %s at the daily close %v", newest, srv.LastDay(), daily[len(daily)-1].Close)
	}
	if newest.Dividend < 1.25 {
		t.Errorf("the newest week's dividend is %v, want the added 1.25 in it", newest.Dividend)
	}
	if w2[0].AdjustedClose >= w[0].AdjustedClose {
		t.Errorf("the oldest week's adjusted close %v did not fall from %v after the dividend", w2[0].AdjustedClose, w[0].AdjustedClose)
	}
	if got := fetch(intraday5, &november); len(got) <= len(bars) {
		t.Errorf("%d intraday bars in November after Advance(2), want more than %d", len(got), len(bars))
	}
}

// TestServerCountsRequestsByMonth checks Requests: by symbol in any case
// and month, whatever the answer.
func TestServerCountsRequestsByMonth(t *testing.T) {
	t.Parallel()
	srv, base := avtest.Start(t, avserver.Config{})
	for _, params := range []string{
		"symbol=ibm&interval=5min&month=2024-03",
		"symbol=IBM&interval=5min&month=2024-03&datatype=csv",
		"symbol=IBM&interval=5min&month=2024-04",
		"symbol=IBM&interval=2min&month=2024-04", // refused, and counted
		"symbol=IBM&interval=5min",
	} {
		if got := getRaw(t, base+"?function=TIME_SERIES_INTRADAY&apikey=k&"+params); got.err != nil {
			t.Fatal(got.err)
		}
	}
	for _, tc := range []struct {
		symbol, month string
		want          int64
	}{{"IBM", "2024-03", 2}, {"ibm", "2024-04", 2}, {"IBM", "", 1}, {"IBM", "2024-05", 0}, {"MSFT", "2024-03", 0}} {
		if got := srv.Requests(tc.symbol, tc.month); got != tc.want {
			t.Errorf("Requests(%s, %q) = %d, want %d", tc.symbol, tc.month, got, tc.want)
		}
	}
}

// TestServerFaultsApplyToMonths injects 503s into every answer: intraday
// months get them too.
func TestServerFaultsApplyToMonths(t *testing.T) {
	t.Parallel()
	_, base := avtest.Start(t, avserver.Config{Faults: avserver.Faults{Fail503: 1}})
	got := getRaw(t, base+"?function=TIME_SERIES_INTRADAY&apikey=k&symbol=IBM&interval=5min&month=2024-03")
	if got.err != nil || got.status != 503 {
		t.Errorf("HTTP %d (%v), want 503", got.status, got.err)
	}
}
