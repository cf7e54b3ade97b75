package fetch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"
)

// MaxMonths bounds the months of an intraday range: 25 years.
const MaxMonths = 25 * 12

// Range is the days an intraday run keeps, in exchange time, both
// inclusive. A zero Start fetches every symbol with one request, its
// newest bars; otherwise the run asks a sources.MonthSource for every
// month from Start's through End's, or through the current month when End
// is zero.
type Range struct {
	Start, End time.Time
}

// months returns the months r touches, through lastMonth.
func (r Range) months(now time.Time) []sources.Month {
	return sources.Months(sources.MonthOfDay(r.Start), r.lastMonth(now))
}

// lastMonth returns the month of End, or of now when End is zero.
func (r Range) lastMonth(now time.Time) sources.Month {
	if r.End.IsZero() {
		return sources.MonthOf(now)
	}
	return sources.MonthOfDay(r.End)
}

// ParseRange checks the --start and --end of a run of kind and returns
// them as the dataset records them, YYYY-MM-DD. Both take a date
// YYYY-MM-DD; for intraday bars also a month YYYY-MM, which stands for
// its first day as a start and its last as an end. An intraday range
// needs a start and may span at most MaxMonths, through the month of now
// when it has no end. A value out of range gives a *SettingError for
// Start or End.
func ParseRange(kind sources.Kind, start, end string, now time.Time) (first, last string, err error) {
	s, err := parseBound("Start", kind, start, false)
	if err != nil {
		return "", "", err
	}
	e, err := parseBound("End", kind, end, true)
	if err != nil {
		return "", "", err
	}
	if !s.IsZero() && !e.IsZero() && s.After(e) {
		return "", "", &SettingError{"End", end, "a day on or after the start, " + s.Format(time.DateOnly)}
	}
	if kind.IsIntraday() && !e.IsZero() && s.IsZero() {
		return "", "", &SettingError{"End", end, "a start too: intraday history is fetched month by month from the start of its range"}
	}
	if kind.IsIntraday() && !s.IsZero() {
		if n := len(Range{s, e}.months(now)); n > MaxMonths {
			return "", "", &SettingError{"Start", start, fmt.Sprintf("a range of at most %d months (25 years), not %d", MaxMonths, n)}
		}
	}
	return dayString(s), dayString(e), nil
}

// parseBound parses one end of a range: see ParseRange.
func parseBound(field string, kind sources.Kind, value string, isEnd bool) (time.Time, error) {
	if value == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.DateOnly, value); err == nil {
		return t, nil
	}
	if !kind.IsIntraday() {
		return time.Time{}, &SettingError{field, value, "a date YYYY-MM-DD"}
	}
	m, err := sources.ParseMonth(value)
	if err != nil {
		return time.Time{}, &SettingError{field, value, "a date YYYY-MM-DD or a month YYYY-MM"}
	}
	t := time.Date(m.Year, m.Month, 1, 0, 0, 0, 0, time.UTC)
	if isEnd {
		t = t.AddDate(0, 1, -1)
	}
	return t, nil
}

func dayString(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

// MonthsError is the failure of a symbol whose history is fetched month
// by month: the months it did not get. The months it got stay staged, so
// that the next run with the same settings requests only the missing
// ones. It wraps the first month's error.
type MonthsError struct {
	Symbol  string
	Missing []sources.Month
	// Of is how many months the symbol needs.
	Of  int
	Err error
	// requests is how many requests the run made for the symbol.
	requests int
}

// Error reads "fetch IBM: 2 of 12 months missing (2024-11, 2024-12): "
// and the first month's error.
func (e *MonthsError) Error() string {
	names := make([]string, len(e.Missing))
	for i, m := range e.Missing {
		names[i] = m.String()
	}
	return fmt.Sprintf("fetch %s: %d of %d months missing (%s): %v", e.Symbol, len(e.Missing), e.Of, strings.Join(names, ", "), e.Err)
}

// Unwrap returns the first month's error.
func (e *MonthsError) Unwrap() error { return e.Err }

// Attempts returns the requests made for the symbol.
func (e *MonthsError) Attempts() int { return e.requests }

// errMonthsStopped is the error of a month not requested because an
// earlier month's error stops the symbol's months (see stopsMonths).
var errMonthsStopped = errors.New("not requested after the error of another month")

// stopsMonths reports errors after which no other month of the run can
// be fetched now: the remaining months are not requested.
func stopsMonths(err error) bool {
	return errors.Is(err, sources.ErrFatal) || errors.Is(err, sources.ErrQuota) || errors.Is(err, sources.ErrStopped) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// fetchMonths returns sym's bars of months, trimmed to the run's range,
// and the staged keys to remove once they are written. Each month comes
// from the staging area when an earlier run left it there complete, else
// from one request, and is staged as it arrives; up to Concurrency months
// are requested at once, through the source's own limits.
func (r *run) fetchMonths(ctx context.Context, sym string, months []sources.Month) (sources.Series, []string, error) {
	src, ok := r.cfg.Source.(sources.MonthSource)
	if !ok {
		return sources.Series{}, nil, fmt.Errorf("fetch %s: source %s cannot fetch intraday history month by month", sym, r.cfg.Source.Name())
	}
	if r.cfg.Staging == nil {
		return sources.Series{}, nil, fmt.Errorf("fetch %s: fetching months needs a staging store", sym)
	}
	if len(months) == 0 {
		return sources.Series{}, nil, fmt.Errorf("fetch %s: %w: the range starts after the current month", sym, transform.ErrEmptyRange)
	}
	st := staging{st: r.cfg.Staging, kind: r.cfg.Kind}
	var todo []sources.Month
	for _, m := range months {
		if !st.has(ctx, sym, m, r.needBy(m)) {
			todo = append(todo, m)
		}
	}

	var (
		mu       sync.Mutex
		missing  []sources.Month
		first    error
		requests int
		meta     map[string]string
		stop     bool
	)
	next := make(chan sources.Month)
	var wg sync.WaitGroup
	for range min(r.cfg.Concurrency, len(todo)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range next {
				mu.Lock()
				stopped := stop
				mu.Unlock()
				err := r.halt.halted()
				if stopped && err == nil {
					err = errMonthsStopped
				}
				var s sources.Series
				made := 0 // the requests for m; none when it was not asked for
				if err == nil {
					if s, err = src.FetchMonth(ctx, sym, m, r.cfg.Allocator); err != nil {
						made = attemptsOf(err)
					} else {
						made = s.Attempts
						s.Meta = withFetchTime(s.Meta)
						err = st.put(ctx, sym, m, s, r.cfg.Now())
						s.Record.Release()
					}
				}
				mu.Lock()
				requests += made
				if err == nil {
					meta = s.Meta
				} else {
					missing = append(missing, m)
					if first == nil {
						first = err
					}
					stop = stop || stopsMonths(err)
				}
				mu.Unlock()
			}
		}()
	}
	for i, m := range todo {
		mu.Lock()
		stopped := stop
		if stopped {
			missing = append(missing, todo[i:]...)
		}
		mu.Unlock()
		if stopped {
			break
		}
		next <- m
	}
	close(next)
	wg.Wait()
	if len(missing) > 0 {
		slices.SortFunc(missing, func(a, b sources.Month) int { return a.Start().Compare(b.Start()) })
		return sources.Series{}, nil, &MonthsError{Symbol: sym, Missing: missing, Of: len(months), Err: first, requests: requests}
	}

	rec, keys, err := st.merge(ctx, sym, months, r.cfg.Allocator)
	if err != nil {
		return sources.Series{}, nil, &attemptsError{err: fmt.Errorf("fetch %s: %w", sym, err), extra: requests - 1}
	}
	trimmed, err := transform.DateRange(r.cfg.Range.Start, r.cfg.Range.End)(rec, r.cfg.Allocator)
	rec.Release()
	if err != nil {
		return sources.Series{}, nil, &attemptsError{err: fmt.Errorf("fetch %s: %w", sym, err), extra: requests - 1}
	}
	if trimmed.NumRows() == 0 {
		trimmed.Release()
		return sources.Series{}, nil, &attemptsError{err: fmt.Errorf("fetch %s: %w %s … %s", sym, transform.ErrEmptyRange,
			months[0], months[len(months)-1]), extra: requests - 1}
	}
	if meta == nil {
		meta = map[string]string{"source": r.cfg.Source.Name(), "function": r.cfg.Kind.String(), "output_size": string(sources.Full)}
	}
	meta = maps.Clone(withFetchTime(meta))
	delete(meta, "month")
	meta["months"] = months[0].String() + ".." + months[len(months)-1].String()
	return sources.Series{Symbol: sym, Record: trimmed, Attempts: requests, Meta: meta}, keys, nil
}

// needBy returns the time a staged copy of month m must have been
// fetched at, or after, to serve the run: the end of the month, or of the
// run's range if that is sooner, or the start of the run, during which a
// month is as fresh as a new request would get it (an update that
// refetches the range takes the months it has just fetched).
func (r *run) needBy(m sources.Month) time.Time {
	end := m.Next().Start()
	if e := r.cfg.Range.End; !e.IsZero() {
		if after := time.Date(e.Year(), e.Month(), e.Day()+1, 0, 0, 0, 0, sources.Exchange); after.Before(end) {
			end = after
		}
	}
	if r.started.Before(end) {
		end = r.started
	}
	return end
}

// monthsSince returns the months an update of an intraday symbol whose
// stored bars end at last requests: from last's month through the current
// one, or through the range's end; none when the range ended before
// last's month.
func (r *run) monthsSince(last time.Time) []sources.Month {
	return sources.Months(sources.MonthOf(last), r.cfg.Range.lastMonth(r.cfg.Now()))
}
