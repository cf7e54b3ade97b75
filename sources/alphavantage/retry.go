package alphavantage

import (
	"errors"
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
// capped at maxRetryAfter; capped reports that the header asked for more.
// It returns 0 when the header is absent or not understood, and for a
// date already past.
func retryAfter(h []byte, now time.Time) (d time.Duration, capped bool) {
	if len(h) == 0 {
		return 0, false
	}
	secs, err := strconv.ParseUint(string(h), 10, 64)
	switch {
	case errors.Is(err, strconv.ErrRange), err == nil && secs > uint64(maxRetryAfter/time.Second):
		return maxRetryAfter, true
	case err == nil:
		d = time.Duration(secs) * time.Second
	default:
		if at, err := fasthttp.ParseHTTPDate(h); err == nil {
			d = at.Sub(now)
		}
	}
	if d > maxRetryAfter {
		return maxRetryAfter, true
	}
	return max(d, 0), false
}
