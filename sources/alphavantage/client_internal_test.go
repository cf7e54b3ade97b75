package alphavantage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/valyala/fasthttp"
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
	// A proxy's credentials are secrets too, beside the key.
	both := redactor{"s3cr3t-key", "user:pa55", "pa55"}.string(`dial http://user:pa55@proxy:3128 for apikey=s3cr3t-key: pa55`)
	if want := `dial http://REDACTED@proxy:3128 for apikey=REDACTED: REDACTED`; both != want {
		t.Errorf("got %q, want %q", both, want)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC)
	for _, tt := range []struct {
		header string
		want   time.Duration
		capped bool
	}{
		{"", 0, false},
		{"0", 0, false},
		{"7", 7 * time.Second, false},
		{"120", maxRetryAfter, false},
		{"121", maxRetryAfter, true},
		{"86400", maxRetryAfter, true},
		{"999999", maxRetryAfter, true},
		{"99999999999999999999999", maxRetryAfter, true},
		{"-3", 0, false},
		{"soon", 0, false},
		{now.Add(30 * time.Second).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 30 * time.Second, false},
		{now.Add(-time.Hour).Format("Mon, 02 Jan 2006 15:04:05 GMT"), 0, false},
		{now.Add(24 * time.Hour).Format("Mon, 02 Jan 2006 15:04:05 GMT"), maxRetryAfter, true},
	} {
		t.Run(tt.header, func(t *testing.T) {
			got, capped := retryAfter([]byte(tt.header), now)
			if got != tt.want || capped != tt.capped {
				t.Errorf("retryAfter(%q) = %v, %v; want %v, %v", tt.header, got, capped, tt.want, tt.capped)
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
		d, capped := retryAfter([]byte(header), now)
		if d < 0 || d > maxRetryAfter || capped && d != maxRetryAfter {
			t.Errorf("retryAfter(%q) = %v, %v; want within [0, %v], and the cap if capped", header, d, capped, maxRetryAfter)
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

// TestClassify checks what each decode failure asks of the next attempt,
// and which close the client for new requests.
func TestClassify(t *testing.T) {
	for _, tt := range []struct {
		name   string
		err    error
		next   next
		is     []error
		closes bool
	}{
		{"cut short", io.ErrUnexpectedEOF, retry, []error{io.ErrUnexpectedEOF}, false},
		{"too large", ErrBodyTooLarge, final, []error{ErrBodyTooLarge}, false},
		{"another symbol", fmt.Errorf("decode IBM json: %w", ErrSymbolMismatch), final, []error{ErrSymbolMismatch}, false},
		{"invalid call", &ServiceError{Kind: ServiceInvalidCall}, final, nil, false},
		{"rate limit", &ServiceError{Kind: ServiceRateLimitMinute}, slowDown, nil, false},
		{"per second", &ServiceError{Kind: ServiceRateLimitSecond}, slowDown, nil, false},
		{"invalid key", &ServiceError{Kind: ServiceInvalidKey}, final, []error{ErrInvalidAPIKey, sources.ErrFatal}, true},
		{"demo key", &ServiceError{Kind: ServiceDemoKey}, final, []error{ErrInvalidAPIKey, sources.ErrFatal}, true},
		{"premium function", &ServiceError{Kind: ServicePremiumEndpoint}, final, []error{ErrPremium, sources.ErrFatal}, true},
		{"premium output size", &ServiceError{Kind: ServicePremiumOutputSize}, final, []error{ErrPremium, sources.ErrFatal}, true},
		{"daily limit", &ServiceError{Kind: ServiceRateLimitDay}, final, []error{ErrDailyLimit, sources.ErrQuota}, true},
		{"other information", &ServiceError{Kind: ServiceInformation}, final, nil, false},
		{"timeout", fasthttp.ErrTimeout, retry, []error{fasthttp.ErrTimeout}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a := &Client{gate: newGate(0, nil)}
			got := a.classify(tt.err)
			if got.next != tt.next {
				t.Errorf("next %v, want %v", got.next, tt.next)
			}
			for _, is := range tt.is {
				if !errors.Is(got.err, is) {
					t.Errorf("errors.Is(%v, %v) = false", got.err, is)
				}
			}
			if tt.next == slowDown && errors.Is(got.err, sources.ErrFatal) || errors.Is(got.err, sources.ErrQuota) && errors.Is(got.err, sources.ErrFatal) {
				t.Errorf("%v matches sources.ErrFatal", got.err)
			}
			if closed := a.gate.err() != nil; closed != tt.closes {
				t.Errorf("closed for new requests: %v, want %v", closed, tt.closes)
			}
		})
	}
}

func (n next) String() string {
	return [...]string{"done", "cancelled", "closed", "final", "retry", "slowDown"}[n]
}

// TestGate checks that a gate closes once, for its first reason, and
// that the request using up the budget is admitted and closes it.
func TestGate(t *testing.T) {
	var reasons []error
	g := newGate(3, func(err error) { reasons = append(reasons, err) })
	for i := range 3 {
		if err := g.admit(); err != nil {
			t.Fatalf("request %d: %v, want admitted", i+1, err)
		}
	}
	select {
	case <-g.done():
	default:
		t.Fatal("the third of a budget of 3 left the gate open")
	}
	err := g.admit()
	if !errors.Is(err, ErrRequestBudget) || !errors.Is(err, sources.ErrQuota) || err.Error() != "the run's request budget is used up: 3 requests made" {
		t.Errorf("after the budget: %v", err)
	}
	if g.close(sources.ErrStopped) || !errors.Is(g.err(), ErrRequestBudget) {
		t.Errorf("a second reason replaced the first: %v", g.err())
	}
	if len(reasons) != 1 {
		t.Errorf("onClose called %d times, want once", len(reasons))
	}

	open := newGate(0, nil)
	for range 1000 {
		if err := open.admit(); err != nil {
			t.Fatalf("no budget: %v", err)
		}
	}
	if !open.close(sources.ErrStopped) || !errors.Is(open.admit(), sources.ErrStopped) {
		t.Error("a stopped gate admitted a request")
	}
}
