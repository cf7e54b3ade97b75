package avserver

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/symbols"

	"github.com/valyala/fasthttp"
)

// compactBars is how many of the newest bars outputsize=compact returns.
const compactBars = 100

// defaultCacheBytes is the default budget of a Server's encoded answers:
// room for a few dozen full histories.
const defaultCacheBytes = 64 << 20

// Config configures a Server. The zero value answers every valid
// request at once, correctly, for any non-empty API key.
type Config struct {
	// APIKey, when set, is the only key accepted; otherwise any non-empty
	// key is. A missing or wrong key gets the service's apikey error.
	APIKey string
	// FreeTier answers the adjusted function and outputsize=full with the
	// premium refusals the live service sends a free key.
	FreeTier bool
	// DailyLimit, when positive, is how many requests the server answers
	// before it sends only the daily-limit refusal, as the live service
	// does after 25 requests a day on a free key.
	DailyLimit int
	// RateLimit, when positive, is how many requests the server answers
	// in any minute (a sliding window): beyond it, it sends the service's
	// per-minute rate-limit Note, HTTP 200, as the live service does to a
	// key that calls faster than its plan allows. Only the requests it
	// answers count, so a client that slows down gets through again. The
	// check comes first, before the faults and the key.
	RateLimit int
	// Faults are the failures to inject.
	Faults Faults
	// CacheBytes bounds the memory of encoded answers kept for reuse;
	// 64 MiB when zero.
	CacheBytes int
	// LastDay is the last trading day served; sample.End when zero. See
	// also SetLastDay, Advance and AddDividend.
	LastDay time.Time
	// Logger receives the server's own errors (a truncated answer shows up
	// as one) at debug level; slog.Default() when nil.
	Logger *slog.Logger
}

// Server answers GET /query like Alpha Vantage's TIME_SERIES_DAILY and
// TIME_SERIES_DAILY_ADJUSTED, over the synthetic sample.Series data: the
// same parameters (function, symbol, outputsize, datatype, apikey), the
// same JSON and CSV layouts, and the same refusals, sent as HTTP 200 with
// a JSON body. Symbols are case-insensitive: "ibm" is served
// sample.Series("IBM").
//
// A symbol is served when symbols.Normalize accepts it and it is at most 10
// characters long ("BRK.B", "RDS-A", "^GSPC"); any other, such as
// "NO_SUCH" or "TOOLONGTICKER", gets the service's invalid-call refusal.
type Server struct {
	cfg       Config
	http      *fasthttp.Server
	hist      *histories
	faults    *faultDraws
	refusals  map[alphavantage.ServiceErrorKind][]byte
	mu        sync.Mutex // guards listeners and the closing of stop
	listeners []*onceCloseListener
	stop      chan struct{}
	stopOnce  sync.Once
	requests  atomic.Int64
	inFlight  atomic.Int64
	peak      atomic.Int64
	injected  atomic.Int64
	quotaUsed atomic.Int64
	limited   atomic.Int64
	rateLimit *slidingLimit // nil without Config.RateLimit
	bytes     atomic.Int64
	compact   atomic.Int64
	full      atomic.Int64
	retryHint []byte
}

// Stats counts what a Server did.
type Stats struct {
	// Requests is how many requests arrived.
	Requests int64
	// PeakInFlight is the most requests handled at the same time.
	PeakInFlight int64
	// Faults is how many answers were injected faults.
	Faults int64
	// RateLimited is how many requests got the rate-limit Note because
	// of Config.RateLimit.
	RateLimited int64
	// Bytes adds up the bodies sent with data or a refusal (a cut body
	// counts its half), the bytes a client's decoder reads.
	Bytes int64
	// Compact and Full count the answers with data by output size.
	Compact, Full int64
}

// New returns a Server for cfg, or an error if its faults are out of
// range. Start it with Serve.
func New(cfg Config) (*Server, error) {
	if err := cfg.Faults.Validate(); err != nil {
		return nil, err
	}
	if cfg.RateLimit < 0 {
		return nil, fmt.Errorf("server: rate limit %d: want a positive number of requests per minute, or 0 for none", cfg.RateLimit)
	}
	if cfg.CacheBytes <= 0 {
		cfg.CacheBytes = defaultCacheBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	s := &Server{
		cfg:       cfg,
		hist:      newHistories(lastDay(cfg.LastDay), cfg.CacheBytes),
		faults:    newFaultDraws(cfg.Faults),
		refusals:  make(map[alphavantage.ServiceErrorKind][]byte),
		stop:      make(chan struct{}),
		retryHint: strconv.AppendInt(nil, int64((cfg.Faults.RetryAfter+time.Second-1)/time.Second), 10),
	}
	if cfg.RateLimit > 0 {
		s.rateLimit = newSlidingLimit(cfg.RateLimit, rateWindow)
	}
	for _, kind := range []alphavantage.ServiceErrorKind{alphavantage.ServiceInvalidCall, alphavantage.ServiceInvalidKey, alphavantage.ServiceRateLimitMinute,
		alphavantage.ServiceRateLimitDay, alphavantage.ServicePremiumEndpoint, alphavantage.ServicePremiumOutputSize} {
		var b bytes.Buffer
		if err := alphavantage.EncodeServiceError(&b, kind); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		s.refusals[kind] = b.Bytes()
	}
	s.http = &fasthttp.Server{
		Handler:         s.handle,
		Name:            "loader serve",
		ReadTimeout:     30 * time.Second,
		WriteTimeout:    time.Minute,
		IdleTimeout:     time.Minute,
		CloseOnShutdown: true,
		Logger:          debugLogger{cfg.Logger},
	}
	return s, nil
}

// Serve answers requests on ln until Shutdown, then returns nil; any
// other error of the listener is returned. Serve called after Shutdown
// closes ln and returns nil at once, so a test may race the two.
func (s *Server) Serve(ln net.Listener) error {
	l := &onceCloseListener{Listener: ln}
	s.mu.Lock()
	select {
	case <-s.stop:
		s.mu.Unlock()
		return l.Close()
	default:
	}
	s.listeners = append(s.listeners, l)
	s.mu.Unlock()
	return s.http.Serve(l)
}

// Shutdown stops accepting connections, cuts injected latencies short and
// waits for the requests being answered, or for ctx to end. Serve returns
// once it is called. A Server cannot be restarted.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.stopOnce.Do(func() { close(s.stop) })
	listeners := s.listeners
	s.mu.Unlock()
	// Closed here, not only by fasthttp, which knows a listener only once
	// its Serve has got going.
	for _, l := range listeners {
		if err := l.Close(); err != nil {
			return fmt.Errorf("server: close listener: %w", err)
		}
	}
	return s.http.ShutdownWithContext(ctx)
}

// onceCloseListener lets both Shutdown and fasthttp close the listener.
type onceCloseListener struct {
	net.Listener
	once sync.Once
	err  error
}

func (l *onceCloseListener) Close() error {
	l.once.Do(func() { l.err = l.Listener.Close() })
	return l.err
}

// Stats returns the counts so far.
func (s *Server) Stats() Stats {
	return Stats{Requests: s.requests.Load(), PeakInFlight: s.peak.Load(), Faults: s.injected.Load(), RateLimited: s.limited.Load(),
		Bytes: s.bytes.Load(), Compact: s.compact.Load(), Full: s.full.Load()}
}

// handle answers one request.
func (s *Server) handle(ctx *fasthttp.RequestCtx) {
	s.requests.Add(1)
	n := s.inFlight.Add(1)
	defer s.inFlight.Add(-1)
	for p := s.peak.Load(); n > p && !s.peak.CompareAndSwap(p, n); p = s.peak.Load() {
	}

	if string(ctx.Path()) != "/query" {
		ctx.Error("not found: the endpoint is /query", fasthttp.StatusNotFound)
		return
	}
	if !ctx.IsGet() && !ctx.IsHead() {
		ctx.Error("method not allowed", fasthttp.StatusMethodNotAllowed)
		return
	}
	q := parseQuery(ctx.QueryArgs())
	if s.rateLimit != nil && !s.rateLimit.admit(time.Now()) {
		s.limited.Add(1)
		s.refuse(ctx, alphavantage.ServiceRateLimitMinute)
		return
	}

	f, latency := s.faults.draw(q.key())
	if latency > 0 && !s.wait(latency) {
		ctx.Error("server shutting down", fasthttp.StatusServiceUnavailable)
		return
	}
	switch f {
	case fault503:
		s.injected.Add(1)
		ctx.Error("Service Unavailable", fasthttp.StatusServiceUnavailable)
		return
	case fault429:
		s.injected.Add(1)
		ctx.Error("Too Many Requests", fasthttp.StatusTooManyRequests)
		ctx.Response.Header.SetBytesV(fasthttp.HeaderRetryAfter, s.retryHint)
		return
	case faultNote:
		s.injected.Add(1)
		s.refuse(ctx, alphavantage.ServiceRateLimitMinute)
		return
	}

	if kind, refused := s.check(q); refused {
		s.refuse(ctx, kind)
		return
	}
	body, err := s.body(q)
	if err != nil {
		s.cfg.Logger.Error("serve: encode answer", "query", q.key(), "err", err)
		ctx.Error("Internal Server Error", fasthttp.StatusInternalServerError)
		return
	}
	ctx.Response.Header.Set(alphavantage.HeaderSynthetic, "loader serve")
	if q.dataType == "csv" {
		ctx.SetContentType("application/x-download")
		ctx.Response.Header.Set(fasthttp.HeaderContentDisposition, "attachment; filename=daily_"+q.symbol+".csv")
	} else {
		ctx.SetContentType("application/json")
	}
	if q.outputSize == "compact" {
		s.compact.Add(1)
	} else {
		s.full.Add(1)
	}
	if f == faultTruncate {
		s.injected.Add(1)
		s.bytes.Add(int64(len(body) / 2))
		s.truncate(ctx, body)
		return
	}
	s.bytes.Add(int64(len(body)))
	ctx.Response.SetBodyRaw(body)
}

// truncate answers with the headers of body and only its first half, then
// closes the connection, as a server dying mid-answer would. It writes to
// the hijacked connection: through fasthttp the half-written answer would
// stay in its buffer and the client would see no byte at all.
func (s *Server) truncate(ctx *fasthttp.RequestCtx, body []byte) {
	ctx.Response.Header.SetContentLength(len(body))
	head := append([]byte(nil), ctx.Response.Header.Header()...)
	half := body[:len(body)/2]
	ctx.HijackSetNoResponse(true)
	ctx.Hijack(func(c net.Conn) {
		if err := c.SetWriteDeadline(time.Now().Add(s.http.WriteTimeout)); err != nil {
			return
		}
		if _, err := c.Write(head); err != nil {
			return
		}
		_, _ = c.Write(half) // the client learns of any failure as a cut body
	})
}

// wait sleeps d, or less if the server shuts down; it reports whether it
// slept the whole d.
func (s *Server) wait(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.stop:
		return false
	}
}

// check returns the refusal the service would send for q, if any, in the
// service's order: the key first, then the call, then the plan's limits.
func (s *Server) check(q query) (alphavantage.ServiceErrorKind, bool) {
	switch {
	case q.apiKey == "" || (s.cfg.APIKey != "" && q.apiKey != s.cfg.APIKey):
		return alphavantage.ServiceInvalidKey, true
	case q.function != alphavantage.FunctionDaily && q.function != alphavantage.FunctionAdjusted,
		q.outputSize != "compact" && q.outputSize != "full",
		q.dataType != "json" && q.dataType != "csv",
		!plausibleSymbol(q.symbol):
		return alphavantage.ServiceInvalidCall, true
	case s.cfg.DailyLimit > 0 && s.quotaUsed.Add(1) > int64(s.cfg.DailyLimit):
		return alphavantage.ServiceRateLimitDay, true
	case s.cfg.FreeTier && q.function == alphavantage.FunctionAdjusted:
		return alphavantage.ServicePremiumEndpoint, true
	case s.cfg.FreeTier && q.outputSize == "full":
		return alphavantage.ServicePremiumOutputSize, true
	}
	return 0, false
}

// refuse answers with the service's JSON refusal of kind, HTTP 200.
func (s *Server) refuse(ctx *fasthttp.RequestCtx, kind alphavantage.ServiceErrorKind) {
	ctx.SetContentType("application/json")
	s.bytes.Add(int64(len(s.refusals[kind])))
	ctx.Response.SetBodyRaw(s.refusals[kind])
}

// body returns the encoded answer to the valid query q, from the cache
// when it is there.
func (s *Server) body(q query) ([]byte, error) {
	key := q.key()
	h := s.hist.load()
	if b := h.cache.get(key); b != nil {
		return b, nil
	}
	bars := h.bars(q.symbol)
	if q.outputSize == "compact" && len(bars) > compactBars {
		bars = bars[len(bars)-compactBars:]
	}
	adjusted := q.function == alphavantage.FunctionAdjusted
	var b bytes.Buffer
	b.Grow(encodedSize(q.dataType, adjusted, len(bars)))
	var err error
	if q.dataType == "csv" {
		err = alphavantage.EncodeCSV(&b, bars, adjusted)
	} else {
		err = alphavantage.EncodeJSON(&b, q.symbol, bars, adjusted, q.outputSize)
	}
	if err != nil {
		return nil, err
	}
	h.cache.put(key, b.Bytes())
	return b.Bytes(), nil
}

// lastDay is the configured last trading day, sample.End when zero.
func lastDay(t time.Time) time.Time {
	if t.IsZero() {
		return sample.End
	}
	return t
}

// encodedSize estimates the size of n encoded bars, so that the buffer
// they are encoded into seldom grows by copying: a JSON bar takes about
// 220 bytes (340 adjusted), a CSV line about 60 (85 adjusted).
func encodedSize(dataType string, adjusted bool, n int) int {
	perBar := 224
	switch {
	case dataType == "csv" && adjusted:
		perBar = 88
	case dataType == "csv":
		perBar = 64
	case adjusted:
		perBar = 344
	}
	return 512 + perBar*n
}

// query is the parameters of one request, with the service's defaults
// filled in.
type query struct {
	function, symbol, outputSize, dataType, apiKey string
}

func parseQuery(args *fasthttp.Args) query {
	q := query{
		function:   string(args.Peek("function")),
		symbol:     strings.ToUpper(string(args.Peek("symbol"))),
		outputSize: string(args.Peek("outputsize")),
		dataType:   string(args.Peek("datatype")),
		apiKey:     string(args.Peek("apikey")),
	}
	if q.outputSize == "" {
		q.outputSize = "compact"
	}
	if q.dataType == "" {
		q.dataType = "json"
	}
	return q
}

// key identifies the answer to q; it leaves out the API key.
func (q query) key() string {
	return q.function + "|" + q.symbol + "|" + q.outputSize + "|" + q.dataType
}

// maxServedSymbolLen is the longest symbol the server knows: a longer one
// passes symbols.Normalize but is refused, so that the invalid-symbol path
// can be shown end to end.
const maxServedSymbolLen = 10

// plausibleSymbol reports whether s, already upper-cased, is a symbol the
// server serves: one symbols.Normalize accepts, at most 10 characters long.
func plausibleSymbol(s string) bool {
	norm, err := symbols.Normalize(s)
	return err == nil && norm == s && len(s) <= maxServedSymbolLen
}

// debugLogger routes fasthttp's log lines to slog at debug level: the
// injected truncations make it complain by design.
type debugLogger struct{ l *slog.Logger }

func (d debugLogger) Printf(format string, args ...any) {
	d.l.Debug(fmt.Sprintf(format, args...), "component", "fasthttp")
}
