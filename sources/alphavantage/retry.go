package alphavantage

import (
	"context"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// maxRetryAfter caps how long a Retry-After header can make one retry wait:
// a misbehaving server must not park a run for hours.
const maxRetryAfter = 2 * time.Minute

// maxBackoff caps the exponential backoff between attempts.
const maxBackoff = 30 * time.Second

// attemptError is why one attempt failed, and whether another may succeed.
type attemptError struct {
	err   error
	retry bool
	// after, when positive, is the wait the server asked for (Retry-After);
	// it replaces the jittered backoff.
	after time.Duration
}

func (e *attemptError) Error() string { return e.err.Error() }
func (e *attemptError) Unwrap() error { return e.err }

// retryable marks err as worth another attempt after the wait the server
// asked for (zero: the usual backoff).
func retryable(err error, after time.Duration) *attemptError {
	return &attemptError{err: err, retry: true, after: after}
}

// final marks err as one that another attempt would repeat.
func final(err error) *attemptError {
	return &attemptError{err: err}
}

// backoff returns the wait before attempt+1 after attempt failed: "full
// jitter", a uniform draw in (0, base·2^(attempt-1)], the ceiling capped at
// maxBackoff (or base, if larger), so that many symbols failing together
// do not retry together.
func backoff(base time.Duration, attempt int) time.Duration {
	limit := max(base, maxBackoff)
	ceiling := base
	for i := 1; i < attempt && ceiling < limit; i++ {
		ceiling *= 2
	}
	return rand.N(min(ceiling, limit)) + 1
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP date,
// capped at maxRetryAfter. It returns 0 when the header is absent or not
// understood, and for a date already past.
func retryAfter(h []byte, now time.Time) time.Duration {
	if len(h) == 0 {
		return 0
	}
	var d time.Duration
	if secs, err := strconv.ParseUint(string(h), 10, 32); err == nil {
		d = time.Duration(secs) * time.Second
	} else if at, err := fasthttp.ParseHTTPDate(h); err == nil {
		d = at.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

// sleep waits d or until ctx is done, whichever comes first, and returns
// ctx's error in the latter case.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
