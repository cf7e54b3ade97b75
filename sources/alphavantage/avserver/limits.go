package avserver

import (
	"sync"
	"time"
)

// rateWindow is the window of Config.RateLimit: the service counts calls
// per minute.
const rateWindow = time.Minute

// slidingLimit admits at most n events in any window: an event is
// admitted when fewer than n were admitted in the window before it. It
// keeps the times of the last n admitted events. Whether an event is
// admitted depends only on the arrival times, so a test that controls
// time (testing/synctest) gets the same answers in every run.
type slidingLimit struct {
	window time.Duration
	mu     sync.Mutex
	times  []time.Time // the last admitted, a ring of capacity n
	next   int         // where the next admitted time goes, once full
}

func newSlidingLimit(n int, window time.Duration) *slidingLimit {
	return &slidingLimit{window: window, times: make([]time.Time, 0, n)}
}

// admit reports whether an event at now is admitted, and counts it if so.
func (l *slidingLimit) admit(now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.times) < cap(l.times) {
		l.times = append(l.times, now)
		return true
	}
	if now.Sub(l.times[l.next]) < l.window {
		return false
	}
	l.times[l.next] = now
	l.next = (l.next + 1) % len(l.times)
	return true
}
