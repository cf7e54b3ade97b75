package avserver

import (
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// history is what the server serves: the sample series through its last
// trading day, with the dividends injected into them, and the cache of the
// answers encoded from exactly that. A change makes a new history with an
// empty cache, so that an answer encoded before the change is never served
// after it.
type history struct {
	last      time.Time
	dividends map[string][]dividend // by upper-case symbol
	cache     *bodyCache
}

type dividend struct {
	day    time.Time
	amount float64
}

// histories holds the current history and serialises changes to it.
type histories struct {
	mu         sync.Mutex // held by changes
	cur        atomic.Pointer[history]
	cacheBytes int
}

func newHistories(last time.Time, cacheBytes int) *histories {
	h := &histories{cacheBytes: cacheBytes}
	h.cur.Store(&history{last: day(last), dividends: map[string][]dividend{}, cache: newBodyCache(cacheBytes)})
	return h
}

func (h *histories) load() *history { return h.cur.Load() }

// change applies fn to a copy of the current history and makes it current.
func (h *histories) change(fn func(*history)) *history {
	h.mu.Lock()
	defer h.mu.Unlock()
	old := h.cur.Load()
	next := &history{last: old.last, dividends: make(map[string][]dividend, len(old.dividends)), cache: newBodyCache(h.cacheBytes)}
	for k, v := range old.dividends {
		next.dividends[k] = append([]dividend(nil), v...)
	}
	fn(next)
	h.cur.Store(next)
	return next
}

// bars returns the bars of symbol (upper case) that h serves, oldest first.
func (h *history) bars(symbol string) []sources.Bar {
	bars := sample.History(symbol, h.last)
	divs := h.dividends[symbol]
	if len(divs) == 0 {
		return bars
	}
	for _, d := range divs {
		for i := range bars {
			if bars[i].Date.Equal(d.day) {
				bars[i].Dividend += d.amount
			}
		}
	}
	sample.Adjust(bars)
	return bars
}

// LastDay returns the last trading day the server serves.
func (s *Server) LastDay() time.Time { return s.hist.load().last }

// SetLastDay makes day (its calendar date) the last trading day the server
// serves: its series end there, and their adjusted closes count the
// dividends paid up to it. Answers encoded before are not served again.
func (s *Server) SetLastDay(last time.Time) {
	s.hist.change(func(h *history) { h.last = day(last) })
}

// Advance moves the last trading day n business days (Monday to Friday)
// forward and returns it: n more bars a symbol, as the service has after n
// trading days.
func (s *Server) Advance(n int) time.Time {
	return s.hist.change(func(h *history) {
		for range n {
			h.last = h.last.AddDate(0, 0, 1)
			for wd := h.last.Weekday(); wd == time.Saturday || wd == time.Sunday; wd = h.last.Weekday() {
				h.last = h.last.AddDate(0, 0, 1)
			}
		}
	}).last
}

// AddDividend makes symbol pay amount on day (a business day), in addition
// to the dividends of its sample series: the adjusted series shows it in
// its dividend column and, as the service does, discounts every earlier
// adjusted close, so that the history a client stored no longer matches.
// The daily series does not change. A day after the last trading day
// takes effect when the server gets there.
func (s *Server) AddDividend(symbol string, on time.Time, amount float64) {
	sym := strings.ToUpper(symbol)
	s.hist.change(func(h *history) {
		h.dividends[sym] = append(h.dividends[sym], dividend{day: day(on), amount: amount})
	})
}

// day returns the calendar date of t as UTC midnight.
func day(t time.Time) time.Time {
	y, m, d := t.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
