package alphavantage_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/valyala/fasthttp"
)

// load is what drive measured.
type load struct {
	ok, failed int
	perMinute  []int     // successes in each minute
	rates      []float64 // the client's rate at the end of each minute
	firstErr   error
}

// drive fetches symbols with workers goroutines for d of the bubble's
// time, and counts the outcomes minute by minute. It cycles through 50
// symbols, whose answers the server encodes once.
func drive(t *testing.T, av *alphavantage.Client, workers int, d time.Duration) load {
	t.Helper()
	var (
		mu   sync.Mutex
		l    = load{perMinute: make([]int, int(d/time.Minute)+1)}
		next atomic.Int64
		wg   sync.WaitGroup
	)
	start := time.Now()
	mem := memory.NewGoAllocator()
	for range workers {
		wg.Go(func() {
			for time.Since(start) < d {
				s, err := av.Fetch(context.Background(), fmt.Sprintf("S%02d", next.Add(1)%50), mem)
				minute := int(time.Since(start) / time.Minute)
				mu.Lock()
				if err == nil {
					s.Record.Release()
					l.ok++
					l.perMinute[min(minute, len(l.perMinute)-1)]++
				} else {
					l.failed++
					if l.firstErr == nil {
						l.firstErr = err
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Go(func() {
		for range int(d / time.Minute) {
			time.Sleep(time.Minute)
			l.rates = append(l.rates, alphavantage.Rate(av))
		}
	})
	wg.Wait()
	return l
}

// TestAlphaVantageTracksServerLimit runs the client, asked to go faster,
// for 20 minutes against a server that enforces a lower limit of its
// own: it must converge near that limit, within a factor of two, rather
// than collapse to the floor, and waste few requests once converged.
func TestAlphaVantageTracksServerLimit(t *testing.T) {
	const minutes, converged = 20, 8
	for _, tt := range []struct {
		limit int     // the server's, per minute
		rate  float64 // the client's, per minute
	}{
		{60, 600},
		{60, math.Inf(1)},
		{5, 60}, // the classic free limit, at the default rate
	} {
		t.Run(fmt.Sprintf("limit %d, rate %v", tt.limit, tt.rate), func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				srv, av := inMemory(t, avserver.Config{RateLimit: tt.limit}, alphavantage.Config{
					Rate: tt.rate, Concurrency: 4, Backoff: time.Second, MaxWait: time.Hour})
				l := drive(t, av, 8, minutes*time.Minute)
				if l.failed > 0 {
					t.Errorf("%d symbols failed, the first: %v", l.failed, l.firstErr)
				}
				achieved := float64(l.ok) / minutes
				limited := srv.Stats().RateLimited
				late := 0
				for _, n := range l.perMinute[converged:minutes] {
					late += n
				}
				lateRate := float64(late) / (minutes - converged)
				t.Logf("server limit %d/min, client rate %v/min: %.1f/min achieved over %d min (%.1f/min after minute %d), %d requests refused for %d answered; the client's rate by minute: %v",
					tt.limit, tt.rate, achieved, minutes, lateRate, converged, limited, l.ok, l.rates)
				if lateRate < float64(tt.limit)/2 || lateRate > float64(tt.limit) {
					t.Errorf("%.1f answers a minute once converged, want within [%v, %v]", lateRate, float64(tt.limit)/2, tt.limit)
				}
				for i, r := range l.rates[converged:] {
					if r < float64(tt.limit)/2 {
						t.Errorf("minute %d: the client's rate fell to %v, below half the server's %d: a collapse", converged+i+1, r, tt.limit)
						break
					}
				}
				if limited > int64(l.ok) {
					t.Errorf("%d requests refused for %d answered: the client wastes more than it gets", limited, l.ok)
				}
			})
		})
	}
}

// TestAlphaVantageBurstOfNotesCutsOnce is the run of issue 13: eight
// requests in flight at 600 a minute all get a Note. They are one
// signal: the rate is cut once, not eight times, and it recovers to the
// full rate after minutes of success.
func TestAlphaVantageBurstOfNotesCutsOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var requests atomic.Int64
		var bodies sync.Map
		note := serviceErrorBody(t, alphavantage.ServiceRateLimitMinute)
		dial := avtest.ServeInMemory(t, func(ctx *fasthttp.RequestCtx) {
			n := requests.Add(1)
			time.Sleep(time.Second)
			ctx.SetContentType("application/json")
			if n <= 8 {
				ctx.SetBody(note)
				return
			}
			symbol := string(ctx.QueryArgs().Peek("symbol"))
			body, ok := bodies.Load(symbol)
			if !ok {
				var b bytes.Buffer
				bars := sample.Series(symbol)
				if err := alphavantage.EncodeJSON(&b, symbol, bars[len(bars)-100:], sources.Kind{}, "compact"); err != nil {
					t.Error(err)
				}
				body, _ = bodies.LoadOrStore(symbol, b.Bytes())
			}
			ctx.SetBody(body.([]byte))
		})
		var logs bytes.Buffer
		av := newTestClient(t, avtest.InMemoryURL, alphavantage.Config{Rate: 600, Concurrency: 8,
			Logger: slog.New(slog.NewTextHandler(&logs, nil))})
		alphavantage.SetDial(av, dial)

		l := drive(t, av, 8, 8*time.Minute)
		if l.failed > 0 {
			t.Errorf("%d symbols failed, the first: %v", l.failed, l.firstErr)
		}
		if n := strings.Count(logs.String(), "slowing down"); n != 1 {
			t.Errorf("slowed down %d times, want once:\n%s", n, logs.String())
		}
		// 8 requests sent in 0.7 s, measured over a second: 480 a minute,
		// cut to 240, raised by 60 a minute back to 600.
		t.Logf("the client's rate by minute: %v", l.rates)
		if l.rates[0] != 240 || l.rates[len(l.rates)-1] != 600 {
			t.Errorf("rates by minute %v, want 240 after the burst, 600 at the end", l.rates)
		}
	})
}

// serviceErrorBody returns the service's payload for kind.
func serviceErrorBody(t testing.TB, kind alphavantage.ServiceErrorKind) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := alphavantage.EncodeServiceError(&b, kind); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestAlphaVantageStop checks that after Stop no request starts, neither
// for a fetch waiting for a slot or the rate limiter nor as a retry, and
// that the requests in flight finish with their data.
func TestAlphaVantageStop(t *testing.T) {
	for _, tt := range []struct {
		name     string
		server   avserver.Config
		client   alphavantage.Config
		symbols  int
		ok       int    // fetches that succeed: those in flight
		requests int64  // what the server sees
		want     string // the text of the other fetches' errors
	}{
		{"waiting for a slot", avserver.Config{Faults: avserver.Faults{Latency: time.Second}},
			alphavantage.Config{Concurrency: 2}, 6, 2, 2, ": not fetched: the run was stopped"},
		{"waiting for the rate limiter", avserver.Config{}, alphavantage.Config{Rate: 1, Concurrency: 3}, 3, 1, 1,
			": not fetched: the run was stopped"},
		{"backing off", avserver.Config{Faults: avserver.Faults{Fail429: 1, RetryAfter: 10 * time.Second}},
			alphavantage.Config{Concurrency: 3}, 3, 0, 3,
			": not retried after 1 attempt: the run was stopped (the last: HTTP 429)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				srv, av := inMemory(t, tt.server, tt.client)
				time.AfterFunc(500*time.Millisecond, av.Stop)
				start := time.Now()
				var symbols []string
				for i := range tt.symbols {
					symbols = append(symbols, fmt.Sprintf("S%d", i))
				}
				ok := 0
				for sym, r := range fetchAll(context.Background(), av, symbols, mem) {
					if r.err == nil {
						ok++
						r.series.Record.Release()
						continue
					}
					if !errors.Is(r.err, sources.ErrStopped) || r.err.Error() != "fetch "+sym+tt.want {
						t.Errorf("%s: %v, want %q matching sources.ErrStopped", sym, r.err, "fetch "+sym+tt.want)
					}
					if errors.Is(r.err, sources.ErrFatal) || errors.Is(r.err, sources.ErrQuota) {
						t.Errorf("%s: %v also matches ErrFatal or ErrQuota", sym, r.err)
					}
				}
				if took := time.Since(start); took > time.Second {
					t.Errorf("the fetches took %v, stopped at 500ms", took)
				}
				if ok != tt.ok {
					t.Errorf("%d fetches succeeded, want the %d in flight", ok, tt.ok)
				}
				time.Sleep(time.Minute) // time for any retry or queued fetch to (wrongly) go
				if n := srv.Stats().Requests; n != tt.requests {
					t.Errorf("the server saw %d requests, want the %d before the stop", n, tt.requests)
				}
			})
		})
	}
}

// TestAlphaVantageDailyLimit checks that the daily quota closes the client
// for new requests: a queued fetch makes none, a fetch backing off does
// not retry, and the request in flight finishes with its data.
func TestAlphaVantageDailyLimit(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var (
		mu      sync.Mutex
		seen    = map[string]int{}
		arrived = make(chan string, 8)
		release = make(chan struct{})
		bars    = sample.Series("SLOW")[len(sample.Series("SLOW"))-100:]
	)
	url := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sym := r.URL.Query().Get("symbol")
		mu.Lock()
		seen[sym]++
		n := seen[sym]
		mu.Unlock()
		defer func() { arrived <- sym }()
		switch {
		case sym == "SLOW":
			arrived <- "SLOW in flight"
			<-release
			alphavantage.EncodeJSON(w, sym, bars, sources.Kind{}, "compact")
		case sym == "RETRY" && n == 1:
			http.Error(w, "busy", http.StatusServiceUnavailable)
		default:
			fmt.Fprintf(w, `{"Information": "We have detected your API key as %s and our standard API rate limit is 25 requests per day."}`,
				r.URL.Query().Get("apikey"))
		}
	}))
	av := newTestClient(t, url, alphavantage.Config{Concurrency: 4, Backoff: time.Hour, MaxWait: 2 * time.Hour})

	results := make(chan result, 2)
	for _, sym := range []string{"SLOW", "RETRY"} {
		go func() {
			s, err := av.Fetch(context.Background(), sym, mem)
			results <- result{s, err}
		}()
		if got := <-arrived; !strings.HasPrefix(got, sym) {
			t.Fatalf("the server saw %s, want %s", got, sym)
		}
	}
	_, err := av.Fetch(context.Background(), "QUOTA", mem)
	<-arrived
	if !errors.Is(err, alphavantage.ErrDailyLimit) || !errors.Is(err, sources.ErrQuota) || errors.Is(err, sources.ErrFatal) ||
		!strings.Contains(err.Error(), "as REDACTED") || attemptsOf(err) != 1 {
		t.Errorf("QUOTA: %v (%d attempts), want the daily limit, a quota and not fatal, the key redacted, 1 attempt", err, attemptsOf(err))
	}
	_, err = av.Fetch(context.Background(), "AFTER", mem)
	if !errors.Is(err, alphavantage.ErrDailyLimit) || !strings.HasPrefix(err.Error(), "fetch AFTER: not fetched: alpha vantage: daily request limit reached") ||
		attemptsOf(err) != 0 {
		t.Errorf("AFTER: %v (%d attempts), want not fetched for the daily limit, 0 attempts", err, attemptsOf(err))
	}
	close(release)
	for range 2 {
		r := <-results
		switch {
		case r.err == nil:
			if r.series.Symbol != "SLOW" || r.series.Record.NumRows() != 100 {
				t.Errorf("%s: %d rows, want SLOW's 100", r.series.Symbol, r.series.Record.NumRows())
			}
			r.series.Record.Release()
		case !errors.Is(r.err, alphavantage.ErrDailyLimit) || !strings.HasPrefix(r.err.Error(), "fetch RETRY: not retried after 1 attempt: ") ||
			!strings.HasSuffix(r.err.Error(), "(the last: HTTP 503)") || attemptsOf(r.err) != 1:
			t.Errorf("%v, want RETRY not retried for the daily limit after its 503", r.err)
		}
	}
	<-arrived // SLOW's answer is written
	mu.Lock()
	defer mu.Unlock()
	if want := map[string]int{"SLOW": 1, "RETRY": 1, "QUOTA": 1}; fmt.Sprint(seen) != fmt.Sprint(want) {
		t.Errorf("the server saw %v, want %v", seen, want)
	}
}

// TestAlphaVantageMaxRequests checks the run's budget of requests: the
// request that spends it finishes with its data, and no other starts.
func TestAlphaVantageMaxRequests(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
		defer mem.AssertSize(t, 0)
		srv, av := inMemory(t, avserver.Config{Faults: avserver.Faults{Latency: time.Second}},
			alphavantage.Config{MaxRequests: 3, Concurrency: 2})
		got := fetchAll(context.Background(), av, []string{"A", "B", "C", "D", "E", "F"}, mem)
		ok := 0
		for sym, r := range got {
			if r.err == nil {
				ok++
				r.series.Record.Release()
				continue
			}
			want := "fetch " + sym + ": not fetched: the run's request budget is used up: 3 requests made"
			if r.err.Error() != want || !errors.Is(r.err, alphavantage.ErrRequestBudget) || !errors.Is(r.err, sources.ErrQuota) ||
				errors.Is(r.err, sources.ErrFatal) || attemptsOf(r.err) != 0 {
				t.Errorf("%s: %v, want %q matching ErrRequestBudget and sources.ErrQuota", sym, r.err, want)
			}
		}
		if n := srv.Stats().Requests; ok != 3 || n != 3 {
			t.Errorf("%d fetches succeeded, the server saw %d requests; want 3 and 3", ok, n)
		}
	})
}

// TestAlphaVantageRunWideRefusals checks that a refusal every symbol would
// get stops the client after the first answer: the other symbols fail
// with it, without a request, and all match sources.ErrFatal.
func TestAlphaVantageRunWideRefusals(t *testing.T) {
	demo := func(ctx *fasthttp.RequestCtx) {
		ctx.SetContentType("application/json")
		if err := alphavantage.EncodeServiceError(ctx, alphavantage.ServiceDemoKey); err != nil {
			panic(err)
		}
	}
	for _, tt := range []struct {
		name    string
		server  avserver.Config
		handler fasthttp.RequestHandler
		client  alphavantage.Config
		is      error
		says    string
	}{
		{name: "invalid key", server: avserver.Config{APIKey: "another-key"}, is: alphavantage.ErrInvalidAPIKey,
			says: "invalid or missing API key (get a free one at https://www.alphavantage.co/support/#api-key)"},
		{name: "demo key", handler: demo, is: alphavantage.ErrInvalidAPIKey,
			says: "the demo API key serves only the documentation's examples"},
		{name: "premium function", server: avserver.Config{FreeTier: true}, client: alphavantage.Config{Kind: sources.Kind{Adjusted: true}},
			is: alphavantage.ErrPremium, says: "premium endpoint (this function needs a premium key; the unadjusted daily, weekly and monthly series are free)"},
		{name: "premium output size", server: avserver.Config{FreeTier: true}, client: alphavantage.Config{OutputSize: "full"},
			is: alphavantage.ErrPremium, says: "outputsize=full is premium (use --outputsize compact or a premium key)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				defer mem.AssertSize(t, 0)
				var requests func() int64
				var av *alphavantage.Client
				tt.client.Concurrency = 1
				if tt.handler != nil {
					var n atomic.Int64
					dial := avtest.ServeInMemory(t, func(ctx *fasthttp.RequestCtx) { n.Add(1); tt.handler(ctx) })
					av = newTestClient(t, avtest.InMemoryURL, tt.client)
					alphavantage.SetDial(av, dial)
					requests = n.Load
				} else {
					var srv *avserver.Server
					srv, av = inMemory(t, tt.server, tt.client)
					requests = func() int64 { return srv.Stats().Requests }
				}
				got := fetchAll(context.Background(), av, []string{"A", "B", "C", "D", "E"}, mem)
				notFetched := 0
				for sym, r := range got {
					if !errors.Is(r.err, tt.is) || !errors.Is(r.err, sources.ErrFatal) || !strings.Contains(fmt.Sprint(r.err), tt.says) {
						t.Errorf("%s: %v, want %v, sources.ErrFatal and %q", sym, r.err, tt.is, tt.says)
					}
					if r.err != nil && strings.HasPrefix(r.err.Error(), "fetch "+sym+": not fetched: ") && attemptsOf(r.err) == 0 {
						notFetched++
					}
				}
				if n := requests(); n != 1 || notFetched != 4 {
					t.Errorf("%d requests, %d symbols not fetched; want 1 and the other 4", n, notFetched)
				}
			})
		})
	}
}
