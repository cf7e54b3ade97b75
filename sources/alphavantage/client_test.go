package alphavantage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/valyala/fasthttp"
)

// testKey is distinctive so that a leak is easy to find.
const testKey = "AVKEY-7f3a9c51e2d4"

// newTestClient returns a client of url with fast test defaults (no rate
// limit, 1 ms backoff, logs discarded) for the fields cfg leaves zero. It
// is closed at the test's end.
func newTestClient(t testing.TB, url string, cfg alphavantage.Config) *alphavantage.Client {
	t.Helper()
	cfg.BaseURL = url
	if cfg.APIKey == "" {
		cfg.APIKey = testKey
	}
	if cfg.Rate == 0 {
		cfg.Rate = math.Inf(1)
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Millisecond
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	av, err := alphavantage.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { av.Close() })
	return av
}

// inMemory starts the fake server for srvCfg in memory and returns it and
// a test client of it (see newTestClient). For tests inside a
// testing/synctest bubble, where the server's latencies and the client's
// waits take no real time.
func inMemory(t *testing.T, srvCfg avserver.Config, cfg alphavantage.Config) (*avserver.Server, *alphavantage.Client) {
	t.Helper()
	srv, dial := avtest.StartInMemory(t, srvCfg)
	av := newTestClient(t, avtest.InMemoryURL, cfg)
	alphavantage.SetDial(av, dial)
	return srv, av
}

// serveHTTP serves h on 127.0.0.1 until the test ends and returns its
// /query URL: for answers the fake server does not give.
func serveHTTP(t *testing.T, h http.Handler) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/query"
}

// attemptsOf returns the attempts a Fetch error reports, or -1.
func attemptsOf(err error) int {
	var counted interface{ Attempts() int }
	if !errors.As(err, &counted) {
		return -1
	}
	return counted.Attempts()
}

// result is one symbol's outcome of fetchAll.
type result struct {
	series sources.Series
	err    error
}

// fetchAll fetches every symbol at once, each in its own goroutine, and
// checks that failed fetches hold no record.
func fetchAll(ctx context.Context, av sources.Source, symbols []string, mem memory.Allocator) map[string]result {
	var mu sync.Mutex
	var wg sync.WaitGroup
	got := make(map[string]result, len(symbols))
	for _, sym := range symbols {
		wg.Go(func() {
			s, err := av.Fetch(ctx, sym, mem)
			mu.Lock()
			got[sym] = result{s, err}
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

// wantServed checks that rec holds exactly the bars the server serves for
// symbol: sample.Series, the newest 100 for compact, in ascending order.
func wantServed(t testing.TB, rec arrow.RecordBatch, symbol string, adjusted bool, outputSize string) {
	t.Helper()
	want := sample.Series(symbol)
	if outputSize == "compact" {
		want = want[len(want)-100:]
	}
	if !rec.Schema().Equal(sources.DailySchema(adjusted)) {
		t.Fatalf("%s: schema %v", symbol, rec.Schema())
	}
	if int(rec.NumRows()) != len(want) {
		t.Fatalf("%s: %d rows, want %d", symbol, rec.NumRows(), len(want))
	}
	syms := rec.Column(0).(*array.String)
	dates := rec.Column(1).(*array.Date32)
	f64 := func(i int) *array.Float64 { return rec.Column(i).(*array.Float64) }
	volume := rec.Column(6).(*array.Int64)
	for i, w := range want {
		got := []float64{f64(2).Value(i), f64(3).Value(i), f64(4).Value(i), f64(5).Value(i)}
		exp := []float64{w.Open, w.High, w.Low, w.Close}
		if adjusted {
			got = append(got, f64(7).Value(i), f64(8).Value(i), f64(9).Value(i))
			exp = append(exp, w.AdjustedClose, w.Dividend, w.SplitCoefficient)
		}
		if syms.Value(i) != symbol || dates.Value(i) != arrow.Date32FromTime(w.Date) ||
			volume.Value(i) != w.Volume || !equalFloats(got, exp) {
			t.Fatalf("%s row %d: %s %v %v vol %d, want %s %v vol %d", symbol, i, syms.Value(i),
				dates.Value(i).FormattedString(), got, volume.Value(i), w.Date.Format(time.DateOnly), exp, w.Volume)
		}
	}
}

func equalFloats(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return len(a) == len(b)
}

// TestAlphaVantageFetchUnderFaults fetches good and bad symbols from a
// server injecting every transport fault, in both wire formats: every
// good symbol gets exactly the served bars, every bad one its reason.
func TestAlphaVantageFetchUnderFaults(t *testing.T) {
	good := []string{"IBM", "MSFT", "AAPL", "GOOGL", "BRK.B", "TSCO.LON", "^GSPC", "7203"}
	bad := []string{"NO_SUCH", "TOOLONGTICKER"}
	faults := avserver.Faults{Fail503: 0.15, Fail429: 0.1, RateLimitNote: 0.1, Truncate: 0.1, Jitter: time.Millisecond, Seed: 42}
	for _, tt := range []struct {
		dataType, outputSize string
		adjusted             bool
	}{
		{"json", "compact", false},
		{"csv", "compact", false},
		{"json", "full", true},
		{"csv", "full", true},
	} {
		t.Run(tt.dataType+"/"+tt.outputSize, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				srv, av := inMemory(t, avserver.Config{Faults: faults}, alphavantage.Config{
					DataType: tt.dataType, OutputSize: tt.outputSize, Kind: sources.Kind{Adjusted: tt.adjusted},
					Concurrency: 4, Retries: 12,
				})

				got := fetchAll(context.Background(), av, append(good, bad...), mem)
				attempts := 0
				for _, sym := range good {
					r := got[sym]
					if r.err != nil {
						t.Errorf("%s: %v", sym, r.err)
						continue
					}
					wantServed(t, r.series.Record, sym, tt.adjusted, tt.outputSize)
					if r.series.Symbol != sym || r.series.Meta["output_size"] != tt.outputSize {
						t.Errorf("%s: series of %q, meta %v", sym, r.series.Symbol, r.series.Meta)
					}
					attempts += r.series.Attempts
					r.series.Record.Release()
				}
				for _, sym := range bad {
					var se *alphavantage.ServiceError
					err := got[sym].err
					if !errors.As(err, &se) || se.Kind != alphavantage.ServiceInvalidCall ||
						!strings.HasPrefix(err.Error(), "fetch "+sym+": ") {
						t.Errorf("%s: error %v, want the service's invalid call", sym, err)
					}
					attempts += attemptsOf(err)
				}
				stats := srv.Stats()
				if attempts <= len(good) || int64(attempts) != stats.Requests || stats.Faults == 0 {
					t.Errorf("%d attempts for %d good symbols, server saw %d requests and injected %d faults",
						attempts, len(good), stats.Requests, stats.Faults)
				}
			})
		})
	}
}

// TestAlphaVantageGivesUp checks the error after the last retry of each
// retryable failure: the retries' bound for a failure, the max wait for
// rate-limit answers, which use up no retry.
func TestAlphaVantageGivesUp(t *testing.T) {
	for _, tt := range []struct {
		name   string
		faults avserver.Faults
		want   string
		bound  error // nil: the retries
	}{
		{"503", avserver.Faults{Fail503: 1}, "fetch MSFT: HTTP 503 after 4 attempts", nil},
		{"truncated", avserver.Faults{Truncate: 1}, "fetch MSFT: decode MSFT json: ", nil},
		{"429", avserver.Faults{Fail429: 1}, "fetch MSFT: HTTP 429 after ", alphavantage.ErrMaxWait},
		{"rate-limit note", avserver.Faults{RateLimitNote: 1}, "fetch MSFT: alpha vantage: rate limited (calls per minute): ", alphavantage.ErrMaxWait},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var logs bytes.Buffer
				srv, av := inMemory(t, avserver.Config{Faults: tt.faults}, alphavantage.Config{
					Rate:    6000, // finite, so that a rate-limit answer slows it down
					Backoff: time.Second,
					MaxWait: 5 * time.Minute,
					Logger:  slog.New(slog.NewTextHandler(&logs, nil)),
				})
				_, err := av.Fetch(context.Background(), "MSFT", mem)
				if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
					t.Fatalf("error %v, want %q…", err, tt.want)
				}
				requests := srv.Stats().Requests
				// Found by internal/torture's chaos run: the manifest recorded
				// 1 attempt for every failure, since the error did not say.
				if n := attemptsOf(err); int64(n) != requests {
					t.Errorf("the error reports %d attempts, the server saw %d: %v", n, requests, err)
				}
				if n := strings.Count(logs.String(), "msg=retrying"); int64(n) != requests-1 {
					t.Errorf("%d retries logged for %d requests:\n%s", n, requests, logs.String())
				}
				slowed := strings.Contains(logs.String(), "slowing down")
				switch {
				case tt.bound == nil:
					if requests != 4 || !strings.HasSuffix(err.Error(), " after 4 attempts") || slowed {
						t.Errorf("%d requests, error %v, slowed down %v: want 4 attempts at full speed", requests, err, slowed)
					}
				default:
					// The waits between attempts are bounded, not the pacing of
					// the slowed-down rate limiter.
					if !errors.Is(err, tt.bound) || !strings.Contains(err.Error(), "max wait per symbol reached (waited ") ||
						!strings.Contains(err.Error(), " of 5m0s, the next wait would be ") || requests <= 4 || !slowed {
						t.Errorf("%d requests, error %v, slowed down %v: want more than the retries, up to the max wait, slowed down",
							requests, err, slowed)
					}
				}
			})
		})
	}
}

// TestAlphaVantageHostileRetryAfter checks both bounds on a server asking
// for a wait of 11 days: each wait is capped at 2 minutes, which the log
// says, and the symbol gives up when the next would take its waits past
// MaxWait, which the error says.
func TestAlphaVantageHostileRetryAfter(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		var logs bytes.Buffer
		srv, av := inMemory(t, avserver.Config{Faults: avserver.Faults{Fail429: 1, RetryAfter: 999999 * time.Second}},
			alphavantage.Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		start := time.Now()
		_, err := av.Fetch(context.Background(), "IBM", mem)
		took := time.Since(start)
		const want = "fetch IBM: HTTP 429 after 6 attempts: max wait per symbol reached (waited 10m0s of 10m0s, the next wait would be 2m0s)"
		if err == nil || err.Error() != want || !errors.Is(err, alphavantage.ErrMaxWait) {
			t.Fatalf("error %v\nwant  %s", err, want)
		}
		if n := srv.Stats().Requests; n != 6 || took != 10*time.Minute {
			t.Errorf("%d requests in %v, want 6 in 10m (5 waits of 2m)", n, took)
		}
		if n := strings.Count(logs.String(), `bound="Retry-After capped at 2m0s per retry"`); n != 5 {
			t.Errorf("%d retries logged with the cap, want 5:\n%s", n, logs.String())
		}
	})
}

// TestAlphaVantageRefusals checks the refusals that are not retried.
func TestAlphaVantageRefusals(t *testing.T) {
	for _, tt := range []struct {
		name     string
		server   avserver.Config
		client   alphavantage.Config
		path     string
		wantIs   []error
		wantKind alphavantage.ServiceErrorKind
		wantText string
	}{
		{name: "invalid key", server: avserver.Config{APIKey: "another-key"},
			wantIs: []error{alphavantage.ErrInvalidAPIKey, sources.ErrFatal}, wantKind: alphavantage.ServiceInvalidKey, wantText: "invalid or missing API key"},
		{name: "invalid key csv", server: avserver.Config{APIKey: "another-key"}, client: alphavantage.Config{DataType: "csv"},
			wantIs: []error{alphavantage.ErrInvalidAPIKey, sources.ErrFatal}, wantKind: alphavantage.ServiceInvalidKey, wantText: "invalid or missing API key"},
		{name: "premium function", server: avserver.Config{FreeTier: true}, client: alphavantage.Config{Kind: sources.Kind{Adjusted: true}},
			wantIs: []error{alphavantage.ErrPremium, sources.ErrFatal}, wantKind: alphavantage.ServicePremiumEndpoint, wantText: "premium endpoint (this function needs a premium key; the unadjusted daily, weekly and monthly series are free)"},
		{name: "premium output size", server: avserver.Config{FreeTier: true}, client: alphavantage.Config{OutputSize: "full", DataType: "csv"},
			wantIs: []error{alphavantage.ErrPremium, sources.ErrFatal}, wantKind: alphavantage.ServicePremiumOutputSize, wantText: "outputsize=full is premium"},
		{name: "invalid symbol", client: alphavantage.Config{}, wantKind: alphavantage.ServiceInvalidCall, wantText: "invalid call"},
		{name: "HTTP 404", path: "/other", wantText: "fetch BAD_ONE: HTTP 404"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			srv, url := avtest.Start(t, tt.server)
			if tt.path != "" {
				url = strings.TrimSuffix(url, "/query") + tt.path
			}
			av := newTestClient(t, url, tt.client)
			symbol := "IBM"
			if tt.name == "invalid symbol" || tt.path != "" {
				symbol = "BAD_ONE"
			}
			_, err := av.Fetch(context.Background(), symbol, mem)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) || !strings.HasPrefix(err.Error(), "fetch "+symbol+": ") {
				t.Fatalf("error %v, want one naming %s and saying %q", err, symbol, tt.wantText)
			}
			for _, is := range tt.wantIs {
				if !errors.Is(err, is) {
					t.Errorf("errors.Is(%v, %v) = false", err, is)
				}
			}
			if tt.wantIs == nil && errors.Is(err, sources.ErrFatal) {
				t.Errorf("%v matches sources.ErrFatal: one symbol's failure would stop the run", err)
			}
			var se *alphavantage.ServiceError
			if tt.path == "" && (!errors.As(err, &se) || se.Kind != tt.wantKind) {
				t.Errorf("error %v, want a service error of kind %d", err, tt.wantKind)
			}
			if n := srv.Stats().Requests; n != 1 {
				t.Errorf("%d requests, want 1: not retried", n)
			}
		})
	}
}

// TestAlphaVantageTimeout checks that a request that outlasts Timeout is
// retried, and fails as a timeout.
func TestAlphaVantageTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		srv, av := inMemory(t, avserver.Config{Faults: avserver.Faults{Latency: time.Minute}},
			alphavantage.Config{Timeout: 20 * time.Millisecond, Retries: 1})
		_, err := av.Fetch(context.Background(), "IBM", mem)
		if !errors.Is(err, fasthttp.ErrTimeout) || !strings.HasSuffix(err.Error(), " after 2 attempts") {
			t.Errorf("error %v, want a timeout after 2 attempts", err)
		}
		if n := srv.Stats().Requests; n != 2 {
			t.Errorf("%d requests, want 2", n)
		}
	})
}

func TestAlphaVantageBodyTooLarge(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	srv, url := avtest.Start(t, avserver.Config{})
	av := newTestClient(t, url, alphavantage.Config{OutputSize: "full", MaxBodyBytes: 64 << 10})
	_, err := av.Fetch(context.Background(), "IBM", mem)
	if !errors.Is(err, alphavantage.ErrBodyTooLarge) || !strings.HasPrefix(err.Error(), "fetch IBM: ") {
		t.Errorf("error %v, want ErrBodyTooLarge naming IBM", err)
	}
	if n := srv.Stats().Requests; n != 1 {
		t.Errorf("%d requests, want 1: not retried", n)
	}
}

// TestAlphaVantageConcurrencyBound checks that the server never sees more
// requests at once than Concurrency, with retries in the mix.
func TestAlphaVantageConcurrencyBound(t *testing.T) {
	symbols := strings.Split("A,B,C,D,E,F,G,H,I,J,K,L,M,N,O,P", ",")
	for _, concurrency := range []int{1, 3} {
		t.Run(fmt.Sprintf("concurrency=%d", concurrency), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				srv, av := inMemory(t, avserver.Config{Faults: avserver.Faults{
					Latency: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Fail503: 0.2, Seed: 3}},
					alphavantage.Config{Concurrency: concurrency, Retries: 10})
				for sym, r := range fetchAll(context.Background(), av, symbols, mem) {
					if r.err != nil {
						t.Errorf("%s: %v", sym, r.err)
						continue
					}
					r.series.Record.Release()
				}
				if peak := srv.Stats().PeakInFlight; peak != int64(concurrency) {
					t.Errorf("peak of %d requests in flight, want %d", peak, concurrency)
				}
			})
		})
	}
}

// TestAlphaVantageRateSpacesRequests checks that the limiter spaces
// requests: 6 requests at 20 a second take exactly 5 intervals.
func TestAlphaVantageRateSpacesRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		_, av := inMemory(t, avserver.Config{}, alphavantage.Config{Rate: 1200, Concurrency: 6})
		start := time.Now()
		for sym, r := range fetchAll(context.Background(), av, []string{"A", "B", "C", "D", "E", "F"}, mem) {
			if r.err != nil {
				t.Fatalf("%s: %v", sym, r.err)
			}
			r.series.Record.Release()
		}
		if took := time.Since(start); took < 250*time.Millisecond || took > 251*time.Millisecond {
			t.Errorf("6 requests at 20/s took %v, want 250ms", took)
		}
	})
}

// TestAlphaVantageCancel cancels fetches waiting at each stage of an
// attempt: each returns promptly with the context's error, and reports the
// requests it made.
func TestAlphaVantageCancel(t *testing.T) {
	for _, tt := range []struct {
		name   string
		server avserver.Config
		client alphavantage.Config
	}{
		{"waiting for the rate limiter", avserver.Config{}, alphavantage.Config{Rate: 1}},
		{"waiting for a slot", avserver.Config{Faults: avserver.Faults{Latency: 200 * time.Millisecond}},
			alphavantage.Config{Concurrency: 1}},
		{"backing off", avserver.Config{Faults: avserver.Faults{Fail503: 1}},
			alphavantage.Config{Backoff: time.Hour, MaxWait: 2 * time.Hour, Concurrency: 8}},
		// Found in review (issue 12): cancelled during a backoff, a fetch
		// reported 1 attempt whatever it had made.
		{"backing off after retries", avserver.Config{Faults: avserver.Faults{Fail503: 1}},
			alphavantage.Config{Backoff: 20 * time.Millisecond, Retries: 1000, Concurrency: 8}},
		{"request in flight", avserver.Config{Faults: avserver.Faults{Latency: 200 * time.Millisecond}},
			alphavantage.Config{Concurrency: 8, Timeout: 5 * time.Second}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				srv, av := inMemory(t, tt.server, tt.client)
				ctx, cancel := context.WithCancel(context.Background())
				start := time.Now()
				time.AfterFunc(50*time.Millisecond, cancel)
				symbols := []string{"A", "B", "C", "D", "E", "F", "G", "H"}
				got := fetchAll(ctx, av, symbols, mem)
				if took := time.Since(start); took > 200*time.Millisecond {
					t.Errorf("returned %v after the start, 50ms after it was cancelled", took)
				}
				canceled, attempts := 0, 0
				for sym, r := range got {
					switch {
					case r.err == nil:
						attempts += r.series.Attempts
						r.series.Record.Release()
					case errors.Is(r.err, context.Canceled) && strings.HasPrefix(r.err.Error(), "fetch "+sym+": "):
						canceled++
						attempts += attemptsOf(r.err)
					default:
						t.Errorf("%s: %v, want a context error naming the symbol", sym, r.err)
					}
				}
				if canceled == 0 {
					t.Error("no fetch was cancelled")
				}
				if n := srv.Stats().Requests; int64(attempts) != n {
					t.Errorf("the fetches report %d attempts, the server saw %d requests", attempts, n)
				}
				if tt.name == "backing off after retries" && attempts < 2*len(symbols) {
					t.Errorf("%d attempts: the test did not retry before the cancellation", attempts)
				}
			})
		})
	}
}

// TestAlphaVantageKeyNeverLeaks drives a distinctive key through every
// failure path and looks for it in every error, log line and meta value.
func TestAlphaVantageKeyNeverLeaks(t *testing.T) {
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	var seen []string
	// run fetches symbols from url, or from the server dial reaches.
	run := func(t *testing.T, url string, dial fasthttp.DialFunc, cfg alphavantage.Config, symbols ...string) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		cfg.Logger = logger
		av := newTestClient(t, url, cfg)
		if dial != nil {
			alphavantage.SetDial(av, dial)
		}
		for sym, r := range fetchAll(context.Background(), av, symbols, mem) {
			if r.err != nil {
				seen = append(seen, r.err.Error())
				var se *alphavantage.ServiceError
				if errors.As(r.err, &se) {
					seen = append(seen, se.Message)
				}
				var he *alphavantage.HTTPError
				if errors.As(r.err, &he) {
					seen = append(seen, he.Location)
				}
				continue
			}
			for k, v := range r.series.Meta {
				seen = append(seen, sym+" "+k+"="+v)
			}
			r.series.Record.Release()
		}
	}
	serve := func(t *testing.T, cfg avserver.Config) fasthttp.DialFunc {
		_, dial := avtest.StartInMemory(t, cfg)
		return dial
	}
	const mem = avtest.InMemoryURL

	synctest.Test(t, func(t *testing.T) {
		flaky := serve(t, avserver.Config{Faults: avserver.Faults{Fail503: 0.2, Fail429: 0.2, RateLimitNote: 0.2, Truncate: 0.2, Seed: 9}})
		run(t, mem, flaky, alphavantage.Config{Retries: 2, Rate: 60000}, "IBM", "MSFT", "AAPL", "NO_SUCH", "TOOLONGTICKER")
		run(t, mem, flaky, alphavantage.Config{Retries: 2, DataType: "csv"}, "IBM", "MSFT", "AAPL", "NO_SUCH")
		run(t, mem, serve(t, avserver.Config{Faults: avserver.Faults{Fail429: 1}}), alphavantage.Config{MaxWait: time.Second}, "IBM")
		keyed := serve(t, avserver.Config{APIKey: "another-key"})
		run(t, mem, keyed, alphavantage.Config{Concurrency: 1}, "IBM", "MSFT")
		free := serve(t, avserver.Config{FreeTier: true})
		run(t, mem, free, alphavantage.Config{Kind: sources.Kind{Adjusted: true}}, "IBM")
		run(t, mem, free, alphavantage.Config{OutputSize: "full"}, "IBM")
		slow := serve(t, avserver.Config{Faults: avserver.Faults{Latency: time.Second}})
		run(t, mem, slow, alphavantage.Config{Timeout: 20 * time.Millisecond, Retries: 1}, "IBM")
		big := serve(t, avserver.Config{})
		run(t, mem, big, alphavantage.Config{MaxBodyBytes: 100}, "IBM")
		run(t, strings.TrimSuffix(mem, "/query")+"/other", big, alphavantage.Config{}, "IBM")
		run(t, mem, big, alphavantage.Config{MaxRequests: 1, Concurrency: 1}, "IBM", "MSFT")
	})
	// The live service's daily-limit text echoes the key; a redirect of
	// the whole URL carries it in its Location; an HTML error page echoes
	// the request.
	echo := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Query().Get("apikey")
		switch r.URL.Query().Get("symbol") {
		case "DAILY":
			fmt.Fprintf(w, `{"Information": "We have detected your API key as %s and our standard API rate limit is 25 requests per day."}`, key)
		case "MOVED":
			http.Redirect(w, r, "https://elsewhere.example"+r.URL.RequestURI(), http.StatusMovedPermanently)
		default:
			fmt.Fprintf(w, "<html>GET %s: 502 Bad Gateway</html>\r\n", r.URL.RequestURI())
		}
	}))
	run(t, echo, nil, alphavantage.Config{Concurrency: 1}, "DAILY", "OTHER")
	run(t, echo, nil, alphavantage.Config{Retries: 1}, "MOVED", "HTML")
	run(t, echo, nil, alphavantage.Config{Retries: 1, DataType: "csv"}, "HTML")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + ln.Addr().String() + "/query"
	ln.Close()
	run(t, closed, nil, alphavantage.Config{Retries: 1}, "IBM")

	seen = append(seen, logs.String())
	all := strings.Join(seen, "\n")
	if strings.Contains(all, testKey) || strings.Contains(all, url.QueryEscape(testKey)) {
		t.Errorf("the API key leaked:\n%s", all)
	}
	for _, want := range []string{"HTTP 503", "HTTP 429", "unexpected EOF", "rate limited", "slowing down", "invalid call",
		"invalid or missing API key", "premium", "timeout", "too large", "HTTP 404", "refused", "fetched_at",
		"daily request limit", "detected your API key as REDACTED", "redirected to", "apikey=REDACTED", "got an HTML page",
		"not fetched", "request budget", "starting no new requests", "max wait"} {
		if !strings.Contains(all, want) {
			t.Errorf("no path produced %q: the test lost coverage", want)
		}
	}
}

func TestNewRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]alphavantage.Config{
		"no key":        {},
		"bad URL":       {APIKey: "k", BaseURL: "ftp://example.com/query"},
		"output size":   {APIKey: "k", OutputSize: "huge"},
		"data type":     {APIKey: "k", DataType: "xml"},
		"negative rate": {APIKey: "k", Rate: -1},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := alphavantage.New(cfg); err == nil {
				t.Error("no error")
			}
		})
	}
}

// BenchmarkAlphaVantageFetch measures fetching full histories from the
// local server, decoding included: symbols/s and wire MB/s.
func BenchmarkAlphaVantageFetch(b *testing.B) {
	for _, dataType := range []string{"json", "csv"} {
		b.Run(dataType, func(b *testing.B) {
			_, url := avtest.Start(b, avserver.Config{})
			av := newTestClient(b, url, alphavantage.Config{DataType: dataType, OutputSize: "full"})
			b.SetBytes(int64(len(sampleBodyOf(b, sample.Series("IBM"), dataType, false))))
			mem := memory.NewGoAllocator()
			b.ReportAllocs()
			for b.Loop() {
				s, err := av.Fetch(context.Background(), "IBM", mem)
				if err != nil {
					b.Fatal(err)
				}
				s.Record.Release()
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "symbols/s")
		})
	}
}
