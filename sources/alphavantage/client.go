package alphavantage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/valyala/fasthttp"
	"golang.org/x/net/http/httpproxy"
)

// Defaults of Config, chosen for the live service's free tier
// (about one request a second, 25 a day).
const (
	DefaultURL = "https://www.alphavantage.co/query"
	// DefaultRate is in requests per minute: the free tier's one a second.
	DefaultRate = 60
	// MinRate, in requests per minute, is the floor a run slows down to
	// when the service keeps answering with rate limits: its classic "5
	// calls per minute".
	MinRate         = 5
	DefaultTimeout  = 30 * time.Second
	DefaultRetries  = 3
	DefaultBackoff  = time.Second
	DefaultMaxWait  = 10 * time.Minute
	DefaultMaxBody  = 64 << 20
	DefaultOutput   = "compact"
	DefaultDataType = "json"
)

// HeaderSynthetic is the response header with which `loader serve` marks
// its answers as synthetic data. The client then names the series' source
// SourceSynthetic instead of "alphavantage" in its metadata, so that the
// files, their charts and `loader inspect` say so.
const (
	HeaderSynthetic = "X-Synthetic-Data"
	SourceSynthetic = "alphavantage (synthetic sample data from loader serve)"
)

// Config configures a Client. The zero value of
// every field but APIKey selects its default.
type Config struct {
	// BaseURL is the query endpoint; DefaultURL when empty.
	// Point it at `loader serve` to work offline. Redirects from it are
	// not followed: the request's query holds the key.
	BaseURL string
	// APIKey is sent with every request and never appears in an error, a
	// log line or sources.Series.Meta.
	APIKey string
	// Kind selects the series, and so the service's function (see
	// FunctionName): the zero value is TIME_SERIES_DAILY; adjusted daily
	// bars, TIME_SERIES_DAILY_ADJUSTED, are a premium function on the
	// live service. An intraday Kind asks TIME_SERIES_INTRADAY for its
	// interval, with extended_hours and adjusted as its ExtendedHours and
	// Adjusted say: both are sent, false included, although the service
	// takes true when they are absent.
	Kind sources.Kind
	// OutputSize is "compact" (the newest 100 bars, the default) or "full"
	// (20+ years of daily bars, premium on the live service; the last 30
	// days of intraday bars). Weekly and monthly answers hold the whole
	// history either way.
	OutputSize string
	// DataType is the wire format, "json" (the default) or "csv".
	DataType string
	// Concurrency bounds the requests in flight; 1 when zero.
	Concurrency int
	// Rate is the most requests per minute the client starts; DefaultRate
	// when zero, no limit when +Inf. The client adapts it to the
	// service's limits: a rate-limit answer (a "Note", the per-second
	// "Information", HTTP 429) halves what it was sending, at most once a
	// minute, and a minute without one raises it a step back toward Rate,
	// never below MinRate.
	Rate float64
	// Timeout bounds one request, body included; DefaultTimeout when zero.
	// It is also how long a cancelled Fetch can take at most, because a
	// fasthttp request in flight cannot be interrupted.
	Timeout time.Duration
	// Retries is how many times a failed request is tried again (so up to
	// Retries+1 failed attempts); DefaultRetries when zero, none when
	// negative. Rate-limit answers do not count: they are no fault of the
	// symbol's, and MaxWait bounds them.
	Retries int
	// Backoff is the base of the exponential backoff between attempts;
	// DefaultBackoff when zero.
	Backoff time.Duration
	// MaxWait bounds the total time one symbol waits between its attempts
	// (backoff, Retry-After, waits after rate-limit answers, but not the
	// pacing of the rate limit); DefaultMaxWait when zero. A symbol whose
	// next wait would pass it fails with an error matching ErrMaxWait.
	MaxWait time.Duration
	// MaxRequests, when positive, is the budget of requests of the
	// client's life (25 suits a free key's day). Once it is spent the
	// client behaves as after the daily quota: no new request, those in
	// flight finish, the rest fail with an error matching
	// ErrRequestBudget.
	MaxRequests int
	// MaxBodyBytes caps one answer's size; DefaultMaxBody when zero.
	MaxBodyBytes int64
	// Logger receives retries, slow-downs and the client's closing for
	// new requests; slog.Default() when nil.
	Logger *slog.Logger
}

// Client fetches series of one Kind from Alpha Vantage (or a compatible
// server) over one fasthttp client, streaming each answer into the decoder.
// It honours HTTP_PROXY, HTTPS_PROXY and NO_PROXY (and their lower-case
// forms) as net/http does, never for localhost or a loopback address, and
// trusts the system's certificate authorities (SSL_CERT_FILE and
// SSL_CERT_DIR add to them).
//
// A client closes for new requests, for the rest of its life, when it is
// stopped (Stop), when the daily quota or MaxRequests is used up, and
// after a refusal that every symbol would get (a bad or demo key, a
// premium feature): no request starts after that, neither for a new
// symbol nor as a retry; requests in flight finish and keep their data.
//
// It is safe for concurrent use; Close it when done.
type Client struct {
	base       *url.URL
	layout     layout
	cfg        Config
	client     *fasthttp.Client
	slots      chan struct{}
	pace       *pacer
	gate       *gate
	redact     redactor
	log        *slog.Logger
	decodeBody func(io.Reader, string, sources.Kind, memory.Allocator) (arrow.RecordBatch, error)
}

// New returns a client for cfg, or an error naming the first
// invalid setting.
func New(cfg Config) (*Client, error) {
	if cfg.APIKey == "" {
		return nil, errors.New("alphavantage: no API key (get a free one at https://www.alphavantage.co/support/#api-key)")
	}
	if cfg.BaseURL == "" {
		cfg.BaseURL = DefaultURL
	}
	base, err := url.Parse(cfg.BaseURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") || base.Host == "" {
		return nil, fmt.Errorf("alphavantage: base URL %q is not an http(s) URL", cfg.BaseURL)
	}
	l, err := layoutOf(cfg.Kind)
	if err != nil {
		return nil, fmt.Errorf("alphavantage: kind: %w", err)
	}
	if cfg.OutputSize == "" {
		cfg.OutputSize = DefaultOutput
	}
	if cfg.OutputSize != "compact" && cfg.OutputSize != "full" {
		return nil, fmt.Errorf("alphavantage: output size %q: want compact or full", cfg.OutputSize)
	}
	if cfg.DataType == "" {
		cfg.DataType = DefaultDataType
	}
	decode := DecodeJSON
	switch cfg.DataType {
	case "json":
	case "csv":
		decode = DecodeCSV
	default:
		return nil, fmt.Errorf("alphavantage: data type %q: want json or csv", cfg.DataType)
	}
	cfg.Concurrency = max(cfg.Concurrency, 1)
	switch {
	case cfg.Rate == 0:
		cfg.Rate = DefaultRate
	case cfg.Rate < 0 || math.IsNaN(cfg.Rate):
		return nil, fmt.Errorf("alphavantage: rate %v requests per minute: want a positive number", cfg.Rate)
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	switch {
	case cfg.Retries == 0:
		cfg.Retries = DefaultRetries
	case cfg.Retries < 0:
		cfg.Retries = 0
	}
	if cfg.Backoff <= 0 {
		cfg.Backoff = DefaultBackoff
	}
	switch {
	case cfg.MaxWait == 0:
		cfg.MaxWait = DefaultMaxWait
	case cfg.MaxWait < 0:
		return nil, fmt.Errorf("alphavantage: max wait %v: want a positive duration", cfg.MaxWait)
	}
	if cfg.MaxRequests < 0 {
		return nil, fmt.Errorf("alphavantage: max requests %d: want a positive number, or 0 for no budget", cfg.MaxRequests)
	}
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	log := cfg.Logger.With("source", "alphavantage")
	redact := redactor{cfg.APIKey}
	dial, proxy, err := proxyDialer(base, httpproxy.FromEnvironment(), cfg.Timeout)
	if err != nil {
		return nil, fmt.Errorf("alphavantage: %w", err)
	}
	if proxy != nil {
		redact = append(redact, proxySecrets(proxy)...)
		log.Info("connecting through a proxy from the environment", "proxy", proxy.Redacted())
	}
	return &Client{
		base:   base,
		layout: l,
		cfg:    cfg,
		client: &fasthttp.Client{
			Name:               "loader",
			Dial:               dial,
			MaxConnsPerHost:    cfg.Concurrency,
			MaxConnWaitTimeout: cfg.Timeout,
			StreamResponseBody: true,
			// The decoder reads the stream through this buffer: 64 KiB
			// instead of 4 KiB cuts the syscalls per full history 16-fold
			// (a JSON fetch went from 6.5 to about 4 ms in the benchmark).
			ReadBufferSize: 64 << 10,
			// Retries are this client's business: fasthttp's own would
			// bypass the rate limiter and the attempt count.
			MaxIdemponentCallAttempts: 1,
		},
		slots: make(chan struct{}, cfg.Concurrency),
		pace:  newPacer(cfg.Rate, log),
		gate: newGate(cfg.MaxRequests, func(reason error) {
			log.Warn("starting no new requests", "reason", redact.string(reason.Error()))
		}),
		redact:     redact,
		log:        log,
		decodeBody: decode,
	}, nil
}

// Name returns "alphavantage".
func (a *Client) Name() string { return "alphavantage" }

// Close releases the client's idle connections.
func (a *Client) Close() error {
	a.client.CloseIdleConnections()
	return nil
}

// Stop closes the client for new requests: after it returns, no Fetch
// starts a request, neither for a new symbol nor as a retry, and such
// Fetches fail at once with an error matching sources.ErrStopped. Requests
// in flight finish and keep their data. Stop implements sources.Stopper;
// it is safe to call concurrently with Fetch, and more than once.
func (a *Client) Stop() { a.gate.close(sources.ErrStopped) }

// Fetch returns symbol's series of Config.Kind, of Config.OutputSize.
//
// It retries what may pass on a second try (HTTP 5xx, connection errors,
// timeouts, bodies cut short or garbled) up to Retries times with
// jittered exponential backoff, or after the server's Retry-After (capped
// at 2 minutes). A rate-limit answer (a "Note", the per-second
// "Information", HTTP 429) slows the whole client down and is retried
// without using up a retry. The waits of one symbol are bounded by
// MaxWait in total.
//
// It fails at once on what would not pass: an invalid symbol, other 4xx,
// a redirect, an untrusted TLS certificate, an answer over MaxBodyBytes
// or one naming another symbol. A refusal that every symbol would get
// fails with an error matching ErrInvalidAPIKey or ErrPremium (and
// sources.ErrFatal); a used-up quota with ErrDailyLimit or
// ErrRequestBudget (and sources.ErrQuota). After those, and after Stop,
// the client starts no new request (see Client).
//
// Errors name the symbol, wrap their cause (a *ServiceError, an
// *HTTPError, a fasthttp, TLS or decode error) and never contain the key;
// their Attempts() int method says how many requests were made. A
// cancelled ctx ends waits at once; see Config.Timeout for a request in
// flight.
func (a *Client) Fetch(ctx context.Context, symbol string, mem memory.Allocator) (sources.Series, error) {
	return a.fetch(ctx, request{symbol: symbol, outputSize: a.cfg.OutputSize}, mem)
}

// request is what one Fetch asks for.
type request struct {
	symbol     string
	outputSize string
	// month, when set, asks for the intraday bars of that month.
	month *sources.Month
}

// name names the request in errors: the symbol, and the month if any.
func (r request) name() string {
	if r.month != nil {
		return r.symbol + " " + r.month.String()
	}
	return r.symbol
}

// outsideMonth returns an error when an intraday record answering for
// month holds a bar of another month; nil when month is nil.
func outsideMonth(rec arrow.RecordBatch, month *sources.Month) error {
	if month == nil || rec.NumRows() == 0 {
		return nil
	}
	col, _, err := sources.TimeAxis(rec.Schema())
	if err != nil {
		return err
	}
	stamps := rec.Column(col).(*array.Timestamp)
	for _, at := range []int{0, stamps.Len() - 1} { // the rows are ascending
		if t := time.UnixMicro(int64(stamps.Value(at))); sources.MonthOf(t) != *month {
			return fmt.Errorf("%w: the answer for %s holds a bar of %s", ErrWrongMonth, month, t.In(sources.Exchange).Format(time.DateTime))
		}
	}
	return nil
}

// fetch makes req, retrying as Fetch says.
func (a *Client) fetch(ctx context.Context, req request, mem memory.Allocator) (sources.Series, error) {
	symbol := req.symbol
	uri := a.queryURI(req)
	var (
		attempts int           // requests made
		failures int           // failed attempts that count against Retries
		waited   time.Duration // between attempts
		last     error         // the last attempt's failure
	)
	fail := func(err error) (sources.Series, error) {
		return sources.Series{}, &fetchError{what: req.name(), attempts: attempts, err: a.redact.error(err)}
	}
	notStarted := func(reason error) (sources.Series, error) {
		return fail(&notStartedError{reason: reason, last: last, attempts: attempts})
	}
	for rateLimited := 0; ; {
		rec, r := a.attempt(ctx, uri, symbol, mem)
		if r.sent {
			attempts++
		}
		var wait time.Duration
		switch r.next {
		case done:
			if err := outsideMonth(rec, req.month); err != nil {
				rec.Release()
				return fail(err)
			}
			source := "alphavantage"
			if r.synthetic {
				source = SourceSynthetic
			}
			meta := map[string]string{
				"source":      source,
				"function":    a.layout.function,
				"output_size": req.outputSize,
				"fetched_at":  time.Now().UTC().Format(time.RFC3339),
			}
			if a.layout.intraday {
				meta["interval"] = a.cfg.Kind.Interval
			}
			if req.month != nil {
				meta["month"] = req.month.String()
			}
			return sources.Series{Symbol: symbol, Record: rec, Attempts: attempts, Meta: meta}, nil
		case cancelled:
			return fail(r.err)
		case closed:
			return notStarted(r.err)
		case final:
			var se *ServiceError
			if a.layout.intraday && errors.As(r.err, &se) && se.Kind == ServiceInvalidCall {
				return fail(fmt.Errorf("%w (for %s bars: an unknown symbol, or a month before the service's intraday history)", r.err, a.layout.describe()))
			}
			return fail(r.err)
		case retry:
			if failures++; failures > a.cfg.Retries {
				return fail(fmt.Errorf("%w after %d %s", r.err, attempts, plural(attempts, "attempt")))
			}
			wait = backoff(a.cfg.Backoff, failures)
		case slowDown:
			rateLimited++
			wait = backoff(a.cfg.Backoff, rateLimited)
		}
		last = r.err
		if r.after > 0 {
			wait = r.after
		}
		if waited+wait > a.cfg.MaxWait {
			return fail(&maxWaitError{last: r.err, attempts: attempts, waited: waited, next: wait, of: a.cfg.MaxWait})
		}
		args := []any{"symbol", symbol}
		if req.month != nil {
			args = append(args, "month", req.month.String())
		}
		args = append(args, "attempt", attempts, "reason", a.redact.string(r.err.Error()), "wait", wait)
		if r.capped {
			args = append(args, "bound", fmt.Sprintf("Retry-After capped at %v per retry", maxRetryAfter))
		}
		a.log.Warn("retrying", args...)
		switch err := a.sleep(ctx, wait); {
		case errors.Is(err, errClosed):
			return notStarted(a.gate.err())
		case err != nil:
			return fail(err)
		}
		waited += wait
	}
}

// queryURI returns the request URI for req. It holds the key: it is
// never logged nor put in an error.
func (a *Client) queryURI(req request) string {
	q := url.Values{
		"function":   {a.layout.function},
		"symbol":     {req.symbol},
		"outputsize": {req.outputSize},
		"datatype":   {a.cfg.DataType},
		"apikey":     {a.cfg.APIKey},
	}
	if k := a.cfg.Kind; a.layout.intraday {
		q.Set("interval", k.Interval)
		q.Set("extended_hours", strconv.FormatBool(k.ExtendedHours))
		q.Set("adjusted", strconv.FormatBool(k.Adjusted))
		if req.month != nil {
			q.Set("month", req.month.String())
		}
	}
	u := *a.base
	u.RawQuery = q.Encode()
	return u.String()
}

// errClosed reports a wait ended by the client's closing for new
// requests; the gate says why.
var errClosed = errors.New("closed for new requests")

// next is what an attempt's outcome asks of Fetch.
type next int

const (
	done      next = iota // the series is here
	cancelled             // ctx ended
	closed                // the client is closed for new requests
	final                 // another attempt would fail the same way
	retry                 // another attempt may pass; it uses up a retry
	slowDown              // a rate limit: another attempt may pass later
)

// outcome is how one attempt ended.
type outcome struct {
	next next
	// sent reports whether a request was made.
	sent bool
	// err is why the attempt failed: the context's error, the gate's
	// reason, or the failure, redacted.
	err error
	// after, when positive, is the wait the server asked for
	// (Retry-After); it replaces the jittered backoff. capped reports
	// that the server asked for more than maxRetryAfter.
	after  time.Duration
	capped bool
	// synthetic reports an answer marked with HeaderSynthetic.
	synthetic bool
}

// attempt makes one request for symbol, if the client is open for new
// requests: it takes a concurrency slot, waits for the rate limiter,
// passes the gate, and streams the answer into the decoder.
func (a *Client) attempt(ctx context.Context, uri, symbol string, mem memory.Allocator) (arrow.RecordBatch, outcome) {
	if err := a.gate.err(); err != nil {
		return nil, outcome{next: closed, err: err}
	}
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, outcome{next: cancelled, err: ctx.Err()}
	case <-a.gate.done():
		return nil, outcome{next: closed, err: a.gate.err()}
	}
	defer func() { <-a.slots }()
	switch err := a.pace.wait(ctx, a.gate.done()); {
	case errors.Is(err, errClosed):
		return nil, outcome{next: closed, err: a.gate.err()}
	case err != nil:
		return nil, outcome{next: cancelled, err: err}
	}
	if err := a.gate.admit(); err != nil {
		return nil, outcome{next: closed, err: err}
	}
	a.pace.sent()
	rec, r := a.exchange(ctx, uri, symbol, mem)
	r.sent = true
	switch r.next {
	case slowDown:
		a.pace.limited(symbol)
	case done, retry, final:
		a.pace.accept()
	}
	return rec, r
}

// exchange sends the request and reads its answer.
func (a *Client) exchange(ctx context.Context, uri, symbol string, mem memory.Allocator) (arrow.RecordBatch, outcome) {
	req := fasthttp.AcquireRequest()
	defer fasthttp.ReleaseRequest(req)
	resp := fasthttp.AcquireResponse()
	defer fasthttp.ReleaseResponse(resp)
	req.SetRequestURI(uri)
	req.Header.SetMethod(fasthttp.MethodGet)

	deadline := time.Now().Add(a.cfg.Timeout)
	if d, ok := ctx.Deadline(); ok && d.Before(deadline) {
		deadline = d
	}
	if err := a.client.DoDeadline(req, resp, deadline); err != nil {
		switch cert := certificateError(err); {
		case ctx.Err() != nil:
			return nil, outcome{next: cancelled, err: ctx.Err()}
		case cert != nil:
			return nil, outcome{next: final, err: a.redact.error(cert)}
		}
		return nil, outcome{next: retry, err: a.redact.error(err)}
	}
	// Closing before release returns the connection to the pool, or drops
	// it when the body was not read to its end.
	defer resp.CloseBodyStream()
	if err := ctx.Err(); err != nil {
		return nil, outcome{next: cancelled, err: err}
	}

	switch status := resp.StatusCode(); {
	case status == fasthttp.StatusOK:
	case status == fasthttp.StatusTooManyRequests:
		after, capped := retryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), time.Now())
		return nil, outcome{next: slowDown, err: &HTTPError{Status: status}, after: after, capped: capped}
	case status >= 500:
		after, capped := retryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), time.Now())
		return nil, outcome{next: retry, err: &HTTPError{Status: status}, after: after, capped: capped}
	case isRedirect(status):
		return nil, outcome{next: final, err: a.redirectError(status, resp.Header.Peek(fasthttp.HeaderLocation))}
	default:
		return nil, outcome{next: final, err: &HTTPError{Status: status}}
	}
	if n := resp.Header.ContentLength(); n > 0 && int64(n) > a.cfg.MaxBodyBytes {
		return nil, outcome{next: final, err: fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, n, a.cfg.MaxBodyBytes)}
	}

	synthetic := len(resp.Header.Peek(HeaderSynthetic)) > 0
	body := &bodyReader{ctx: ctx, r: resp.BodyStream(), left: a.cfg.MaxBodyBytes}
	rec, err := a.decodeBody(body, symbol, a.cfg.Kind, mem)
	if err == nil {
		return rec, outcome{next: done, synthetic: synthetic}
	}
	if ctx.Err() != nil {
		return nil, outcome{next: cancelled, err: ctx.Err()}
	}
	return nil, a.classify(err)
}

// classify decides what a decode failure means for the next attempt, and
// closes the client for new requests after a refusal that every later
// request would get too.
func (a *Client) classify(err error) outcome {
	if errors.Is(err, ErrBodyTooLarge) || errors.Is(err, ErrSymbolMismatch) {
		return outcome{next: final, err: a.redact.error(err)}
	}
	var se *ServiceError
	if !errors.As(err, &se) {
		// A body cut short or garbled in transit: the next one may be whole.
		return outcome{next: retry, err: a.redact.error(err)}
	}
	// The daily-limit text echoes the key.
	se.Message = a.redact.string(se.Message)
	var sentinel error
	switch {
	case se.Retryable():
		return outcome{next: slowDown, err: se}
	case se.Kind == ServiceInvalidKey || se.Kind == ServiceDemoKey:
		sentinel = ErrInvalidAPIKey
	case se.Premium():
		sentinel = ErrPremium
	case se.Kind == ServiceRateLimitDay:
		sentinel = ErrDailyLimit
	default:
		return outcome{next: final, err: se}
	}
	refusal := runWide{se, sentinel}
	a.gate.close(refusal)
	return outcome{next: final, err: refusal}
}

// sleep waits d, or until ctx is done or the client closes for new
// requests, whichever comes first; it returns ctx's error or errClosed in
// the latter cases.
func (a *Client) sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-a.gate.done():
		return errClosed
	}
}

// bodyReader reads an answer from r for the decoder. It fails with
// ErrBodyTooLarge once more than left bytes have come through, so that a
// runaway answer costs bounded memory, and with ctx's error once ctx is
// done, so that a cancelled fetch stops decoding at once.
type bodyReader struct {
	ctx  context.Context
	r    io.Reader
	left int64
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if err := b.ctx.Err(); err != nil {
		return 0, err
	}
	if b.left < 0 {
		return 0, ErrBodyTooLarge
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n, ErrBodyTooLarge
	}
	return n, err
}
