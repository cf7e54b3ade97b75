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

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
	"github.com/seed-c7c8f39b/loader/symbols"

	"github.com/valyala/fasthttp"
)

// defaultCacheBytes is the default budget of a Server's encoded answers:
// room for a few dozen full histories.
const defaultCacheBytes = 64 << 20

// Config configures a Server. The zero value answers every valid
// request at once, correctly, for any non-empty API key.
type Config struct {
	// APIKey, when set, is the only key accepted; otherwise any non-empty
	// key is. A missing or wrong key gets the service's apikey error.
	APIKey string
	// FreeTier answers TIME_SERIES_DAILY_ADJUSTED and the daily
	// outputsize=full with the premium refusals the live service sends a
	// free key; the weekly, monthly and intraday functions stay free, as
	// on the service.
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

// Server answers GET /query like Alpha Vantage's time series functions
// (TIME_SERIES_DAILY, _WEEKLY, _MONTHLY, their _ADJUSTED forms and
// TIME_SERIES_INTRADAY) over the synthetic sample data: the same
// parameters (function, symbol, outputsize, datatype, apikey; interval,
// month, extended_hours and adjusted for intraday), the same JSON and CSV
// layouts, and the same refusals, sent as HTTP 200 with a JSON body.
// Symbols are case-insensitive: "ibm" is served sample.Series("IBM").
//
// The daily series is the sample history up to LastDay, with the
// dividends of AddDividend; the weekly and monthly ones are aggregated
// from it by sample.Periods, whatever the outputsize. Intraday bars are
// sample.Intraday's: a month=YYYY-MM in full, or without a month the
// newest 100 bars (compact) or the last 30 days up to LastDay (full);
// extended_hours and adjusted default to true, as on the service. An
// interval the service does not have, or a month before sample.Start's,
// gets the service's invalid-call refusal; a month after LastDay's is a
// valid series without bars, as a month not traded yet would be.
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
	// invalidCalls are the invalid-call refusals by function.
	invalidCalls map[string][]byte
	perQuery     requestCounts
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
	s.invalidCalls = make(map[string][]byte, len(functions))
	for f := range functions {
		var b bytes.Buffer
		if err := alphavantage.EncodeInvalidCall(&b, f); err != nil {
			return nil, fmt.Errorf("server: %w", err)
		}
		s.invalidCalls[f] = b.Bytes()
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
	s.perQuery.add(q.symbol, q.month)
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

	kind, refusal, refused := s.check(q)
	if refused {
		if refusal == alphavantage.ServiceInvalidCall {
			s.refuseCall(ctx, q.function)
			return
		}
		s.refuse(ctx, refusal)
		return
	}
	body, err := s.body(q, kind)
	if err != nil {
		s.cfg.Logger.Error("serve: encode answer", "query", q.key(), "err", err)
		ctx.Error("Internal Server Error", fasthttp.StatusInternalServerError)
		return
	}
	ctx.Response.Header.Set(alphavantage.HeaderSynthetic, "loader serve")
	if q.dataType == "csv" {
		ctx.SetContentType("application/x-download")
		ctx.Response.Header.Set(fasthttp.HeaderContentDisposition, "attachment; filename="+csvFileName(q))
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

// check returns the kind of series q asks for or, if the service would
// refuse q, its refusal, in the service's order: the key first, then the
// call, then the plan's limits.
func (s *Server) check(q query) (sources.Kind, alphavantage.ServiceErrorKind, bool) {
	kind, valid := q.kind()
	switch {
	case q.apiKey == "" || (s.cfg.APIKey != "" && q.apiKey != s.cfg.APIKey):
		return kind, alphavantage.ServiceInvalidKey, true
	case !valid,
		q.outputSize != "compact" && q.outputSize != "full",
		q.dataType != "json" && q.dataType != "csv",
		!plausibleSymbol(q.symbol):
		return kind, alphavantage.ServiceInvalidCall, true
	case s.cfg.DailyLimit > 0 && s.quotaUsed.Add(1) > int64(s.cfg.DailyLimit):
		return kind, alphavantage.ServiceRateLimitDay, true
	case s.cfg.FreeTier && q.function == alphavantage.FunctionAdjusted:
		return kind, alphavantage.ServicePremiumEndpoint, true
	case s.cfg.FreeTier && q.outputSize == "full" && q.function == alphavantage.FunctionDaily:
		return kind, alphavantage.ServicePremiumOutputSize, true
	}
	return kind, 0, false
}

// refuse answers with the service's JSON refusal of kind, HTTP 200.
func (s *Server) refuse(ctx *fasthttp.RequestCtx, kind alphavantage.ServiceErrorKind) {
	s.send(ctx, s.refusals[kind])
}

// refuseCall answers with the service's invalid-call refusal of a
// request for function, HTTP 200.
func (s *Server) refuseCall(ctx *fasthttp.RequestCtx, function string) {
	body, ok := s.invalidCalls[function]
	if !ok {
		body = s.refusals[alphavantage.ServiceInvalidCall]
	}
	s.send(ctx, body)
}

// send answers with refusal, a service payload, HTTP 200.
func (s *Server) send(ctx *fasthttp.RequestCtx, refusal []byte) {
	ctx.SetContentType("application/json")
	s.bytes.Add(int64(len(refusal)))
	ctx.Response.SetBodyRaw(refusal)
}

// body returns the encoded answer to the valid query q for a series of
// kind, from the cache when it is there.
func (s *Server) body(q query, kind sources.Kind) ([]byte, error) {
	key := q.key()
	h := s.hist.load()
	if b := h.cache.get(key); b != nil {
		return b, nil
	}
	bars := h.answer(q, kind)
	var b bytes.Buffer
	b.Grow(encodedSize(q.dataType, kind, len(bars)))
	var err error
	if q.dataType == "csv" {
		err = alphavantage.EncodeCSV(&b, bars, kind)
	} else {
		err = alphavantage.EncodeJSON(&b, q.symbol, bars, kind, q.outputSize)
	}
	if err != nil {
		return nil, err
	}
	h.cache.put(key, b.Bytes())
	return b.Bytes(), nil
}

// answer returns the bars of the series of kind that h answers the valid
// query q with, oldest first.
func (h *history) answer(q query, kind sources.Kind) []sources.Bar {
	if kind.IsIntraday() {
		if q.month != "" {
			month, _ := sources.ParseMonth(q.month) // checked valid
			return sample.Intraday(q.symbol, month, kind, h.last)
		}
		return sample.RecentIntraday(q.symbol, kind, sources.OutputSize(q.outputSize), h.last)
	}
	return sample.Select(h.bars(q.symbol), kind, sources.OutputSize(q.outputSize))
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
// 220 bytes (340 adjusted), a CSV line about 60 (85 adjusted), and an
// intraday timestamp 9 bytes more than a date.
func encodedSize(dataType string, kind sources.Kind, n int) int {
	perBar := 224
	switch {
	case dataType == "csv" && kind.Adjusted && !kind.IsIntraday():
		perBar = 88
	case dataType == "csv":
		perBar = 64
	case kind.Adjusted && !kind.IsIntraday():
		perBar = 344
	}
	if kind.IsIntraday() {
		perBar += 9
	}
	return 512 + perBar*n
}

// functions maps the functions the server speaks to their kind of series;
// an intraday one takes its interval and settings from the query.
var functions = map[string]sources.Kind{
	alphavantage.FunctionDaily:           {},
	alphavantage.FunctionAdjusted:        {Adjusted: true},
	alphavantage.FunctionWeekly:          {Function: sources.Weekly},
	alphavantage.FunctionWeeklyAdjusted:  {Function: sources.Weekly, Adjusted: true},
	alphavantage.FunctionMonthly:         {Function: sources.Monthly},
	alphavantage.FunctionMonthlyAdjusted: {Function: sources.Monthly, Adjusted: true},
	alphavantage.FunctionIntraday:        {Function: sources.Intraday},
}

// firstMonth is the oldest month of intraday history the server serves.
var firstMonth = sources.MonthOfDay(sample.Start)

// query is the parameters of one request, with the service's defaults
// filled in.
type query struct {
	function, symbol, outputSize, dataType, apiKey string
	// The intraday parameters: month is "" when the request has none.
	interval, month, extendedHours, adjusted string
}

func parseQuery(args *fasthttp.Args) query {
	q := query{
		function:      string(args.Peek("function")),
		symbol:        strings.ToUpper(string(args.Peek("symbol"))),
		outputSize:    string(args.Peek("outputsize")),
		dataType:      string(args.Peek("datatype")),
		apiKey:        string(args.Peek("apikey")),
		interval:      string(args.Peek("interval")),
		month:         string(args.Peek("month")),
		extendedHours: string(args.Peek("extended_hours")),
		adjusted:      string(args.Peek("adjusted")),
	}
	if q.outputSize == "" {
		q.outputSize = "compact"
	}
	if q.dataType == "" {
		q.dataType = "json"
	}
	if q.extendedHours == "" {
		q.extendedHours = "true"
	}
	if q.adjusted == "" {
		q.adjusted = "true"
	}
	return q
}

// kind returns the kind of series q asks for, and whether the service
// serves it: a known function and, for intraday, an interval it has,
// true or false settings, and a month, if any, from firstMonth on.
func (q query) kind() (sources.Kind, bool) {
	kind, ok := functions[q.function]
	if !ok || !kind.IsIntraday() {
		return kind, ok
	}
	kind.Interval = q.interval
	kind.ExtendedHours = q.extendedHours == "true"
	kind.Adjusted = q.adjusted == "true"
	if kind.Validate() != nil || !isBool(q.extendedHours) || !isBool(q.adjusted) {
		return kind, false
	}
	if q.month != "" {
		month, err := sources.ParseMonth(q.month)
		if err != nil || month.Before(firstMonth) {
			return kind, false
		}
	}
	return kind, true
}

func isBool(s string) bool { return s == "true" || s == "false" }

// key identifies the answer to q; it leaves out the API key.
func (q query) key() string {
	k := q.function + "|" + q.symbol + "|" + q.outputSize + "|" + q.dataType
	if q.function == alphavantage.FunctionIntraday {
		k += "|" + q.interval + "|" + q.month + "|" + q.extendedHours + "|" + q.adjusted
	}
	return k
}

// csvFileName is the name under which a CSV answer to q is offered, as
// the service names its downloads: "daily_IBM.csv",
// "intraday_5min_IBM.csv".
func csvFileName(q query) string {
	name := strings.ToLower(strings.TrimPrefix(q.function, "TIME_SERIES_"))
	if q.function == alphavantage.FunctionIntraday {
		name += "_" + q.interval
	}
	return name + "_" + q.symbol + ".csv"
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
