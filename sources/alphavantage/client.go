package alphavantage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/url"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

// Defaults of Config, chosen for the live service's free tier
// (about one request a second, 25 a day).
const (
	DefaultURL = "https://www.alphavantage.co/query"
	// DefaultRate is in requests per minute: the free tier's one a second.
	DefaultRate = 60
	// MinRate, in requests per minute, is the floor a run slows down to
	// when the service answers with a rate-limit note: its classic "5
	// calls per minute".
	MinRate         = 5
	DefaultTimeout  = 30 * time.Second
	DefaultRetries  = 3
	DefaultBackoff  = time.Second
	DefaultMaxBody  = 64 << 20
	DefaultOutput   = "compact"
	DefaultDataType = "json"
)

// The two functions the client and the server speak.
const (
	FunctionDaily    = "TIME_SERIES_DAILY"
	FunctionAdjusted = "TIME_SERIES_DAILY_ADJUSTED"
)

// Config configures a Client. The zero value of
// every field but APIKey selects its default.
type Config struct {
	// BaseURL is the query endpoint; DefaultURL when empty.
	// Point it at `loader serve` to work offline.
	BaseURL string
	// APIKey is sent with every request and never appears in an error, a
	// log line or sources.Series.Meta.
	APIKey string
	// Adjusted selects TIME_SERIES_DAILY_ADJUSTED instead of
	// TIME_SERIES_DAILY (a premium function on the live service).
	Adjusted bool
	// OutputSize is "compact" (the newest 100 days, the default) or "full"
	// (20+ years; premium on the live service).
	OutputSize string
	// DataType is the wire format, "json" (the default) or "csv".
	DataType string
	// Concurrency bounds the requests in flight; 1 when zero.
	Concurrency int
	// Rate is the most requests per minute the client starts; DefaultRate
	// when zero, no limit when +Inf. A rate-limit answer from the service
	// halves it, down to MinRate, for the rest of the run.
	Rate float64
	// Timeout bounds one request, body included; DefaultTimeout when zero.
	// It is also how long a cancelled Fetch can take at most, because a
	// fasthttp request in flight cannot be interrupted.
	Timeout time.Duration
	// Retries is how many times a failed request is tried again (so up to
	// Retries+1 attempts); DefaultRetries when zero, none when negative.
	Retries int
	// Backoff is the base of the exponential backoff between attempts;
	// DefaultBackoff when zero.
	Backoff time.Duration
	// MaxBodyBytes caps one answer's size; DefaultMaxBody when zero.
	MaxBodyBytes int64
	// Logger receives retries and slow-downs; slog.Default() when nil.
	Logger *slog.Logger
}

// Client fetches daily series from Alpha Vantage (or a compatible
// server) over one fasthttp client, streaming each answer into the decoder.
// It is safe for concurrent use; Close it when done.
type Client struct {
	base       *url.URL
	function   string
	cfg        Config
	client     *fasthttp.Client
	slots      chan struct{}
	limiter    *rate.Limiter
	minLimit   rate.Limit
	redact     redactor
	log        *slog.Logger
	decodeBody func(io.Reader, string, bool, memory.Allocator) (arrow.RecordBatch, error)
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
	if cfg.MaxBodyBytes <= 0 {
		cfg.MaxBodyBytes = DefaultMaxBody
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	function := FunctionDaily
	if cfg.Adjusted {
		function = FunctionAdjusted
	}
	limit := perMinute(cfg.Rate)
	return &Client{
		base:     base,
		function: function,
		cfg:      cfg,
		client: &fasthttp.Client{
			Name:               "loader",
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
		slots:      make(chan struct{}, cfg.Concurrency),
		limiter:    rate.NewLimiter(limit, 1),
		minLimit:   min(limit, perMinute(MinRate)),
		redact:     redactor{cfg.APIKey},
		log:        cfg.Logger.With("source", "alphavantage"),
		decodeBody: decode,
	}, nil
}

func perMinute(n float64) rate.Limit {
	if math.IsInf(n, 1) {
		return rate.Inf
	}
	return rate.Limit(n / 60)
}

// Name returns "alphavantage".
func (a *Client) Name() string { return "alphavantage" }

// Close releases the client's idle connections.
func (a *Client) Close() error {
	a.client.CloseIdleConnections()
	return nil
}

// Fetch returns symbol's daily series. It retries what may pass on a second
// try (HTTP 429 and 5xx, connection errors, timeouts, bodies cut short,
// rate-limit notes) up to Retries times with jittered exponential backoff,
// and fails at once on what would not (an invalid symbol, a premium
// feature, other 4xx, an answer over MaxBodyBytes). A refused API key or
// a used-up daily quota fails with an error matching ErrInvalidAPIKey or
// ErrDailyLimit: every later request would fail the same way, so a caller
// should stop the run. Errors name the symbol, wrap their cause (a
// *ServiceError, an *HTTPError, a fasthttp or decode error) and never
// contain the key; their Attempts() int method says how many requests
// were made. A cancelled ctx ends waits at once; see
// Config.Timeout for a request in flight.
func (a *Client) Fetch(ctx context.Context, symbol string, mem memory.Allocator) (sources.Series, error) {
	return a.fetch(ctx, symbol, a.cfg.OutputSize, mem)
}

// fetch is Fetch with the output size of this request.
func (a *Client) fetch(ctx context.Context, symbol, outputSize string, mem memory.Allocator) (sources.Series, error) {
	uri := a.queryURI(symbol, outputSize)
	for attempt := 1; ; attempt++ {
		rec, err := a.attempt(ctx, uri, symbol, mem)
		if err == nil {
			return sources.Series{
				Symbol:   symbol,
				Record:   rec,
				Attempts: attempt,
				Meta: map[string]string{
					"source":      "alphavantage",
					"function":    a.function,
					"output_size": outputSize,
					"fetched_at":  time.Now().UTC().Format(time.RFC3339),
				},
			}, nil
		}
		if ctx.Err() != nil {
			return sources.Series{}, &attemptsError{fmt.Errorf("fetch %s: %w", symbol, ctx.Err()), attempt}
		}
		var ae *attemptError
		if !errors.As(err, &ae) || !ae.retry {
			return sources.Series{}, &attemptsError{a.redact.error(fmt.Errorf("fetch %s: %w", symbol, err)), attempt}
		}
		if attempt > a.cfg.Retries {
			return sources.Series{}, &attemptsError{a.redact.error(fmt.Errorf("fetch %s: %w after %d attempts", symbol, err, attempt)), attempt}
		}
		wait := ae.after
		if wait <= 0 {
			wait = backoff(a.cfg.Backoff, attempt)
		}
		a.log.Warn("retrying", "symbol", symbol, "attempt", attempt,
			"reason", a.redact.string(err.Error()), "wait", wait)
		if err := sleep(ctx, wait); err != nil {
			return sources.Series{}, fmt.Errorf("fetch %s: %w", symbol, err)
		}
	}
}

// queryURI returns the request URI for symbol. It holds the key: it is
// never logged nor put in an error.
func (a *Client) queryURI(symbol, outputSize string) string {
	q := url.Values{
		"function":   {a.function},
		"symbol":     {symbol},
		"outputsize": {outputSize},
		"datatype":   {a.cfg.DataType},
		"apikey":     {a.cfg.APIKey},
	}
	u := *a.base
	u.RawQuery = q.Encode()
	return u.String()
}

// attempt makes one request for symbol: it takes a concurrency slot, waits
// for the rate limiter, and streams the answer into the decoder. Its errors
// are *attemptError unless ctx ended.
func (a *Client) attempt(ctx context.Context, uri, symbol string, mem memory.Allocator) (arrow.RecordBatch, error) {
	select {
	case a.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-a.slots }()
	if err := a.limiter.Wait(ctx); err != nil {
		return nil, err
	}

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
		return nil, retryable(a.redact.error(err), 0)
	}
	// Closing before release returns the connection to the pool, or drops
	// it when the body was not read to its end.
	defer resp.CloseBodyStream()
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	switch status := resp.StatusCode(); {
	case status == fasthttp.StatusOK:
	case status == fasthttp.StatusTooManyRequests || status >= 500:
		after := retryAfter(resp.Header.Peek(fasthttp.HeaderRetryAfter), time.Now())
		return nil, retryable(&HTTPError{Status: status}, after)
	default:
		return nil, final(&HTTPError{Status: status})
	}
	if n := resp.Header.ContentLength(); n > 0 && int64(n) > a.cfg.MaxBodyBytes {
		return nil, final(fmt.Errorf("%w: %d bytes, limit %d", ErrBodyTooLarge, n, a.cfg.MaxBodyBytes))
	}

	body := &bodyReader{ctx: ctx, r: resp.BodyStream(), left: a.cfg.MaxBodyBytes}
	rec, err := a.decodeBody(body, symbol, a.cfg.Adjusted, mem)
	if err == nil {
		return rec, nil
	}
	return nil, a.classify(err, symbol)
}

// classify decides what a decode failure means for the next attempt.
func (a *Client) classify(err error, symbol string) error {
	if errors.Is(err, ErrBodyTooLarge) {
		return final(err)
	}
	var se *ServiceError
	if !errors.As(err, &se) {
		// A body cut short or garbled in transit: the next one may be whole.
		return retryable(a.redact.error(err), 0)
	}
	switch {
	case se.Retryable():
		a.slowDown(symbol)
		return retryable(se, 0)
	case se.Kind == ServiceInvalidKey:
		return final(runStopper{se, ErrInvalidAPIKey})
	case se.Kind == ServiceRateLimitDay:
		return final(runStopper{se, ErrDailyLimit})
	}
	return final(se)
}

// slowDown halves the run's request rate, not below minLimit, after the
// service said the client was too fast.
func (a *Client) slowDown(symbol string) {
	old := a.limiter.Limit()
	if old == rate.Inf {
		return
	}
	next := max(old/2, a.minLimit)
	a.limiter.SetLimit(next)
	if next < old {
		a.log.Warn("service rate limit: slowing down", "symbol", symbol, "requests_per_minute", float64(next)*60)
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
