package fetch_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// lastDay is the server's last trading day before it advances, a Monday;
// today is a week after it, so that its history ends within the compact
// window.
var (
	lastDay = time.Date(2026, time.June, 1, 0, 0, 0, 0, time.UTC)
	today   = func() time.Time { return lastDay.AddDate(0, 0, 9) }
)

// full is the settings of a dataset of full daily histories in Parquet.
var full = dataset.Settings{Source: fetch.SourceAlphaVantage, Function: "TIME_SERIES_DAILY", OutputSize: "full",
	Format: dataset.FormatParquet, Layout: dataset.LayoutFiles}

// dataRun is one run of fetch.Run on a dataset directory, set up as the
// loader command sets it up.
type dataRun struct {
	url      string
	settings *dataset.Settings // nil: the dataset's own (loader update)
	mode     dataset.Mode
	symbols  []string
	now      func() time.Time
	source   func(sources.Source) sources.Source // wraps the source, if set
	stop     bool                                // stop before the first symbol
}

// runOn runs r on dir and returns its report, checking that every Arrow
// buffer it allocated was released.
func runOn(t *testing.T, dir string, r dataRun) fetch.Report {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	sess, err := dataset.Begin(dir, dataset.BeginOptions{Settings: r.settings, Symbols: r.symbols, Mode: r.mode})
	if err != nil {
		t.Fatal(err)
	}
	defer sess.Close()
	st := sess.Settings()
	cfg := fetch.SourceConfig{APIKey: "k", BaseURL: r.url, Concurrency: 3}.WithSettings(st)
	src, _, err := fetch.OpenSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if r.source != nil {
		src = r.source(src)
	}
	fn, err := fetch.Transform(st)
	if err != nil {
		t.Fatal(err)
	}
	sink, err := sinks.New(sinks.Options{Dir: dir, Format: st.Format, Layout: st.Layout, Compression: st.Compression, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	if r.stop {
		close(stop)
	}
	now := r.now
	if now == nil {
		now = today
	}
	rep, err := fetch.Run(context.Background(), fetch.Config{Symbols: sess.Symbols(), Source: src, Transform: fn, Sink: sink,
		Manifest: sess.Manifest(), Concurrency: 3, Allocator: mem, Now: now, Stop: stop,
		Staging: sess.Store()})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// requests counts the compact and full answers srv gave during fn.
func requests(srv *avserver.Server, fn func()) (compact, full int64) {
	before := srv.Stats()
	fn()
	after := srv.Stats()
	return after.Compact - before.Compact, after.Full - before.Full
}

// outcomes returns each symbol's outcome, or its status when it did not
// end ok, and Days for Appended.
func outcomes(rep fetch.Report) map[string]string {
	out := map[string]string{}
	for _, r := range rep.Results {
		switch {
		case r.Status != dataset.StatusOK:
			out[r.Symbol] = string(r.Status)
		case r.Outcome == fetch.Appended:
			out[r.Symbol] = fmt.Sprintf("appended %d", r.Days)
		default:
			out[r.Symbol] = string(r.Outcome)
		}
	}
	return out
}

func same(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// sameFiles fails unless every symbol's file in dir holds the values of
// its file in want, column by column; tolerance, when not zero, is the
// relative error allowed in the columns past the fetched ones.
func sameFiles(t *testing.T, dir, want string, settings dataset.Settings, symbols []string, tolerance float64) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	read := func(d, sym string) arrow.RecordBatch {
		w, err := sinks.New(sinks.Options{Dir: d, Format: settings.Format, Layout: settings.Layout})
		if err != nil {
			t.Fatal(err)
		}
		rec, _, err := w.Read(context.Background(), sym, mem)
		if err != nil {
			t.Fatal(err)
		}
		return rec
	}
	fetched := len(sources.DailySchema(settings.Function == "TIME_SERIES_DAILY_ADJUSTED").Fields())
	for _, sym := range symbols {
		got, exp := read(dir, sym), read(want, sym)
		if got.NumRows() != exp.NumRows() || got.NumCols() != exp.NumCols() {
			t.Errorf("%s: %d rows × %d columns, a fresh fetch has %d × %d", sym, got.NumRows(), got.NumCols(), exp.NumRows(), exp.NumCols())
		}
		for c := 0; c < int(min(got.NumCols(), exp.NumCols())); c++ {
			if tolerance > 0 && c >= fetched {
				if i, ok := near(got.Column(c), exp.Column(c), tolerance); !ok {
					t.Errorf("%s: %s row %d: %v, a fresh fetch has %v", sym, exp.ColumnName(c), i, got.Column(c).ValueStr(i), exp.Column(c).ValueStr(i))
				}
				continue
			}
			if !array.Equal(got.Column(c), exp.Column(c)) {
				t.Errorf("%s: column %s differs from a fresh fetch's", sym, exp.ColumnName(c))
			}
		}
		got.Release()
		exp.Release()
	}
}

// near reports whether two float64 columns agree within tolerance, and
// the first row where they do not.
func near(a, b arrow.Array, tolerance float64) (int, bool) {
	x, y := a.(*array.Float64), b.(*array.Float64)
	for i := range min(x.Len(), y.Len()) {
		if x.IsNull(i) != y.IsNull(i) {
			return i, false
		}
		if !x.IsNull(i) && math.Abs(x.Value(i)-y.Value(i)) > tolerance*math.Max(1, math.Abs(y.Value(i))) {
			return i, false
		}
	}
	return 0, x.Len() == y.Len()
}

// TestUpdateEqualsFreshFetch fetches a dataset, lets the server's history
// go on five trading days, updates the dataset, and compares it with a
// fresh fetch of the same settings: value for value, with one compact
// request per symbol.
func TestUpdateEqualsFreshFetch(t *testing.T) {
	symbols := []string{"AAPL", "MSFT", "BRK.B", "C"}
	tests := []struct {
		name      string
		change    func(*dataset.Settings)
		tolerance float64 // for the transform columns of a --start dataset
	}{
		{"parquet", func(*dataset.Settings) {}, 0},
		{"csv hive adjusted with transforms", func(s *dataset.Settings) {
			s.Format, s.Layout, s.Function, s.Transform = dataset.FormatCSV, dataset.LayoutHive, "TIME_SERIES_DAILY_ADJUSTED", "returns,sma:5,ema:10,rsi:14"
		}, 0},
		{"arrow cut by start and end", func(s *dataset.Settings) {
			s.Format, s.Start, s.End, s.Transform = dataset.FormatArrow, "2020-01-02", "2030-01-01", "returns,sma:20,volatility:10"
		}, 1e-9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := full
			tt.change(&settings)
			srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
			dir := t.TempDir()
			if got := outcomes(runOn(t, dir, dataRun{url: url, settings: &settings, symbols: symbols})); !same(got, map[string]string{
				"AAPL": "fetched", "MSFT": "fetched", "BRK.B": "fetched", "C": "fetched"}) {
				t.Fatalf("first fetch: %v", got)
			}
			srv.Advance(5)
			var rep fetch.Report
			compact, fullReqs := requests(srv, func() { rep = runOn(t, dir, dataRun{url: url}) })
			want := map[string]string{"AAPL": "appended 5", "MSFT": "appended 5", "BRK.B": "appended 5", "C": "appended 5"}
			if got := outcomes(rep); !same(got, want) {
				t.Errorf("update: %v, want %v", got, want)
			}
			if compact != int64(len(symbols)) || fullReqs != 0 {
				t.Errorf("update made %d compact and %d full requests, want one compact per symbol", compact, fullReqs)
			}
			fresh := t.TempDir()
			runOn(t, fresh, dataRun{url: url, settings: &settings, symbols: symbols})
			sameFiles(t, dir, fresh, settings, symbols, tt.tolerance)
			checkManifest(t, dir, symbols, srv.LastDay())
		})
	}
}

// TestUpdateKindsAgainstTheServer fetches weekly, monthly and intraday
// datasets from the server, lets its history go on, updates them and
// compares them with a fresh fetch: one request per symbol for weekly
// and monthly bars, one per month since the last stored bar for intraday
// ones, and the same values.
func TestUpdateKindsAgainstTheServer(t *testing.T) {
	symbols := []string{"AAPL", "KO"}
	tests := []struct {
		name    string
		kind    sources.Kind
		start   string
		advance int
		want    string
		// months are the requests per symbol and month over the fetch
		// and the update, the update's months the last two.
		months map[string]int64
	}{
		{"weekly", sources.Kind{Function: sources.Weekly}, "", 3, "appended 1", nil},
		{"weekly adjusted, two weeks on", sources.Kind{Function: sources.Weekly, Adjusted: true}, "", 10, "appended 3", nil},
		{"monthly", sources.Kind{Function: sources.Monthly}, "", 25, "appended 2", nil},
		{"intraday", sources.Kind{Function: sources.Intraday, Interval: "60min"}, "2026-05-01", 25, "",
			map[string]int64{"2026-05": 1, "2026-06": 2, "2026-07": 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			settings := fetch.SourceConfig{Kind: tt.kind}.Settings(fetch.SourceAlphaVantage)
			settings.Start, settings.Format, settings.Layout = tt.start, dataset.FormatParquet, dataset.LayoutFiles
			srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
			dir := t.TempDir()
			runOn(t, dir, dataRun{url: url, settings: &settings, symbols: symbols, now: func() time.Time { return lastDay.Add(22 * time.Hour) }})
			last := srv.Advance(tt.advance)
			later := func() time.Time { return last.Add(22 * time.Hour) }
			before := srv.Stats().Requests
			rep := runOn(t, dir, dataRun{url: url, now: later})
			for _, r := range rep.Results {
				if r.Status != dataset.StatusOK || r.Outcome != fetch.Appended {
					t.Errorf("%s: %s %s %q %v, want appended", r.Symbol, r.Status, r.Outcome, r.Why, r.Err)
				}
			}
			if got := outcomes(rep); tt.want != "" && !same(got, map[string]string{"AAPL": tt.want, "KO": tt.want}) {
				t.Errorf("update: %v, want %s", got, tt.want)
			}
			requests := srv.Stats().Requests - before
			if want := int64(len(symbols) * max(1, min(2, len(tt.months)))); requests != want {
				t.Errorf("the update made %d requests, want %d", requests, want)
			}
			for m, want := range tt.months {
				for _, sym := range symbols {
					if n := srv.Requests(sym, m); n != want {
						t.Errorf("%s %s: %d requests over fetch and update, want %d", sym, m, n, want)
					}
				}
			}
			fresh := t.TempDir()
			runOn(t, fresh, dataRun{url: url, settings: &settings, symbols: symbols, now: later})
			sameFiles(t, dir, fresh, settings, symbols, 0)
		})
	}
}

// checkManifest fails unless dir's manifest lists every symbol ok, its
// file's size and hash as they are, its history ending on last.
func checkManifest(t *testing.T, dir string, symbols []string, last time.Time) {
	t.Helper()
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, sym := range symbols {
		e, _ := m.Entry(sym)
		if e.Status != dataset.StatusOK || e.LastDate != last.Format(time.DateOnly) || e.FetchedAt == "" || e.Reason != "" {
			t.Errorf("%s: entry %+v, want ok through %s", sym, e, last.Format(time.DateOnly))
		}
		if _, ok := m.Resumable(sym, e.File); !ok {
			t.Errorf("%s: the entry does not match its file", sym)
		}
	}
}

// TestUpdateRefetchesChangedHistory pays a dividend within the stored
// history of one symbol of an adjusted dataset: that symbol alone is
// refetched, with one full request, and says why.
func TestUpdateRefetchesChangedHistory(t *testing.T) {
	settings := full
	settings.Function, settings.Transform = "TIME_SERIES_DAILY_ADJUSTED", "returns"
	symbols := []string{"AAPL", "MSFT", "IBM"}
	srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
	dir := t.TempDir()
	runOn(t, dir, dataRun{url: url, settings: &settings, symbols: symbols})
	srv.Advance(5)
	payday := lastDay.AddDate(0, 0, -14)
	srv.AddDividend("MSFT", payday, 0.75)

	var rep fetch.Report
	compact, fullReqs := requests(srv, func() { rep = runOn(t, dir, dataRun{url: url}) })
	want := map[string]string{"AAPL": "appended 5", "MSFT": "refetched", "IBM": "appended 5"}
	if got := outcomes(rep); !same(got, want) {
		t.Fatalf("update: %v, want %v", got, want)
	}
	if compact != 3 || fullReqs != 1 {
		t.Errorf("update made %d compact and %d full requests, want 3 compact and one full refetch", compact, fullReqs)
	}
	for _, r := range rep.Results {
		if r.Symbol == "MSFT" && (r.Attempts != 2 || !strings.Contains(r.Why, "adjusted_close of ") || !strings.Contains(r.Why, "changed from")) {
			t.Errorf("MSFT: attempts %d, why %q; want 2 requests and the adjusted close that changed", r.Attempts, r.Why)
		}
	}
	fresh := t.TempDir()
	runOn(t, fresh, dataRun{url: url, settings: &settings, symbols: symbols})
	sameFiles(t, dir, fresh, settings, symbols, 0)
	checkManifest(t, dir, symbols, srv.LastDay())
}

// TestUpdateCompactDataset grows a compact dataset day by day, and
// refetches it compact when its history changes.
func TestUpdateCompactDataset(t *testing.T) {
	settings := full
	settings.OutputSize, settings.Function = "compact", "TIME_SERIES_DAILY_ADJUSTED"
	srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
	dir := t.TempDir()
	runOn(t, dir, dataRun{url: url, settings: &settings, symbols: []string{"IBM", "KO"}})
	srv.Advance(3)
	rep := runOn(t, dir, dataRun{url: url})
	if got := outcomes(rep); !same(got, map[string]string{"IBM": "appended 3", "KO": "appended 3"}) {
		t.Fatalf("update: %v", got)
	}
	if rows := rep.Results[0].File.Rows; rows != sources.CompactBars+3 {
		t.Errorf("%d rows after the update, want the 100 of the first fetch and 3 more", rows)
	}
	srv.AddDividend("KO", lastDay, 0.5)
	srv.Advance(1)
	var again fetch.Report
	compact, fullReqs := requests(srv, func() { again = runOn(t, dir, dataRun{url: url}) })
	if got := outcomes(again); !same(got, map[string]string{"IBM": "appended 1", "KO": "refetched"}) {
		t.Fatalf("update after the dividend: %v", got)
	}
	if compact != 2 || fullReqs != 0 {
		t.Errorf("%d compact and %d full requests: a compact dataset refetches compact, in the answer it has", compact, fullReqs)
	}
	for _, r := range again.Results {
		if want := map[string]int64{"IBM": sources.CompactBars + 4, "KO": sources.CompactBars}[r.Symbol]; r.File.Rows != want {
			t.Errorf("%s: %d rows, want %d", r.Symbol, r.File.Rows, want)
		}
	}
}

func TestUpdateRequestSizes(t *testing.T) {
	tests := []struct {
		name          string
		advance       int
		now           func() time.Time
		compact, full int64
		want          string
	}{
		{"nothing new", 0, nil, 2, 0, "unchanged"},
		{"stale beyond the compact window", 5, func() time.Time { return lastDay.AddDate(0, 8, 0) }, 0, 2, "appended 5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
			dir := t.TempDir()
			runOn(t, dir, dataRun{url: url, settings: &full, symbols: []string{"AAPL", "MSFT"}})
			before, err := dataset.LoadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			srv.Advance(tt.advance)
			var rep fetch.Report
			compact, fullReqs := requests(srv, func() { rep = runOn(t, dir, dataRun{url: url, now: tt.now}) })
			if got := outcomes(rep); got["AAPL"] != tt.want || got["MSFT"] != tt.want {
				t.Errorf("update: %v, want %s", got, tt.want)
			}
			if compact != tt.compact || fullReqs != tt.full {
				t.Errorf("%d compact and %d full requests, want %d and %d", compact, fullReqs, tt.compact, tt.full)
			}
			after, err := dataset.LoadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			a, _ := before.Entry("AAPL")
			b, _ := after.Entry("AAPL")
			if tt.want == "unchanged" && (a.SHA256 != b.SHA256 || a.FetchedAt > b.FetchedAt) {
				t.Errorf("unchanged: entry %+v, was %+v", b, a)
			}
		})
	}
}

// failing fails the symbols in fail, and counts nothing else.
type failing struct {
	sources.SizedSource
	fail string
}

func (f failing) FetchSize(ctx context.Context, sym string, size sources.OutputSize, mem memory.Allocator) (sources.Series, error) {
	if sym == f.fail {
		return sources.Series{}, fmt.Errorf("fetch %s: HTTP 503 after 4 attempts", sym)
	}
	return f.SizedSource.FetchSize(ctx, sym, size, mem)
}

// TestUpdateKeepsWhatItCannotUpdate fails one symbol's update and stops
// another run before it starts: the files stay, and the manifest lists
// them ok with the reason; a new symbol not fetched is skipped.
func TestUpdateKeepsWhatItCannotUpdate(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
	dir := t.TempDir()
	runOn(t, dir, dataRun{url: url, settings: &full, symbols: []string{"AAPL", "MSFT"}})
	sums := map[string]string{}
	m, _ := dataset.LoadManifest(dir)
	for _, e := range m.Entries() {
		sums[e.Symbol] = e.SHA256
	}
	srv.Advance(2)

	rep := runOn(t, dir, dataRun{url: url, source: func(s sources.Source) sources.Source {
		return failing{SizedSource: s.(sources.SizedSource), fail: "MSFT"}
	}})
	if got := outcomes(rep); !same(got, map[string]string{"AAPL": "appended 2", "MSFT": "failed"}) {
		t.Fatalf("update: %v", got)
	}
	m, _ = dataset.LoadManifest(dir)
	if e, _ := m.Entry("MSFT"); e.Status != dataset.StatusOK || e.SHA256 != sums["MSFT"] || e.Reason != "update failed: fetch MSFT: HTTP 503 after 4 attempts" {
		t.Errorf("MSFT after a failed update: %+v", e)
	}

	rep = runOn(t, dir, dataRun{url: url, symbols: []string{"NEW"}, stop: true})
	if got := outcomes(rep); !same(got, map[string]string{"AAPL": "skipped", "MSFT": "skipped", "NEW": "skipped"}) {
		t.Fatalf("stopped update: %v", got)
	}
	m, _ = dataset.LoadManifest(dir)
	for sym, want := range map[string]string{
		"MSFT": "ok: not updated: " + fetch.ErrStopped.Error(),
		"NEW":  "skipped: not fetched: " + fetch.ErrStopped.Error(),
	} {
		if e, _ := m.Entry(sym); string(e.Status)+": "+e.Reason != want {
			t.Errorf("%s: %s: %s, want %s", sym, e.Status, e.Reason, want)
		}
	}
	if e, _ := m.Entry("MSFT"); e.SHA256 != sums["MSFT"] {
		t.Error("a stopped run changed MSFT's entry")
	}
}

// TestUpdateAfterAKilledUpdate restores the manifest an update replaced, as
// a run killed after renaming its files but before saving the manifest
// leaves it: the next update finds the files complete, as the source has
// them, and describes them.
func TestUpdateAfterAKilledUpdate(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
	dir := t.TempDir()
	symbols := []string{"AAPL", "MSFT"}
	runOn(t, dir, dataRun{url: url, settings: &full, symbols: symbols})
	old, err := os.ReadFile(filepath.Join(dir, dataset.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	srv.Advance(5)
	runOn(t, dir, dataRun{url: url})
	if err := os.WriteFile(filepath.Join(dir, dataset.ManifestName), old, 0o644); err != nil {
		t.Fatal(err)
	}
	rep := runOn(t, dir, dataRun{url: url})
	if got := outcomes(rep); !same(got, map[string]string{"AAPL": "unchanged", "MSFT": "unchanged"}) {
		t.Errorf("update after the kill: %v", got)
	}
	checkManifest(t, dir, symbols, srv.LastDay())
}

// TestUpdateOfEveryLayoutAndFormat runs fetch then update in the layouts
// and formats an update can read back, and the single layout, which is
// rewritten whole.
func TestUpdateOfEveryLayoutAndFormat(t *testing.T) {
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutHive, dataset.LayoutSingle} {
		for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
			t.Run(fmt.Sprintf("%s/%s", layout, format), func(t *testing.T) {
				settings := full
				settings.Layout, settings.Format = layout, format
				srv, url := avtest.Start(t, avserver.Config{LastDay: lastDay})
				dir := t.TempDir()
				runOn(t, dir, dataRun{url: url, settings: &settings, symbols: []string{"AAPL", "EURUSD=X"}})
				srv.Advance(1)
				rep := runOn(t, dir, dataRun{url: url})
				want := "appended 1"
				if layout == dataset.LayoutSingle {
					want = "fetched"
				}
				if got := outcomes(rep); got["AAPL"] != want || got["EURUSD=X"] != want {
					t.Errorf("update: %v, want %s", got, want)
				}
				files, err := dataset.Files(dir)
				if err != nil || len(files) == 0 {
					t.Fatalf("Files = %v, %v", files, err)
				}
				for _, r := range rep.Results {
					if !r.File.LastDate.Equal(srv.LastDay()) {
						t.Errorf("%s ends %s, want %s", r.Symbol, r.File.LastDate, srv.LastDay())
					}
				}
			})
		}
	}
}

func TestOverlap(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	// bars are the days 0..n-1, with day d's close 100+d, except as
	// changed by change.
	bars := func(from, to int, change map[int]float64, skip ...int) arrow.RecordBatch {
		b := array.NewRecordBuilder(mem, sources.DailySchema(false))
		defer b.Release()
		for d := from; d < to; d++ {
			if slices.Contains(skip, d) {
				continue
			}
			c := 100 + float64(d)
			if v, ok := change[d]; ok {
				c = v
			}
			b.Field(0).(*array.StringBuilder).Append("X")
			b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(lastDay.AddDate(0, 0, d)))
			for f := 2; f <= 5; f++ {
				b.Field(f).(*array.Float64Builder).Append(c)
			}
			b.Field(6).(*array.Int64Builder).Append(int64(d))
		}
		return b.NewRecordBatch()
	}
	date := func(d int) string { return lastDay.AddDate(0, 0, d).Format(time.DateOnly) }
	tests := []struct {
		name   string
		stored arrow.RecordBatch
		fresh  arrow.RecordBatch
		from   int
		why    string
	}{
		{"new days", bars(0, 10, nil), bars(5, 15, nil), 5, ""},
		{"nothing new", bars(0, 10, nil), bars(5, 10, nil), 5, ""},
		{"the answer reaches further back (--start)", bars(3, 10, nil), bars(0, 12, nil), 10, ""},
		{"a revised bar", bars(0, 10, nil), bars(5, 15, map[int]float64{7: 99}), 0,
			"open of " + date(7) + " changed from 107 to 99"},
		{"a day gone", bars(0, 10, nil), bars(5, 15, nil, 6), 0, date(6) + " is stored but not in the answer"},
		{"a day more", bars(0, 10, nil, 8), bars(5, 15, nil), 0, date(8) + " is in the answer but not stored"},
		{"the answer ends early", bars(0, 10, nil), bars(5, 8, nil), 0, date(8) + " is stored but not in the answer"},
		{"no overlap", bars(0, 10, nil), bars(12, 20, nil), 0, "no bar to compare"},
		{"a day missing before the stored end, answer reaching back", bars(3, 10, nil), bars(0, 12, nil, 3), 0, date(3) + " is stored but not in the answer"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			defer tt.stored.Release()
			defer tt.fresh.Release()
			from, why := fetch.Overlap(tt.stored, tt.fresh)
			if from != tt.from || !strings.Contains(why, tt.why) || (tt.why == "") != (why == "") {
				t.Errorf("overlap = %d, %q; want %d, %q", from, why, tt.from, tt.why)
			}
		})
	}
}

func TestWithinCompact(t *testing.T) {
	monday := time.Date(2026, time.June, 1, 15, 0, 0, 0, time.UTC)
	tests := []struct {
		last string
		want bool
	}{
		{"2026-05-29", true},  // the Friday before
		{"2026-01-19", true},  // 95 business days before
		{"2026-01-16", false}, // 96 (a Friday)
		{"2025-06-01", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := fetch.WithinCompact(tt.last, monday); got != tt.want {
			t.Errorf("WithinCompact(%q) = %v, want %v", tt.last, got, tt.want)
		}
	}
}
