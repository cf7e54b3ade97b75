package alphavantage

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/valyala/fasthttp"
	"golang.org/x/time/rate"
)

func TestRedactor(t *testing.T) {
	r := redactor{"s3cr3t-key"}
	cause := errors.New(`GET "http://h/query?apikey=s3cr3t-key&symbol=IBM": s3cr3t-key refused`)
	err := r.error(cause)
	if got, want := err.Error(), `GET "http://h/query?apikey=REDACTED&symbol=IBM": REDACTED refused`; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if !errors.Is(err, cause) {
		t.Error("the redacted error lost its cause")
	}
	if (redactor{}).error(cause) != cause {
		t.Error("no secret: the error should be passed through")
	}
	// Found by internal/torture's chaos run: a key with characters that
	// the query string escapes leaked in errors quoting the request URI.
	escaped := redactor{"k/y+1="}.string(`GET "/query?apikey=k%2Fy%2B1%3D": k/y+1= refused`)
	if want := `GET "/query?apikey=REDACTED": REDACTED refused`; escaped != want {
		t.Errorf("got %q, want %q", escaped, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"7", 7 * time.Second},
		{"86400", maxRetryAfter},
		{"-3", 0},
		{"soon", 0},
		{now.Add(30 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 30 * time.Second},
		{now.Add(-time.Hour).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 0},
		{now.Add(24 * time.Hour).Format("Mon, 02 Jan 2006 15:04:05 GMT"), maxRetryAfter},
	} {
		t.Run(tt.header, func(t *testing.T) {
			if got := retryAfter([]byte(tt.header), now); got != tt.want {
				t.Errorf("retryAfter(%q) = %v, want %v", tt.header, got, tt.want)
			}
		})
	}
}

func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "120", "Wed, 21 Oct 2015 07:28:00 GMT", "99999999999999999999", "1.5"} {
		f.Add(s)
	}
	now := time.Now()
	f.Fuzz(func(t *testing.T, header string) {
		if d := retryAfter([]byte(header), now); d < 0 || d > maxRetryAfter {
			t.Errorf("retryAfter(%q) = %v, want within [0, %v]", header, d, maxRetryAfter)
		}
	})
}

func TestBackoffBounds(t *testing.T) {
	for attempt := 1; attempt <= 70; attempt++ {
		ceiling := min(maxBackoff, time.Millisecond<<min(attempt-1, 40))
		for range 100 {
			if d := backoff(time.Millisecond, attempt); d <= 0 || d > ceiling {
				t.Fatalf("attempt %d: backoff %v, want within (0, %v]", attempt, d, ceiling)
			}
		}
	}
}

func TestBodyReader(t *testing.T) {
	body := strings.Repeat("x", 1000)
	for _, tt := range []struct {
		name    string
		limit   int64
		wantErr error
	}{
		{"under the limit", 1001, nil},
		{"at the limit", 1000, nil},
		{"over the limit", 999, ErrBodyTooLarge},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := &bodyReader{ctx: context.Background(), r: iotest.HalfReader(strings.NewReader(body)), left: tt.limit}
			got, err := io.ReadAll(r)
			if !errors.Is(err, tt.wantErr) {
				t.Fatalf("error %v, want %v", err, tt.wantErr)
			}
			if int64(len(got)) > tt.limit+1 {
				t.Errorf("read %d bytes past a limit of %d", len(got), tt.limit)
			}
		})
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := &bodyReader{ctx: ctx, r: strings.NewReader(body), left: 5000}
	if _, err := io.ReadAll(r); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: error %v, want context.Canceled", err)
	}
}

// TestClassify checks which decode failures are retried.
func TestClassify(t *testing.T) {
	a := &Client{}
	for _, tt := range []struct {
		name  string
		err   error
		retry bool
		is    error
	}{
		{"cut short", io.ErrUnexpectedEOF, true, io.ErrUnexpectedEOF},
		{"too large", ErrBodyTooLarge, false, ErrBodyTooLarge},
		{"invalid call", &ServiceError{Kind: ServiceInvalidCall}, false, nil},
		{"invalid key", &ServiceError{Kind: ServiceInvalidKey}, false, ErrInvalidAPIKey},
		{"daily limit", &ServiceError{Kind: ServiceRateLimitDay}, false, ErrDailyLimit},
		{"premium", &ServiceError{Kind: ServicePremiumEndpoint}, false, nil},
		{"timeout", fasthttp.ErrTimeout, true, fasthttp.ErrTimeout},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := a.classify(tt.err, "IBM").(*attemptError)
			if got.retry != tt.retry {
				t.Errorf("retry %v, want %v", got.retry, tt.retry)
			}
			if tt.is != nil && !errors.Is(got, tt.is) {
				t.Errorf("errors.Is(%v, %v) = false", got, tt.is)
			}
		})
	}
}

func TestSlowDown(t *testing.T) {
	for _, tt := range []struct {
		name      string
		perMinute float64
		want      rate.Limit
	}{
		{"halves down to the floor", DefaultRate, perMinute(MinRate)},
		{"a rate below the floor stays", 2, perMinute(2)},
		{"no limit stays", math.Inf(1), rate.Inf},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, err := New(Config{APIKey: "k", Rate: tt.perMinute, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			a.slowDown("IBM")
			if tt.perMinute == DefaultRate && a.limiter.Limit() != perMinute(DefaultRate/2) {
				t.Errorf("after one slow-down: %v per second, want half of %v", a.limiter.Limit(), perMinute(DefaultRate))
			}
			for range 10 {
				a.slowDown("IBM")
			}
			if got := a.limiter.Limit(); got != tt.want {
				t.Errorf("limit %v per second, want %v", got, tt.want)
			}
		})
	}
}
