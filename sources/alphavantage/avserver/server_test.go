package avserver_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/valyala/fasthttp"
)

// answer is one raw HTTP answer of the server.
type answer struct {
	status      int
	contentType string
	retryAfter  string
	disposition string
	body        []byte
	err         error
}

// getRaw sends GET url with a fresh connection and returns the answer.
func getRaw(t testing.TB, url string) answer {
	t.Helper()
	c := &fasthttp.Client{MaxIdemponentCallAttempts: 1} // one request, one answer
	defer c.CloseIdleConnections()
	req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
	defer fasthttp.ReleaseRequest(req)
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(url)
	req.SetConnectionClose()
	if err := c.DoTimeout(req, resp, 10*time.Second); err != nil {
		return answer{err: err}
	}
	return answer{
		status:      resp.StatusCode(),
		contentType: string(resp.Header.ContentType()),
		retryAfter:  string(resp.Header.Peek("Retry-After")),
		disposition: string(resp.Header.Peek("Content-Disposition")),
		body:        append([]byte(nil), resp.Body()...),
	}
}

func encodedSample(t testing.TB, symbol, dataType string, adjusted bool, outputSize string) []byte {
	t.Helper()
	bars := sample.Series(symbol)
	if outputSize == "compact" {
		bars = bars[len(bars)-100:]
	}
	var b bytes.Buffer
	var err error
	if dataType == "csv" {
		err = alphavantage.EncodeCSV(&b, bars, sources.Kind{Adjusted: adjusted})
	} else {
		err = alphavantage.EncodeJSON(&b, symbol, bars, sources.Kind{Adjusted: adjusted}, outputSize)
	}
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func refusal(t testing.TB, kind alphavantage.ServiceErrorKind) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := alphavantage.EncodeServiceError(&b, kind); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestServerAnswers(t *testing.T) {
	t.Parallel()
	_, base := avtest.Start(t, avserver.Config{})
	_, keyed := avtest.Start(t, avserver.Config{APIKey: "right-key"})
	_, free := avtest.Start(t, avserver.Config{FreeTier: true})
	daily := "function=TIME_SERIES_DAILY&apikey=k&symbol="
	tests := []struct {
		name, url   string
		status      int
		contentType string
		body        []byte
	}{
		{"json compact by default", base + "?" + daily + "IBM", 200, "application/json",
			encodedSample(t, "IBM", "json", false, "compact")},
		{"symbol case-insensitive", base + "?" + daily + "ibm&datatype=json&outputsize=compact", 200, "application/json",
			encodedSample(t, "IBM", "json", false, "compact")},
		{"json full adjusted", base + "?function=TIME_SERIES_DAILY_ADJUSTED&symbol=MSFT&outputsize=full&apikey=k", 200,
			"application/json", encodedSample(t, "MSFT", "json", true, "full")},
		{"csv compact", base + "?" + daily + "BRK.B&datatype=csv", 200, "application/x-download",
			encodedSample(t, "BRK.B", "csv", false, "compact")},
		{"csv full adjusted", base + "?function=TIME_SERIES_DAILY_ADJUSTED&symbol=AAPL&outputsize=full&datatype=csv&apikey=k",
			200, "application/x-download", encodedSample(t, "AAPL", "csv", true, "full")},
		{"unknown function", base + "?function=TIME_SERIES_HOURLY&symbol=IBM&apikey=k", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidCall)},
		{"implausible symbol", base + "?" + daily + "NO_SUCH", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidCall)},
		{"symbol too long", base + "?" + daily + "TOOLONGTICKER", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidCall)},
		{"missing symbol", base + "?function=TIME_SERIES_DAILY&apikey=k", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidCall)},
		{"unknown datatype", base + "?" + daily + "IBM&datatype=xml", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidCall)},
		{"missing key", base + "?function=TIME_SERIES_DAILY&symbol=IBM", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidKey)},
		{"missing key with csv", base + "?function=TIME_SERIES_DAILY&symbol=IBM&datatype=csv", 200, "application/json",
			refusal(t, alphavantage.ServiceInvalidKey)},
		{"wrong key", keyed + "?" + daily + "IBM", 200, "application/json", refusal(t, alphavantage.ServiceInvalidKey)},
		{"right key", keyed + "?function=TIME_SERIES_DAILY&apikey=right-key&symbol=IBM", 200, "application/json",
			encodedSample(t, "IBM", "json", false, "compact")},
		{"free tier adjusted", free + "?function=TIME_SERIES_DAILY_ADJUSTED&symbol=IBM&apikey=k", 200, "application/json",
			refusal(t, alphavantage.ServicePremiumEndpoint)},
		{"free tier full", free + "?" + daily + "IBM&outputsize=full", 200, "application/json",
			refusal(t, alphavantage.ServicePremiumOutputSize)},
		{"free tier compact", free + "?" + daily + "IBM", 200, "application/json",
			encodedSample(t, "IBM", "json", false, "compact")},
		{"other path", strings.TrimSuffix(base, "/query") + "/other", 404, "text/plain; charset=utf-8",
			[]byte("not found: the endpoint is /query")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Twice: the second answer comes from the cache.
			for range 2 {
				got := getRaw(t, tt.url)
				if got.err != nil {
					t.Fatal(got.err)
				}
				if got.status != tt.status || got.contentType != tt.contentType {
					t.Errorf("HTTP %d %q, want %d %q", got.status, got.contentType, tt.status, tt.contentType)
				}
				if !bytes.Equal(got.body, tt.body) {
					t.Errorf("body (%d bytes) differs from want (%d bytes):\n%.300s", len(got.body), len(tt.body), got.body)
				}
			}
		})
	}
}

func TestServerDailyLimit(t *testing.T) {
	t.Parallel()
	_, url := avtest.Start(t, avserver.Config{DailyLimit: 2})
	url += "?function=TIME_SERIES_DAILY&symbol=IBM&apikey=k"
	want := refusal(t, alphavantage.ServiceRateLimitDay)
	for i := range 4 {
		got := getRaw(t, url)
		if limited := bytes.Equal(got.body, want); limited != (i >= 2) {
			t.Errorf("request %d: daily-limit refusal %v, want %v", i+1, limited, i >= 2)
		}
	}
}

// TestServerRateLimit checks the sliding minute of Config.RateLimit: a
// request is answered when fewer than the limit were in the minute before
// it, and refused with the per-minute Note otherwise, whatever its key.
func TestServerRateLimit(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv, dial := avtest.StartInMemory(t, avserver.Config{RateLimit: 3, APIKey: "k"})
		c := &fasthttp.Client{Dial: dial}
		defer c.CloseIdleConnections()
		note := refusal(t, alphavantage.ServiceRateLimitMinute)
		get := func(key string) bool {
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(avtest.InMemoryURL + "?function=TIME_SERIES_DAILY&symbol=IBM&apikey=" + key)
			if err := c.Do(req, resp); err != nil {
				t.Fatal(err)
			}
			return !bytes.Equal(resp.Body(), note)
		}
		var got []bool
		for _, at := range []struct {
			after time.Duration
			n     int
		}{{0, 4}, {30 * time.Second, 1}, {30 * time.Second, 4}, {20 * time.Second, 1}} {
			time.Sleep(at.after)
			for range at.n {
				got = append(got, get("k"))
			}
		}
		got = append(got, get("wrong"))
		// Three at 0 s, none at 30 s, three at 60 s (the first three are a
		// minute old), none at 80 s, nor with a wrong key.
		want := []bool{true, true, true, false, false, true, true, true, false, false, false}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("answered %v, want %v", got, want)
		}
		if n := srv.Stats().RateLimited; n != 5 {
			t.Errorf("%d requests counted as rate limited, want 5", n)
		}
	})
}

// TestServerFaultsDeterministic checks that two servers with the same seed
// inject the same faults, in shares close to those asked for.
func TestServerFaultsDeterministic(t *testing.T) {
	t.Parallel()
	faults := avserver.Faults{Fail503: 0.2, Fail429: 0.1, RetryAfter: 2 * time.Second, RateLimitNote: 0.1, Truncate: 0.1, Seed: 7}
	const requests = 200
	outcomes := func() []string {
		_, url := avtest.Start(t, avserver.Config{Faults: faults})
		var got []string
		for i := range requests {
			// Half the requests repeat one query, half spread over others.
			symbol := "IBM"
			if i%2 == 1 {
				symbol = "S" + string(rune('A'+i%26))
			}
			a := getRaw(t, url+"?function=TIME_SERIES_DAILY&apikey=k&symbol="+symbol)
			outcome := "ok"
			switch {
			case a.err != nil:
				outcome = "transport"
			case a.status == 503:
				outcome = "503"
			case a.status == 429:
				outcome = "429 Retry-After " + a.retryAfter
			case bytes.HasPrefix(a.body, []byte("{\n    \"Note\"")):
				outcome = "note"
			case a.status != 200:
				outcome = a.contentType
			}
			got = append(got, outcome)
		}
		return got
	}
	first, second := outcomes(), outcomes()
	counts := map[string]int{}
	for i := range first {
		if first[i] != second[i] {
			t.Fatalf("request %d: %s, then %s with the same seed", i, first[i], second[i])
		}
		counts[first[i]]++
	}
	want := map[string]float64{"503": 0.2, "429 Retry-After 2": 0.1, "note": 0.1, "transport": 0.1, "ok": 0.5}
	for outcome, share := range want {
		if n := counts[outcome]; float64(n) < share*requests/2 || float64(n) > share*requests*2 {
			t.Errorf("%s: %d of %d requests, want about %v", outcome, n, requests, share*requests)
		}
	}
	if len(counts) != len(want) {
		t.Errorf("outcomes %v, want only %v", counts, want)
	}
}

func TestNewRejectsBadFaults(t *testing.T) {
	t.Parallel()
	for name, f := range map[string]avserver.Faults{
		"share above 1":   {Fail503: 1.5},
		"negative share":  {Truncate: -0.1},
		"shares above 1":  {Fail503: 0.6, Fail429: 0.6},
		"negative jitter": {Jitter: -time.Second},
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := avserver.New(avserver.Config{Faults: f}); err == nil {
				t.Error("no error")
			}
		})
	}
}

// TestServerShutdownCutsLatency checks that Shutdown does not wait out an
// injected latency.
func TestServerShutdownCutsLatency(t *testing.T) {
	t.Parallel()
	srv, err := avserver.New(avserver.Config{Faults: avserver.Faults{Latency: time.Hour}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	got := make(chan answer, 1)
	go func() {
		got <- getRaw(t, "http://"+ln.Addr().String()+"/query?function=TIME_SERIES_DAILY&apikey=k&symbol=IBM")
	}()
	// Wait until the request is held in its latency; it cannot be
	// answered before Shutdown, so an answer now is a failure.
	for deadline := time.Now().Add(10 * time.Second); srv.Stats().Requests == 0; time.Sleep(time.Millisecond) {
		select {
		case a := <-got:
			t.Fatalf("answered before Shutdown: HTTP %d, %v", a.status, a.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the server saw no request in 10 s")
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if err := <-served; err != nil {
		t.Error(err)
	}
	if a := <-got; a.err == nil && a.status != 503 {
		t.Errorf("answer during shutdown: HTTP %d, want 503", a.status)
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		t.Error("shutdown waited for the latency")
	}
}

// BenchmarkServer measures answering full histories, from the cache and,
// with a cache too small to hold one, encoded for every request.
func BenchmarkServer(b *testing.B) {
	for _, bc := range []struct {
		name, dataType string
		cacheBytes     int
	}{
		{"json/cached", "json", 0},
		{"csv/cached", "csv", 0},
		{"json/uncached", "json", 1},
		{"csv/uncached", "csv", 1},
	} {
		b.Run(bc.name, func(b *testing.B) {
			_, url := avtest.Start(b, avserver.Config{CacheBytes: bc.cacheBytes})
			url += "?function=TIME_SERIES_DAILY&apikey=k&outputsize=full&symbol=IBM&datatype=" + bc.dataType
			c := &fasthttp.Client{}
			defer c.CloseIdleConnections()
			req, resp := fasthttp.AcquireRequest(), fasthttp.AcquireResponse()
			defer fasthttp.ReleaseRequest(req)
			defer fasthttp.ReleaseResponse(resp)
			req.SetRequestURI(url)
			b.ReportAllocs()
			for b.Loop() {
				if err := c.Do(req, resp); err != nil {
					b.Fatal(err)
				}
				b.SetBytes(int64(len(resp.Body())))
			}
		})
	}
}

// TestServerShutdownBeforeServe checks that Serve called after Shutdown
// returns at once instead of serving forever.
func TestServerShutdownBeforeServe(t *testing.T) {
	t.Parallel()
	srv, err := avserver.New(avserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Serve(ln); err != nil {
		t.Error(err)
	}
}
