package alphavantage

import (
	"context"
	"log/slog"
	"math"
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// rateWindow is the window of the rate control: the service counts its
// limits per minute, so a cut shows its effect within one, and a minute
// without a rate-limit answer is sustained success.
const rateWindow = time.Minute

// pacer spaces the client's requests and adapts their rate to the
// service's limits as TCP adapts its congestion window (AIMD):
//
//   - A rate-limit answer cuts the rate to half of what the client was
//     sending (TCP halves its flight size, not its window), at most once
//     per window: answers that arrive together, or while the service is
//     still counting the requests sent before the cut, are one signal.
//   - After a window with no rate-limit answer in which the rate was put
//     to use, the rate grows by a step, an eighth of the rate that was
//     cut, back toward the ceiling (Config.Rate).
//   - It never goes below the floor, MinRate (or the ceiling, if lower).
//
// A ceiling of +Inf means no limit until the service first objects.
type pacer struct {
	limiter *rate.Limiter
	ceiling float64 // requests per minute
	floor   float64
	window  time.Duration
	log     *slog.Logger

	mu         sync.Mutex
	perMinute  float64 // the current rate
	step       float64 // the additive increase per window
	lastCut    time.Time
	lastChange time.Time // of the rate: a cut or a raise
	lastSignal time.Time // the last rate-limit answer, counted or not
	starts     meter     // requests sent
	accepted   meter     // answers that were not rate limits
}

func newPacer(ceiling float64, log *slog.Logger) *pacer {
	now := time.Now()
	return &pacer{
		limiter:    rate.NewLimiter(perSecond(ceiling), 1),
		ceiling:    ceiling,
		floor:      min(MinRate, ceiling),
		window:     rateWindow,
		log:        log,
		perMinute:  ceiling,
		lastChange: now,
		starts:     newMeter(now, rateWindow),
		accepted:   newMeter(now, rateWindow),
	}
}

// perSecond converts a rate in requests per minute to the limiter's unit.
func perSecond(perMinute float64) rate.Limit {
	if math.IsInf(perMinute, 1) {
		return rate.Inf
	}
	return rate.Limit(perMinute / 60)
}

// wait returns when the next request may be sent, or with ctx's error, or
// with errClosed when closed is closed first.
func (p *pacer) wait(ctx context.Context, closed <-chan struct{}) error {
	r := p.limiter.Reserve()
	d := r.Delay()
	if d == 0 {
		return nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		r.Cancel()
		return ctx.Err()
	case <-closed:
		r.Cancel()
		return errClosed
	}
}

// sent records a request sent now.
func (p *pacer) sent() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.starts.add(time.Now())
}

// accept records an answer that was not a rate limit, and raises the rate
// by a step after a window of them.
func (p *pacer) accept() {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.accepted.add(now)
	if p.perMinute >= p.ceiling || now.Sub(p.lastChange) < p.window || now.Sub(p.lastSignal) < p.window {
		return
	}
	// A rate the client did not use proves nothing (RFC 7661): with too
	// few symbols or too little concurrency to reach it, raising it would
	// only allow a burst later.
	if used := float64(p.accepted.sum(now)) * float64(time.Minute) / float64(p.window); used < p.perMinute/2 {
		return
	}
	p.perMinute = min(p.ceiling, p.perMinute+p.step)
	p.lastChange = now
	p.limiter.SetLimitAt(now, perSecond(p.perMinute))
	p.log.Info("no rate-limit answer for a while: speeding up", "requests_per_minute", round(p.perMinute))
}

// limited records a rate-limit answer, and cuts the rate unless it did
// within the window. It reports whether it cut.
func (p *pacer) limited(symbol string) bool {
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lastSignal = now
	if !p.lastCut.IsZero() && now.Sub(p.lastCut) < p.window {
		return false
	}
	sending := p.sending(now)
	base := min(p.perMinute, sending)
	next := max(p.floor, base/2)
	p.step = max(1, base/8)
	p.lastCut, p.lastChange = now, now
	if next >= p.perMinute {
		return false
	}
	p.perMinute = next
	p.limiter.SetLimitAt(now, perSecond(next))
	p.log.Warn("service rate limit: slowing down", "symbol", symbol,
		"requests_per_minute", round(next), "was_sending_per_minute", round(sending))
	return true
}

// minSpan is the shortest time over which the rate of a young run is
// measured: requests sent at the same instant have no rate of their own.
const minSpan = 100 * time.Millisecond

// sending returns the rate at which requests were sent in the last
// window, in requests per minute. A run younger than a window is measured
// over its life (at least minSpan): its first cut halves the rate it
// really sends, not the count of its few requests.
func (p *pacer) sending(now time.Time) float64 {
	span := min(p.window, max(now.Sub(p.starts.first), minSpan))
	return float64(p.starts.sum(now)) * float64(time.Minute) / float64(span)
}

// rate returns the current rate in requests per minute.
func (p *pacer) rate() float64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.perMinute
}

func round(perMinute float64) float64 { return math.Round(perMinute*10) / 10 }

// meterBuckets is how finely a meter divides its window.
const meterBuckets = 60

// meter counts events over a sliding window, in buckets of window/60.
// It is not safe for concurrent use.
type meter struct {
	epoch  time.Time
	width  time.Duration
	counts [meterBuckets]int
	head   int64     // the bucket number of counts' newest bucket
	first  time.Time // the first event, zero before it
}

func newMeter(epoch time.Time, window time.Duration) meter {
	return meter{epoch: epoch, width: window / meterBuckets}
}

// advance makes the bucket of now the newest, emptying those it passes.
func (m *meter) advance(now time.Time) int64 {
	n := int64(now.Sub(m.epoch) / m.width)
	for i := m.head + 1; i <= n && i <= m.head+meterBuckets; i++ {
		m.counts[i%meterBuckets] = 0
	}
	m.head = max(m.head, n)
	return n
}

func (m *meter) add(now time.Time) {
	if m.first.IsZero() {
		m.first = now
	}
	m.counts[m.advance(now)%meterBuckets]++
}

// sum returns the events of the last window.
func (m *meter) sum(now time.Time) int {
	m.advance(now)
	total := 0
	for _, c := range m.counts {
		total += c
	}
	return total
}
