package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"gocloud.dev/blob/memblob"
)

// movingSource is the sample source with a history that ends on last,
// which a test moves on, and that counts its requests: the months asked
// of it, by symbol, and the other requests.
type movingSource struct {
	kind sources.Kind

	mu       sync.Mutex
	last     time.Time
	months   map[string][]sources.Month
	requests int
	// failAfter, when positive, fails every FetchMonth after that many
	// with a used-up quota.
	failAfter int
	// failMonth, when set, fails with an HTTP error.
	failMonth sources.Month
	// revised, when set, is the time of a bar whose close is served one
	// higher: the service revised it.
	revised time.Time
	// onMonth, when set, is called with the number of months asked so
	// far, at the start of every FetchMonth.
	onMonth func(n int)
}

func newMovingSource(kind sources.Kind, last time.Time) *movingSource {
	return &movingSource{kind: kind, last: last, months: map[string][]sources.Month{}}
}

func (s *movingSource) Name() string { return "moving sample" }
func (s *movingSource) Close() error { return nil }

func (s *movingSource) moveTo(last time.Time) {
	s.mu.Lock()
	s.last = last
	s.mu.Unlock()
}

// asked returns the months FetchMonth was asked for sym, sorted, and
// forgets them.
func (s *movingSource) asked(sym string) []sources.Month {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.months[sym]
	delete(s.months, sym)
	slices.SortFunc(out, func(a, b sources.Month) int { return a.Start().Compare(b.Start()) })
	return out
}

func (s *movingSource) Fetch(ctx context.Context, sym string, mem memory.Allocator) (sources.Series, error) {
	s.mu.Lock()
	s.requests++
	last := s.last
	s.mu.Unlock()
	var bars []sources.Bar
	if s.kind.IsIntraday() {
		// The last 30 days, as a full answer has them.
		from := last.AddDate(0, 0, -30)
		for _, m := range sources.Months(sources.Month{Year: from.Year(), Month: from.Month()}, sources.Month{Year: last.Year(), Month: last.Month()}) {
			for _, b := range sample.Intraday(sym, m, s.kind, last) {
				if !b.Date.Before(time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, sources.Exchange)) {
					bars = append(bars, b)
				}
			}
		}
	} else {
		bars = sample.Periods(sample.History(sym, last), s.kind.Function)
	}
	return sources.Series{Symbol: sym, Record: sources.NewRecord(s.kind, sym, bars, mem), Attempts: 1, Meta: map[string]string{"source": s.Name()}}, nil
}

func (s *movingSource) FetchMonth(ctx context.Context, sym string, m sources.Month, mem memory.Allocator) (sources.Series, error) {
	s.mu.Lock()
	s.requests++
	last := s.last
	s.months[sym] = append(s.months[sym], m)
	n := 0
	for _, ms := range s.months {
		n += len(ms)
	}
	fail := s.failAfter > 0 && n > s.failAfter
	onMonth := s.onMonth
	s.mu.Unlock()
	if onMonth != nil {
		onMonth(n)
	}
	switch {
	case fail:
		return sources.Series{}, fmt.Errorf("fetch %s %s: %w", sym, m, sources.ErrQuota)
	case m == s.failMonth:
		return sources.Series{}, fmt.Errorf("fetch %s %s: HTTP 503 after 4 attempts", sym, m)
	}
	bars := sample.Intraday(sym, m, s.kind, last)
	for i := range bars {
		if bars[i].Date.Equal(s.revised) {
			bars[i].Close++
		}
	}
	return sources.Series{Symbol: sym, Record: sources.NewRecord(s.kind, sym, bars, mem), Attempts: 1,
		Meta: map[string]string{"source": s.Name(), "month": m.String()}}, nil
}

// kindRun is one run of fetch.Run of a source of kind on a dataset
// directory, as the loader command sets it up.
type kindRun struct {
	settings *dataset.Settings // nil: the dataset's own
	symbols  []string
	source   sources.Source
	now      time.Time
	store    store.Store // where the dataset lives; nil: the directory
	stop     chan struct{}
}

func runKind(t *testing.T, dir string, r kindRun) fetch.Report {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sess, err := dataset.Begin(dir, dataset.BeginOptions{Settings: r.settings, Symbols: r.symbols, Store: r.store})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	st := sess.Settings()
	fn, err := fetch.Transform(st)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := sinks.New(sinks.Options{Dir: dir, Store: r.store, Format: st.Format, Layout: st.Layout, Compression: st.Compression, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := fetch.Run(context.Background(), fetch.Config{Symbols: sess.Symbols(), Source: r.source, Transform: fn, Sink: sink,
		Manifest: sess.Manifest(), Concurrency: 3, Allocator: mem, Now: func() time.Time { return r.now },
		Staging: sess.Store(), Stop: r.stop})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// readSymbol returns the record stored for sym in dir.
func readSymbol(t *testing.T, dir string, settings dataset.Settings, sym string, mem memory.Allocator) arrow.RecordBatch {
	t.Helper()
	w, err := sinks.New(sinks.Options{Dir: dir, Format: settings.Format, Layout: settings.Layout})
	if err != nil {
		t.Fatal(err)
	}
	rec, _, err := w.Read(context.Background(), sym, mem)
	if err != nil {
		t.Fatal(err)
	}
	return rec
}

// holdsBars fails unless sym's file in dir holds exactly bars, as
// sources.NewRecord builds them for kind.
func holdsBars(t *testing.T, dir string, settings dataset.Settings, sym string, bars []sources.Bar) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	got := readSymbol(t, dir, settings, sym, mem)
	defer got.Release()
	want := sources.NewRecord(fetch.KindOf(settings), sym, bars, mem)
	defer want.Release()
	if got.NumRows() != want.NumRows() || got.NumCols() != want.NumCols() {
		t.Fatalf("%s: %d rows × %d columns, want %d × %d", sym, got.NumRows(), got.NumCols(), want.NumRows(), want.NumCols())
	}
	for c := range int(want.NumCols()) {
		if ts, ok := want.Column(c).(*array.Timestamp); ok {
			// The instants; Parquet files of this branch's sinks read back
			// in UTC.
			if g, ok := got.Column(c).(*array.Timestamp); !ok || !slices.Equal(g.TimestampValues(), ts.TimestampValues()) {
				t.Errorf("%s: the timestamps differ from what was served", sym)
			}
			continue
		}
		if !array.Equal(got.Column(c), want.Column(c)) {
			t.Errorf("%s: column %s differs from what was served", sym, want.ColumnName(c))
		}
	}
}

// staged lists the staged months under dir, as SYMBOL/YYYY-MM.
func staged(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dir, fetch.StagingDir)
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(root, p)
			out = append(out, strings.TrimSuffix(filepath.ToSlash(rel), ".arrow"))
		}
		return nil
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

func intradayBars(sym string, kind sources.Kind, last time.Time, from, to time.Time, months ...sources.Month) []sources.Bar {
	var bars []sources.Bar
	for _, m := range months {
		for _, b := range sample.Intraday(sym, m, kind, last) {
			if !b.Date.Before(from) && b.Date.Before(to) {
				bars = append(bars, b)
			}
		}
	}
	return bars
}

var (
	halfHourly = sources.Kind{Function: sources.Intraday, Interval: "30min", ExtendedHours: true}
	march2025  = sources.Month{Year: 2025, Month: time.March}
	april2025  = sources.Month{Year: 2025, Month: time.April}
	// afterSample is a clock after the sample's history, for which every
	// month of it is over.
	afterSample = time.Date(2026, time.February, 2, 12, 0, 0, 0, time.UTC)
)

func intradaySettings(kind sources.Kind, start, end string) dataset.Settings {
	s := fetch.SourceConfig{Kind: kind}.Settings(fetch.SourceSample)
	s.Start, s.End, s.Format, s.Layout = start, end, dataset.FormatParquet, dataset.LayoutFiles
	return s
}

// TestIntradayTwoMonths fetches a range across two months: two requests
// per symbol, the bars of both months trimmed to the range, and no staged
// month left.
func TestIntradayTwoMonths(t *testing.T) {
	for _, tt := range []struct {
		name       string
		start, end string
		from, to   time.Time
	}{
		{"days", "2025-03-10", "2025-04-15",
			time.Date(2025, 3, 10, 0, 0, 0, 0, sources.Exchange), time.Date(2025, 4, 16, 0, 0, 0, 0, sources.Exchange)},
		{"whole months", "2025-03-01", "2025-04-30",
			march2025.Start(), april2025.Next().Start()},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			src := newMovingSource(halfHourly, sample.End)
			settings := intradaySettings(halfHourly, tt.start, tt.end)
			symbols := []string{"IBM", "MSFT", "BRK.B"}
			rep := runKind(t, dir, kindRun{settings: &settings, symbols: symbols, source: src, now: afterSample})
			if got := outcomes(rep); !same(got, map[string]string{"IBM": "fetched", "MSFT": "fetched", "BRK.B": "fetched"}) {
				t.Fatalf("fetch: %v", got)
			}
			for _, sym := range symbols {
				if got := src.asked(sym); !slices.Equal(got, []sources.Month{march2025, april2025}) {
					t.Errorf("%s: months asked %v, want March and April 2025, once each", sym, got)
				}
				holdsBars(t, dir, settings, sym, intradayBars(sym, halfHourly, sample.End, tt.from, tt.to, march2025, april2025))
			}
			for _, r := range rep.Results {
				if r.Attempts != 2 || r.File.FirstDate.Format(time.DateOnly) < tt.start || r.File.LastDate.Format(time.DateOnly) > tt.end || r.File.LastDate.IsZero() {
					t.Errorf("%s: %d attempts, file %s … %s", r.Symbol, r.Attempts, r.File.FirstDate, r.File.LastDate)
				}
			}
			if left := staged(t, dir); len(left) > 0 {
				t.Errorf("staged months left after the symbols were written: %v", left)
			}
			files, err := dataset.Files(dir)
			if err != nil || len(files) != len(symbols) {
				t.Errorf("dataset files %v, %v", files, err)
			}
		})
	}
}

// TestIntradayResume interrupts a six-month fetch with a used-up quota:
// the symbols report their missing months, the months they got stay
// staged and out of the dataset, and the next run requests exactly the
// missing ones and ends with the files of an uninterrupted run.
func TestIntradayResume(t *testing.T) {
	settings := intradaySettings(halfHourly, "2025-01", "2025-06")
	settings.Start, settings.End = "2025-01-01", "2025-06-30"
	symbols := []string{"IBM", "KO"}
	all := sources.Months(sources.Month{Year: 2025, Month: time.January}, sources.Month{Year: 2025, Month: time.June})

	dir := t.TempDir()
	src := newMovingSource(halfHourly, sample.End)
	src.failAfter = 7
	rep := runKind(t, dir, kindRun{settings: &settings, symbols: symbols, source: src, now: afterSample})
	got := map[string][]sources.Month{}
	for _, sym := range symbols {
		got[sym] = src.asked(sym)
	}
	stagedBefore := staged(t, dir)
	var missing int
	for _, r := range rep.Results {
		var me *fetch.MonthsError
		if r.Status != dataset.StatusFailed || !errors.As(r.Err, &me) || !errors.Is(r.Err, sources.ErrQuota) {
			t.Fatalf("%s: %s, %v; want failed for the quota, naming its missing months", r.Symbol, r.Status, r.Err)
		}
		missing += len(me.Missing)
		for _, m := range me.Missing {
			if !strings.Contains(r.Err.Error(), m.String()) {
				t.Errorf("%s: the error %q does not name %s", r.Symbol, r.Err, m)
			}
		}
		if len(me.Missing)+countStaged(stagedBefore, r.Symbol) != len(all) {
			t.Errorf("%s: %d months missing and %d staged, want %d in all", r.Symbol, len(me.Missing), countStaged(stagedBefore, r.Symbol), len(all))
		}
	}
	if len(stagedBefore) != 7 || missing != 2*len(all)-7 {
		t.Fatalf("%d months staged (%v), %d missing; want the 7 the quota allowed", len(stagedBefore), stagedBefore, missing)
	}
	if files, err := dataset.Files(dir); err != nil || len(files) != 0 {
		t.Fatalf("dataset files %v, %v: staged months are not data", files, err)
	}
	if unlisted, err := dataset.Unlisted(dir); err != nil || len(unlisted) != 0 {
		t.Fatalf("unlisted files %v, %v: staged months are not data", unlisted, err)
	}

	src.failAfter = 0
	rep = runKind(t, dir, kindRun{settings: &settings, symbols: symbols, source: src, now: afterSample})
	if got := outcomes(rep); !same(got, map[string]string{"IBM": "fetched", "KO": "fetched"}) {
		t.Fatalf("resume: %v", got)
	}
	for _, sym := range symbols {
		var want []sources.Month
		for _, m := range all {
			if !slices.Contains(stagedBefore, sym+"/"+m.String()) {
				want = append(want, m)
			}
		}
		if again := src.asked(sym); !slices.Equal(again, want) {
			t.Errorf("%s: the resume asked for %v, want the missing %v (the first run asked %v)", sym, again, want, got[sym])
		}
	}
	if left := staged(t, dir); len(left) > 0 {
		t.Errorf("staged months left: %v", left)
	}
	fresh := t.TempDir()
	runKind(t, fresh, kindRun{settings: &settings, symbols: symbols, source: newMovingSource(halfHourly, sample.End), now: afterSample})
	sameFiles(t, dir, fresh, settings, symbols, 0)
}

func countStaged(staged []string, sym string) int {
	n := 0
	for _, s := range staged {
		if strings.HasPrefix(s, sym+"/") {
			n++
		}
	}
	return n
}

// TestIntradayStagedCurrentMonth fails one month of a range that ends
// with the current month: the resume, a month later, takes the earlier
// month from the staging area, but requests again the month that was not
// over when it was staged, with the missing one and the new one.
func TestIntradayStagedCurrentMonth(t *testing.T) {
	settings := intradaySettings(halfHourly, "2025-01-01", "")
	january, february := sources.Month{Year: 2025, Month: time.January}, sources.Month{Year: 2025, Month: time.February}
	dir := t.TempDir()
	inMarch := time.Date(2025, time.March, 14, 18, 0, 0, 0, time.UTC)
	src := newMovingSource(halfHourly, inMarch)
	src.failMonth = february
	rep := runKind(t, dir, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: inMarch})
	var me *fetch.MonthsError
	if r := rep.Results[0]; r.Status != dataset.StatusFailed || !errors.As(r.Err, &me) || !slices.Equal(me.Missing, []sources.Month{february}) ||
		!strings.Contains(r.Err.Error(), "1 of 3 months missing (2025-02): fetch IBM 2025-02: HTTP 503") {
		t.Fatalf("IBM: %s, %v; want failed for February", r.Status, r.Err)
	}
	if got := staged(t, dir); !slices.Equal(got, []string{"IBM/2025-01", "IBM/2025-03"}) {
		t.Fatalf("staged %v, want January and March", got)
	}
	src.asked("IBM")

	inApril := time.Date(2025, time.April, 8, 18, 0, 0, 0, time.UTC)
	src.moveTo(inApril)
	src.failMonth = sources.Month{}
	rep = runKind(t, dir, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: inApril})
	if got := outcomes(rep); got["IBM"] != "fetched" {
		t.Fatalf("resume: %v", got)
	}
	if got := src.asked("IBM"); !slices.Equal(got, []sources.Month{february, march2025, april2025}) {
		t.Fatalf("the resume asked for %v, want February, March (staged before it was over) and April", got)
	}
	holdsBars(t, dir, settings, "IBM", intradayBars("IBM", halfHourly, inApril, january.Start(), april2025.Next().Start(), january, february, march2025, april2025))
}

// TestUpdateKinds fetches weekly, monthly and intraday datasets, moves
// the source's history on, updates them and compares them with a fresh
// fetch: the overlap passes, the new bars are appended (the current
// period's replaced), and nothing is refetched.
func TestUpdateKinds(t *testing.T) {
	wednesday := time.Date(2025, time.June, 11, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		kind   sources.Kind
		start  string
		moved  time.Time
		months []sources.Month // asked by the update
		want   string
	}{
		{"weekly, within the week", sources.Kind{Function: sources.Weekly}, "", wednesday.AddDate(0, 0, 2), nil, "appended 1"},
		{"weekly, weeks later", sources.Kind{Function: sources.Weekly}, "", wednesday.AddDate(0, 0, 15), nil, "appended 3"},
		{"weekly, nothing new", sources.Kind{Function: sources.Weekly}, "", wednesday, nil, "unchanged"},
		{"monthly", sources.Kind{Function: sources.Monthly}, "", wednesday.AddDate(0, 2, 0), nil, "appended 3"},
		{"intraday", halfHourly, "2025-05-01", wednesday.AddDate(0, 0, 26),
			[]sources.Month{{Year: 2025, Month: time.June}, {Year: 2025, Month: time.July}}, ""},
		{"intraday without a range", halfHourly, "", wednesday.AddDate(0, 0, 5),
			[]sources.Month{{Year: 2025, Month: time.June}}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := intradaySettings(tt.kind, tt.start, "")
			symbols := []string{"IBM", "MSFT"}
			dir := t.TempDir()
			src := newMovingSource(tt.kind, wednesday)
			now := wednesday.Add(20 * time.Hour)
			runKind(t, dir, kindRun{settings: &settings, symbols: symbols, source: src, now: now})
			for _, sym := range symbols {
				src.asked(sym)
			}
			src.moveTo(tt.moved)
			src.requests = 0
			rep := runKind(t, dir, kindRun{source: src, now: tt.moved.Add(20 * time.Hour)})
			for _, r := range rep.Results {
				if r.Status != dataset.StatusOK || r.Outcome == fetch.Refetched || r.Outcome == fetch.Fetched {
					t.Errorf("%s: %s %s %q %v", r.Symbol, r.Status, r.Outcome, r.Why, r.Err)
				}
			}
			if got := outcomes(rep); tt.want != "" && !same(got, map[string]string{"IBM": tt.want, "MSFT": tt.want}) {
				t.Errorf("update: %v, want %s", got, tt.want)
			}
			for _, sym := range symbols {
				if got := src.asked(sym); !slices.Equal(got, tt.months) {
					t.Errorf("%s: the update asked for months %v, want %v", sym, got, tt.months)
				}
			}
			if tt.months == nil && src.requests != len(symbols) {
				t.Errorf("%d requests, want one per symbol", src.requests)
			}
			fresh := t.TempDir()
			if tt.kind.IsIntraday() && tt.start == "" {
				// The newest bars of a fresh fetch start later than the
				// updated history: compare the new month alone.
				june := sources.Month{Year: 2025, Month: time.June}
				for _, sym := range symbols {
					mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
					got := readSymbol(t, dir, settings, sym, mem)
					want := intradayBars(sym, tt.kind, tt.moved, june.Start(), june.Next().Start(), june)
					ts := got.Column(1).(*array.Timestamp)
					lastBar := ts.Value(ts.Len() - 1).ToTime(arrow.Microsecond)
					if !lastBar.Equal(want[len(want)-1].Date) {
						t.Errorf("%s: last bar %s, want %s", sym, lastBar, want[len(want)-1].Date)
					}
					got.Release()
					mem.AssertSize(t, 0)
				}
				return
			}
			runKind(t, fresh, kindRun{settings: &settings, symbols: symbols, source: newMovingSource(tt.kind, tt.moved), now: tt.moved.Add(20 * time.Hour)})
			sameFiles(t, dir, fresh, settings, symbols, 0)
		})
	}
}

// TestPeriodsFetch fetches weekly and monthly series, adjusted or not:
// their bars are sample.Periods of the daily history.
func TestPeriodsFetch(t *testing.T) {
	for _, kind := range []sources.Kind{
		{Function: sources.Weekly}, {Function: sources.Monthly, Adjusted: true},
	} {
		t.Run(kind.String(), func(t *testing.T) {
			dir := t.TempDir()
			settings := intradaySettings(kind, "", "")
			rep := runKind(t, dir, kindRun{settings: &settings, symbols: []string{"AAPL", "KO"}, source: sample.Source{Kind: kind}, now: afterSample})
			if got := outcomes(rep); !same(got, map[string]string{"AAPL": "fetched", "KO": "fetched"}) {
				t.Fatalf("fetch: %v", got)
			}
			for _, sym := range []string{"AAPL", "KO"} {
				holdsBars(t, dir, settings, sym, sample.Periods(sample.Series(sym), kind.Function))
			}
		})
	}
}

func TestParseRange(t *testing.T) {
	now := time.Date(2026, time.December, 1, 23, 0, 0, 0, time.UTC)
	daily, intraday := sources.Kind{}, halfHourly
	tests := []struct {
		name        string
		kind        sources.Kind
		start, end  string
		first, last string
		err         string // the *SettingError's, if any
	}{
		{"none", daily, "", "", "", "", ""},
		{"days", daily, "2024-01-02", "2024-03-04", "2024-01-02", "2024-03-04", ""},
		{"a month of daily bars", daily, "2024-01", "", "", "", `Start "2024-01": want a date YYYY-MM-DD`},
		{"start after end", daily, "2024-03-05", "2024-03-04", "", "", `End "2024-03-04": want a day on or after the start, 2024-03-05`},
		{"months", intraday, "2024-01", "2024-02", "2024-01-01", "2024-02-29", ""},
		{"a month and a day", intraday, "2024-01", "2024-01-15", "2024-01-01", "2024-01-15", ""},
		{"one month", intraday, "2024-06", "2024-06", "2024-06-01", "2024-06-30", ""},
		{"25 years to the current month", intraday, "2002-01", "", "2002-01-01", "", ""},
		{"25 years and a month", intraday, "2001-12", "", "", "", `Start "2001-12": want a range of at most 300 months (25 years), not 301`},
		{"an end alone", intraday, "", "2024-06", "", "", `End "2024-06": want a start too`},
		{"not a month", intraday, "2024-13", "", "", "", `Start "2024-13": want a date YYYY-MM-DD or a month YYYY-MM`},
		{"months backwards", intraday, "2024-06", "2024-05", "", "", `End "2024-05": want a day on or after the start, 2024-06-01`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first, last, err := fetch.ParseRange(tt.kind, tt.start, tt.end, now)
			var se *fetch.SettingError
			switch {
			case tt.err == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.err != "" && (!errors.As(err, &se) || !strings.HasPrefix(err.Error(), tt.err)):
				t.Fatalf("error %v, want a *SettingError %q", err, tt.err)
			case first != tt.first || last != tt.last:
				t.Fatalf("range %q … %q, want %q … %q", first, last, tt.first, tt.last)
			}
		})
	}
}

// FuzzParseRange checks that any bounds either give a *SettingError or
// a range of dates that parses again to itself, start not after end.
func FuzzParseRange(f *testing.F) {
	for _, seed := range [][2]string{{"2024-01", "2024-02"}, {"2024-01-02", ""}, {"", "2024-06"}, {"2024-13", "x"}, {"1900-01", "2200-12"}} {
		f.Add(seed[0], seed[1], true)
		f.Add(seed[0], seed[1], false)
	}
	now := time.Date(2026, time.December, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, start, end string, intraday bool) {
		kind := sources.Kind{}
		if intraday {
			kind = halfHourly
		}
		first, last, err := fetch.ParseRange(kind, start, end, now)
		if err != nil {
			var se *fetch.SettingError
			if !errors.As(err, &se) || (se.Field != "Start" && se.Field != "End") {
				t.Fatalf("error %v is not a *SettingError of Start or End", err)
			}
			return
		}
		again, last2, err := fetch.ParseRange(kind, first, last, now)
		if err != nil || again != first || last2 != last {
			t.Fatalf("%q … %q parses again to %q … %q, %v", first, last, again, last2, err)
		}
		if first != "" && last != "" && first > last {
			t.Fatalf("%q is after %q", first, last)
		}
	})
}

// TestOverlapOfIntradayBars compares intraday bars by their timestamps,
// and names a changed bar by its exchange time.
func TestOverlapOfIntradayBars(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	kind := sources.Kind{Function: sources.Intraday, Interval: "60min"}
	bars := sample.Intraday("IBM", march2025, kind, sample.End)
	changed := slices.Clone(bars[10:40])
	changed[5].Close++
	tests := []struct {
		name          string
		stored, fresh []sources.Bar
		from          int
		why           string
	}{
		{"new bars", bars[:20], bars[10:40], 10, ""},
		{"nothing new", bars[:20], bars[:20], 20, ""},
		{"a revised bar", bars[:20], changed, 0, "close of " + bars[15].Date.Format(time.DateTime) + " changed from"},
		{"a bar gone", bars[:20], slices.Delete(slices.Clone(bars[10:40]), 3, 4), 0, bars[13].Date.Format(time.DateTime) + " is stored but not in the answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stored, fresh := sources.NewRecord(kind, "IBM", tt.stored, mem), sources.NewRecord(kind, "IBM", tt.fresh, mem)
			defer stored.Release()
			defer fresh.Release()
			from, why := fetch.Overlap(stored, fresh)
			if from != tt.from || !strings.Contains(why, tt.why) || (tt.why == "") != (why == "") {
				t.Errorf("overlap = %d, %q; want %d, %q", from, why, tt.from, tt.why)
			}
		})
	}
	daily := sample.Record("IBM", sample.Series("IBM")[:10], false, mem)
	defer daily.Release()
	intraday := sources.NewRecord(kind, "IBM", bars[:10], mem)
	defer intraday.Release()
	if _, why := fetch.Overlap(daily, intraday); !strings.Contains(why, "time column is date, the answer's timestamp") {
		t.Errorf("daily against intraday bars: %q", why)
	}
}

// TestValidateKind names the field of a kind out of range, so that a
// command line can name its flag.
func TestValidateKind(t *testing.T) {
	tests := []struct {
		kind  sources.Kind
		field string
	}{
		{sources.Kind{Function: "hourly"}, "Kind.Function"},
		{sources.Kind{Interval: "5min"}, "Kind.Interval"},
		{sources.Kind{Function: sources.Monthly, Interval: "5min"}, "Kind.Interval"},
		{sources.Kind{Function: sources.Intraday}, "Kind.Interval"},
		{sources.Kind{Function: sources.Intraday, Interval: "90min"}, "Kind.Interval"},
		{sources.Kind{Function: sources.Weekly, ExtendedHours: true}, "Kind.ExtendedHours"},
		{sources.Kind{Function: sources.Intraday, Interval: "1min", ExtendedHours: true, Adjusted: true}, ""},
		{sources.Kind{Function: sources.Weekly, Adjusted: true}, ""},
	}
	for _, tt := range tests {
		err := fetch.SourceConfig{Kind: tt.kind}.Validate()
		var se *fetch.SettingError
		switch {
		case tt.field == "" && err != nil:
			t.Errorf("%+v: %v", tt.kind, err)
		case tt.field != "" && (!errors.As(err, &se) || se.Field != tt.field):
			t.Errorf("%+v: %v, want a *SettingError of %s", tt.kind, err, tt.field)
		}
	}
}

// TestIntradayResumeOnABucket runs an interrupted intraday fetch and its
// resume on an object store: the months are staged there as objects, not
// data, and removed once the symbol's file is written.
func TestIntradayResumeOnABucket(t *testing.T) {
	const location = "mem://test/prices/"
	st := store.NewBucket(memblob.OpenBucket(nil), "prices/", location, store.BucketOptions{})
	defer st.Close()
	settings := intradaySettings(halfHourly, "2025-01-01", "2025-04-30")
	stagedKeys := func() []string {
		all, err := st.List(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range all {
			if strings.HasPrefix(o.Key, fetch.StagingDir+"/") {
				keys = append(keys, o.Key)
			}
		}
		return keys
	}
	src := newMovingSource(halfHourly, sample.End)
	src.failAfter = 3
	rep := runKind(t, location, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: afterSample, store: st})
	if r := rep.Results[0]; r.Status != dataset.StatusFailed || !errors.Is(r.Err, sources.ErrQuota) {
		t.Fatalf("IBM: %s, %v; want failed for the quota", r.Status, r.Err)
	}
	if keys := stagedKeys(); len(keys) != 3 {
		t.Fatalf("staged objects %v, want the 3 months fetched", keys)
	}
	if data, err := dataset.Objects(context.Background(), st); err != nil || len(data) != 0 {
		t.Fatalf("data objects %v, %v: staged months are not data", data, err)
	}
	src.asked("IBM")
	src.failAfter = 0
	rep = runKind(t, location, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: afterSample, store: st})
	if got := outcomes(rep); got["IBM"] != "fetched" {
		t.Fatalf("resume: %v", got)
	}
	if got := src.asked("IBM"); len(got) != 1 {
		t.Errorf("the resume asked for %v, want the one missing month", got)
	}
	if keys := stagedKeys(); len(keys) != 0 {
		t.Errorf("staged objects left: %v", keys)
	}
}

// TestUpdateIntradayRevisedBar revises a stored bar of the month an
// update requests: the symbol's whole range is refetched, saying which
// bar changed, and takes the months the update has just fetched rather
// than request them twice.
func TestUpdateIntradayRevisedBar(t *testing.T) {
	settings := intradaySettings(halfHourly, "2025-05-01", "")
	inJune := time.Date(2025, time.June, 11, 22, 0, 0, 0, time.UTC)
	dir := t.TempDir()
	src := newMovingSource(halfHourly, inJune)
	runKind(t, dir, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: inJune})
	src.asked("IBM")
	inJuly := time.Date(2025, time.July, 3, 22, 0, 0, 0, time.UTC)
	src.moveTo(inJuly)
	src.revised = time.Date(2025, time.June, 10, 11, 0, 0, 0, sources.Exchange)
	rep := runKind(t, dir, kindRun{source: src, now: inJuly})
	r := rep.Results[0]
	if r.Outcome != fetch.Refetched || !strings.Contains(r.Why, "close of 2025-06-10 11:00:00 changed from") {
		t.Fatalf("IBM: %s %s, %q; want refetched for the close of 2025-06-10 11:00", r.Status, r.Outcome, r.Why)
	}
	may, june, july := sources.Month{Year: 2025, Month: time.May}, sources.Month{Year: 2025, Month: time.June}, sources.Month{Year: 2025, Month: time.July}
	if got := src.asked("IBM"); !slices.Equal(got, []sources.Month{may, june, july}) || r.Attempts != 3 {
		t.Errorf("asked for %v in %d attempts, want June and July by the update, then May alone", got, r.Attempts)
	}
	if left := staged(t, dir); len(left) > 0 {
		t.Errorf("staged months left: %v", left)
	}
	fresh := t.TempDir()
	runKind(t, fresh, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: inJuly})
	sameFiles(t, dir, fresh, settings, []string{"IBM"}, 0)
}

// TestIntradayStopped stops a run gracefully while it fetches a year of
// months: the months in flight finish and stay staged, the symbol is
// skipped naming the months it did not get, and the next run requests
// exactly those.
func TestIntradayStopped(t *testing.T) {
	settings := intradaySettings(halfHourly, "2025-01", "2025-12")
	settings.Start, settings.End = "2025-01-01", "2025-12-31"
	dir := t.TempDir()
	src := newMovingSource(halfHourly, sample.End)
	stop := make(chan struct{})
	var once sync.Once
	src.onMonth = func(n int) {
		if n == 2 {
			once.Do(func() { close(stop) })
		}
	}
	rep := runKind(t, dir, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: afterSample, stop: stop})
	r := rep.Results[0]
	var me *fetch.MonthsError
	if r.Status != dataset.StatusSkipped || !errors.As(r.Err, &me) || !errors.Is(r.Err, sources.ErrStopped) {
		t.Fatalf("IBM: %s, %v; want skipped, naming its missing months", r.Status, r.Err)
	}
	first := src.asked("IBM")
	if got := staged(t, dir); len(got) != len(first) || len(first)+len(me.Missing) != 12 {
		t.Fatalf("asked %v, staged %v, missing %v: want every month asked staged, and the rest missing", first, got, me.Missing)
	}
	if r.Attempts != len(first) {
		t.Errorf("%d attempts for the %d months asked: the months never asked count none", r.Attempts, len(first))
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := m.Entry("IBM"); e.Status != dataset.StatusSkipped || !strings.Contains(e.Reason, me.Missing[0].String()) {
		t.Errorf("IBM's entry %+v does not name its missing months", e)
	}
	src.onMonth = nil
	runKind(t, dir, kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: afterSample})
	if got := src.asked("IBM"); !slices.Equal(got, me.Missing) {
		t.Errorf("the next run asked for %v, want the missing %v", got, me.Missing)
	}
	holdsBars(t, dir, settings, "IBM", intradayBars("IBM", halfHourly, sample.End, time.Date(2025, 1, 1, 0, 0, 0, 0, sources.Exchange),
		time.Date(2026, 1, 1, 0, 0, 0, 0, sources.Exchange), sources.Months(sources.Month{Year: 2025, Month: time.January}, sources.Month{Year: 2025, Month: time.December})...))
}

// TestIntradayRangeInTheFuture skips, without a request, the symbols of
// a range that starts after the current month.
func TestIntradayRangeInTheFuture(t *testing.T) {
	settings := intradaySettings(halfHourly, "2030-01-01", "")
	src := newMovingSource(halfHourly, sample.End)
	rep := runKind(t, t.TempDir(), kindRun{settings: &settings, symbols: []string{"IBM"}, source: src, now: afterSample})
	if r := rep.Results[0]; r.Status != dataset.StatusSkipped || src.requests != 0 {
		t.Errorf("IBM: %s, %v after %d requests; want skipped without one", r.Status, r.Err, src.requests)
	}
}
