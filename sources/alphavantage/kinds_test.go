package alphavantage_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// TestFetchWeeklyAndMonthly fetches every weekly and monthly series from
// the fake server in both wire formats: the bars are what it served,
// sample.Periods of its daily history, in one request.
func TestFetchWeeklyAndMonthly(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	for _, kind := range []sources.Kind{kindWeekly, kindWeeklyAdjusted, kindMonthly, kindMonthlyAdjusted} {
		for _, dataType := range []string{"json", "csv"} {
			t.Run(fmt.Sprintf("%s/%s", kind, dataType), func(t *testing.T) {
				av := newTestClient(t, url, alphavantage.Config{Kind: kind, DataType: dataType})
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				before := srv.Requests("AAPL", "")
				s, err := av.Fetch(context.Background(), "AAPL", mem)
				if err != nil {
					t.Fatal(err)
				}
				defer s.Record.Release()
				checkSeries(t, s.Record, "AAPL", kind)
				compareBars(t, sources.RecordBars(s.Record), onlyColumns(sample.Periods(sample.Series("AAPL"), kind.Function), kind))
				if s.Meta["function"] != alphavantage.FunctionName(kind) || s.Attempts != 1 {
					t.Errorf("meta %v, attempts %d; want function %s, 1 attempt", s.Meta, s.Attempts, alphavantage.FunctionName(kind))
				}
				if n := srv.Requests("AAPL", "") - before; n != 1 {
					t.Errorf("%d requests, want 1", n)
				}
			})
		}
	}
}

// TestFetchMonth fetches months of intraday bars of several kinds from
// the fake server: each costs exactly one request, and its bars are
// sample.Intraday's, across a change of daylight saving time.
func TestFetchMonth(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	var _ sources.MonthSource = (*alphavantage.Client)(nil)
	cases := []struct {
		kind     sources.Kind
		dataType string
		month    sources.Month
	}{
		{kind5min, "json", sources.Month{Year: 2024, Month: time.March}},
		{kind5min, "csv", sources.Month{Year: 2024, Month: time.November}},
		{sources.Kind{Function: sources.Intraday, Interval: "15min", Adjusted: true}, "json", sources.Month{Year: 2019, Month: time.March}},
		{sources.Kind{Function: sources.Intraday, Interval: "1min", ExtendedHours: true}, "csv", sources.Month{Year: 2006, Month: time.January}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%s/%s", tc.kind, tc.dataType, tc.month), func(t *testing.T) {
			av := newTestClient(t, url, alphavantage.Config{Kind: tc.kind, DataType: tc.dataType})
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			symbol := strings.ToUpper("M" + tc.dataType[:1] + tc.kind.Interval[:2]) // its own, whose requests it counts
			s, err := av.FetchMonth(context.Background(), symbol, tc.month, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Record.Release()
			checkSeries(t, s.Record, symbol, tc.kind)
			want := sample.Intraday(symbol, tc.month, tc.kind, sample.End)
			if len(want) == 0 {
				t.Fatal("the sample has no bars that month")
			}
			compareBars(t, sources.RecordBars(s.Record), want)
			if n := srv.Requests(symbol, tc.month.String()); n != 1 || s.Attempts != 1 {
				t.Errorf("%d requests, %d attempts; want 1", n, s.Attempts)
			}
			wantMeta := map[string]string{"function": alphavantage.FunctionIntraday, "interval": tc.kind.Interval,
				"month": tc.month.String(), "output_size": "full", "source": alphavantage.SourceSynthetic}
			for k, v := range wantMeta {
				if s.Meta[k] != v {
					t.Errorf("meta[%s] = %q, want %q (meta %v)", k, s.Meta[k], v, s.Meta)
				}
			}
		})
	}
}

// TestFetchIntradayRecent fetches intraday bars without a month: compact
// is the newest 100 bars, full the last 30 days up to the last day.
func TestFetchIntradayRecent(t *testing.T) {
	_, url := avtest.Start(t, avserver.Config{})
	for _, size := range []sources.OutputSize{sources.Compact, sources.Full} {
		t.Run(string(size), func(t *testing.T) {
			av := newTestClient(t, url, alphavantage.Config{Kind: kind5min})
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			s, err := av.FetchSize(context.Background(), "IBM", size, mem)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Record.Release()
			want := sample.RecentIntraday("IBM", kind5min, size, sample.End)
			if size == sources.Compact && len(want) != sources.CompactBars {
				t.Fatalf("compact: %d bars, want %d", len(want), sources.CompactBars)
			}
			compareBars(t, sources.RecordBars(s.Record), want)
			if _, ok := s.Meta["month"]; ok || s.Meta["interval"] != "5min" {
				t.Errorf("meta %v, want interval 5min and no month", s.Meta)
			}
		})
	}
}

// TestFetchMonthRefusals asks for months the service has no bars of, and
// a client of another kind for a month: each fails this symbol and month
// only, with an error naming both; a month not traded yet is empty.
func TestFetchMonthRefusals(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	av := newTestClient(t, url, alphavantage.Config{Kind: kind5min})
	ctx := context.Background()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)

	cases := []struct {
		name     string
		client   *alphavantage.Client
		symbol   string
		month    sources.Month
		requests int64 // the server gets
		want     string
		service  bool // a *ServiceError of ServiceInvalidCall
	}{
		{"before the server's history", av, "IBM", sources.Month{Year: 2005, Month: time.December}, 1,
			"fetch IBM 2005-12: alpha vantage: invalid call", true},
		{"before the service's history", av, "IBM", sources.Month{Year: 1999, Month: time.December}, 0,
			"fetch IBM 1999-12: alphavantage: the service's intraday history starts 2000-01", false},
		{"unknown symbol", av, "TOOLONGTICKER", sources.Month{Year: 2024, Month: time.March}, 1,
			"fetch TOOLONGTICKER 2024-03: alpha vantage: invalid call", true},
		{"a daily client", newTestClient(t, url, alphavantage.Config{}), "IBM", sources.Month{Year: 2024, Month: time.March}, 0,
			"fetch IBM 2024-03: alphavantage: months are for intraday series, not daily", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := srv.Requests(tc.symbol, tc.month.String())
			s, err := tc.client.FetchMonth(ctx, tc.symbol, tc.month, mem)
			if err == nil {
				s.Record.Release()
				t.Fatalf("FetchMonth(%s, %s) = nil error, want %q", tc.symbol, tc.month, tc.want)
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("err = %q, want it to start %q", err, tc.want)

			}
			if errors.Is(err, sources.ErrFatal) || errors.Is(err, sources.ErrQuota) {
				t.Errorf("err = %v matches a run-wide sentinel; it is this symbol's and month's only", err)
			}
			var se *alphavantage.ServiceError
			if tc.service && (!errors.As(err, &se) || se.Kind != alphavantage.ServiceInvalidCall) {
				t.Errorf("err = %v, want a *ServiceError of kind invalid call", err)
			}
			if n := srv.Requests(tc.symbol, tc.month.String()) - before; n != tc.requests || attemptsOf(err) != int(tc.requests) {
				t.Errorf("%d requests, %d attempts reported; want %d", n, attemptsOf(err), tc.requests)
			}
		})
	}

	// The refusals closed nothing: the next month is fetched, and one not
	// traded yet is empty.
	for _, month := range []sources.Month{{Year: 2025, Month: time.December}, {Year: 2026, Month: time.January}} {
		s, err := av.FetchMonth(ctx, "IBM", month, mem)
		if err != nil {
			t.Fatalf("after the refusals: %v", err)
		}
		if want := len(sample.Intraday("IBM", month, kind5min, sample.End)); int(s.Record.NumRows()) != want {
			t.Errorf("%s: %d rows, want %d", month, s.Record.NumRows(), want)
		}
		s.Record.Release()
	}
}

// TestFetchSendsKindParameters checks the query of every kind: the
// service's function and, for intraday, its interval, extended_hours,
// adjusted and month.
func TestFetchSendsKindParameters(t *testing.T) {
	var (
		mu   sync.Mutex
		last url.Values
	)
	base := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		last = r.URL.Query()
		mu.Unlock()
		alphavantage.EncodeInvalidCall(w, r.URL.Query().Get("function"))
	}))
	month := sources.Month{Year: 2024, Month: time.June}
	cases := []struct {
		kind  sources.Kind
		month *sources.Month
		want  map[string]string // "" wants the parameter absent
	}{
		{kindDaily, nil, map[string]string{"function": "TIME_SERIES_DAILY", "outputsize": "compact", "interval": "", "month": ""}},
		{kindWeeklyAdjusted, nil, map[string]string{"function": "TIME_SERIES_WEEKLY_ADJUSTED", "interval": "", "adjusted": ""}},
		{kindMonthly, nil, map[string]string{"function": "TIME_SERIES_MONTHLY"}},
		{kind5min, nil, map[string]string{"function": "TIME_SERIES_INTRADAY", "interval": "5min", "extended_hours": "true",
			"adjusted": "false", "outputsize": "compact", "month": ""}},
		{sources.Kind{Function: sources.Intraday, Interval: "30min", Adjusted: true}, &month, map[string]string{"function": "TIME_SERIES_INTRADAY",
			"interval": "30min", "extended_hours": "false", "adjusted": "true", "outputsize": "full", "month": "2024-06"}},
	}
	for _, tc := range cases {
		t.Run(tc.kind.String(), func(t *testing.T) {
			av := newTestClient(t, base, alphavantage.Config{Kind: tc.kind, Retries: -1})
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			var err error
			if tc.month != nil {
				_, err = av.FetchMonth(context.Background(), "IBM", *tc.month, mem)
			} else {
				_, err = av.Fetch(context.Background(), "IBM", mem)
			}
			if err == nil || !strings.Contains(err.Error(), "for "+alphavantage.FunctionName(tc.kind)+".") {
				t.Fatalf("err = %v, want the server's invalid call for %s", err, alphavantage.FunctionName(tc.kind))
			}
			mu.Lock()
			defer mu.Unlock()
			for k, v := range tc.want {
				if got := last.Get(k); got != v || (v == "" && last.Has(k)) {
					t.Errorf("%s=%q, want %q (query %v)", k, got, v, last)
				}
			}
		})
	}
}

// TestFetchMonthRejectsOtherMonths serves the bars of another month than
// the one asked for: FetchMonth fails at once, naming both.
func TestFetchMonthRejectsOtherMonths(t *testing.T) {
	april := sources.Month{Year: 2024, Month: time.April}
	base := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		bars := sample.Intraday("IBM", april, kind5min, sample.End)
		alphavantage.EncodeJSON(w, "IBM", bars[:3], kind5min, "full")
	}))
	av := newTestClient(t, base, alphavantage.Config{Kind: kind5min})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	_, err := av.FetchMonth(context.Background(), "IBM", sources.Month{Year: 2024, Month: time.March}, mem)
	if !errors.Is(err, alphavantage.ErrWrongMonth) || !strings.Contains(err.Error(), "fetch IBM 2024-03: ") ||
		!strings.Contains(err.Error(), "a bar of 2024-04-01 04:00:00") || attemptsOf(err) != 1 {
		t.Errorf("err = %v (%d attempts), want one attempt failing with ErrWrongMonth, naming both months", err, attemptsOf(err))
	}
}

func TestNewRejectsBadKind(t *testing.T) {
	for _, tc := range []struct {
		kind sources.Kind
		want string
	}{
		{sources.Kind{Function: sources.Intraday, Interval: "2min"}, `alphavantage: kind: interval "2min": want 1min, 5min`},
		{sources.Kind{Function: sources.Intraday}, `alphavantage: kind: interval "": want`},
		{sources.Kind{Function: sources.Weekly, Interval: "5min"}, `alphavantage: kind: interval "5min": only intraday series have one, not weekly`},
		{sources.Kind{ExtendedHours: true}, "alphavantage: kind: extended hours: only intraday series have them"},
		{sources.Kind{Function: "hourly"}, `alphavantage: kind: function "hourly"`},
	} {
		_, err := alphavantage.New(alphavantage.Config{APIKey: "k", Kind: tc.kind})
		if err == nil || !strings.HasPrefix(err.Error(), tc.want) {
			t.Errorf("New(Kind %+v) = %v, want an error starting %q", tc.kind, err, tc.want)
		}
	}
}

// TestIntradayInvalidCallIsNotFatal answers every request with the
// service's refusal of an interval it does not have: each month fails on
// its own, naming the symbol and the month, and the client keeps making
// requests.
func TestIntradayInvalidCallIsNotFatal(t *testing.T) {
	var (
		mu       sync.Mutex
		requests int
	)
	base := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		mu.Unlock()
		alphavantage.EncodeInvalidCall(w, alphavantage.FunctionIntraday)
	}))
	av := newTestClient(t, base, alphavantage.Config{Kind: kind5min})
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for i, month := range []sources.Month{{Year: 2024, Month: time.May}, {Year: 2024, Month: time.June}} {
		_, err := av.FetchMonth(context.Background(), "IBM", month, mem)
		var se *alphavantage.ServiceError
		if !errors.As(err, &se) || se.Kind != alphavantage.ServiceInvalidCall || errors.Is(err, sources.ErrFatal) ||
			!strings.HasPrefix(err.Error(), "fetch IBM "+month.String()+": ") || !strings.Contains(err.Error(), "TIME_SERIES_INTRADAY 5min") {
			t.Errorf("%s: err = %v, want a non-fatal invalid call naming IBM, the month and the series", month, err)
		}
		mu.Lock()
		if requests != i+1 || attemptsOf(err) != 1 {
			t.Errorf("%s: %d requests so far, %d attempts; want %d and 1: an invalid call is not retried, and closes nothing", month, requests, attemptsOf(err), i+1)
		}
		mu.Unlock()
	}
}
