package fetch_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/leaktest"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/transform"
)

func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }

// errFatal is what a source returns for a refused key: the default IsFatal
// stops the run on it.
var errFatal = fmt.Errorf("invalid API key: %w", sources.ErrFatal)

// fakeSource serves the sample data, except for the symbols it is told to
// fail, panic on or block on.
type fakeSource struct {
	fail    map[string]error
	panicOn string
	block   chan struct{} // closed to let BLOCK through
	started chan struct{} // closed when BLOCK starts, if not nil
	mu      sync.Mutex
	fetched []string
}

func (f *fakeSource) Name() string { return "fake" }
func (f *fakeSource) Close() error { return nil }

func (f *fakeSource) Fetch(ctx context.Context, sym string, mem memory.Allocator) (sources.Series, error) {
	f.mu.Lock()
	f.fetched = append(f.fetched, sym)
	f.mu.Unlock()
	if sym == f.panicOn {
		panic("decoder bug")
	}
	if err := f.fail[sym]; err != nil {
		return sources.Series{}, err
	}
	if sym == "BLOCK" {
		if f.started != nil {
			close(f.started)
		}
		select {
		case <-f.block:
		case <-ctx.Done():
			return sources.Series{}, ctx.Err()
		}
	}
	return sample.Source{}.Fetch(ctx, sym, mem)
}

func newSink(t *testing.T, dir string) *sinks.Writer {
	t.Helper()
	w, err := sinks.New(sinks.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// newManifest starts the manifest of a run of symbols into dir, carrying
// over what an earlier run finished when resume is set, replacing it
// otherwise.
func newManifest(t *testing.T, dir string, symbols []string, resume bool) *dataset.Manifest {
	t.Helper()
	mode := dataset.Overwrite
	if resume {
		mode = dataset.Resume
	}
	settings := dataset.Settings{Source: "sample", Format: dataset.FormatParquet, Layout: dataset.LayoutFiles}
	s, err := dataset.Begin(dir, dataset.BeginOptions{Settings: &settings, Symbols: symbols, Mode: mode})
	if err != nil {
		t.Fatal(err)
	}
	// These runs need no lock: one at a time, each in its own directory.
	s.Close()
	return s.Manifest()
}

func statuses(r fetch.Report) map[string]dataset.Status {
	out := map[string]dataset.Status{}
	for _, res := range r.Results {
		out[res.Symbol] = res.Status
	}
	return out
}

func TestRunAccountsForEverySymbol(t *testing.T) {
	t.Parallel()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	dir := t.TempDir()
	src := &fakeSource{fail: map[string]error{"BAD": errors.New("unknown symbol")}, panicOn: "BOOM"}
	var mu sync.Mutex
	seen := map[string]int{}
	symbols := []string{"AAPL", "BAD", "MSFT", "BOOM", "IBM"}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols:     symbols,
		Source:      src,
		Transform:   transform.Chain(transform.Returns(), transform.SMA(5)),
		Sink:        newSink(t, dir),
		Manifest:    newManifest(t, dir, symbols, false),
		Concurrency: 3,
		Allocator:   mem,
		OnResult:    func(r fetch.Result) { mu.Lock(); seen[r.Symbol]++; mu.Unlock() },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]dataset.Status{"AAPL": dataset.StatusOK, "BAD": dataset.StatusFailed, "MSFT": dataset.StatusOK, "BOOM": dataset.StatusFailed, "IBM": dataset.StatusOK}
	got := statuses(report)
	for sym, st := range want {
		if got[sym] != st || seen[sym] != 1 {
			t.Errorf("%s: status %q reported %d times, want %q once", sym, got[sym], seen[sym], st)
		}
	}
	for i, sym := range []string{"AAPL", "BAD", "MSFT", "BOOM", "IBM"} {
		if report.Results[i].Symbol != sym {
			t.Fatalf("results not in request order: %v", report.Results)
		}
	}
	if r := report.Results[3]; !strings.Contains(r.Err.Error(), "panic: decoder bug") {
		t.Errorf("BOOM failed with %v, want the panic", r.Err)
	}
	if _, err := os.Stat(filepath.Join(dir, "BAD.parquet")); !os.IsNotExist(err) {
		t.Error("a failed symbol has a file")
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tot := m.Totals(); tot.OK != 3 || tot.Failed != 2 || tot.Pending != 0 {
		t.Errorf("manifest totals %+v, want 3 ok and 2 failed", tot)
	}
	if e, _ := m.Entry("BAD"); e.Reason != "unknown symbol" {
		t.Errorf("manifest reason of BAD = %q", e.Reason)
	}
	if len(report.Stages) != 4 || report.Stages[1].Name != "fetch" || report.Stages[2].Name != "transform" {
		t.Errorf("stages %+v", report.Stages)
	}
}

func TestRunStopsOnFatalError(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	symbols := []string{"A", "KEY", "B", "C", "D", "E", "F", "G"}
	report, err := fetch.Run(context.Background(), fetch.Config{
		Symbols:     symbols,
		Source:      &fakeSource{fail: map[string]error{"KEY": errFatal}},
		Sink:        newSink(t, dir),
		Concurrency: 1,
	})
	if err != nil {
		t.Fatal(err)
	}
	if !errors.Is(report.Fatal, errFatal) {
		t.Fatalf("Fatal = %v, want the key error", report.Fatal)
	}
	got := statuses(report)
	if got["KEY"] != dataset.StatusFailed || got["G"] != dataset.StatusSkipped {
		t.Fatalf("statuses %v: want KEY failed and the rest skipped", got)
	}
	if r := report.Results[len(symbols)-1]; !errors.Is(r.Err, errFatal) {
		t.Errorf("skip reason %v, want it to name the fatal error", r.Err)
	}
}

func TestRunGracefulStop(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	stop := make(chan struct{})
	src := &fakeSource{block: make(chan struct{}), started: make(chan struct{})}
	done := make(chan fetch.Report)
	sink := newSink(t, dir)
	go func() {
		report, _ := fetch.Run(context.Background(), fetch.Config{
			Symbols:     []string{"BLOCK", "X1", "X2", "X3"},
			Source:      src,
			Sink:        sink,
			Concurrency: 1,
			Stop:        stop,
		})
		done <- report
	}()
	<-src.started
	close(stop)
	close(src.block)
	report := <-done
	got := statuses(report)
	if got["BLOCK"] != dataset.StatusOK {
		t.Fatalf("the symbol in flight was not finished: %v", got)
	}
	if got["X3"] != dataset.StatusSkipped || !errors.Is(report.Results[3].Err, fetch.ErrStopped) {
		t.Fatalf("symbols after the stop: %v", got)
	}
}

func TestRunCancelAborts(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	src := &fakeSource{block: make(chan struct{})}
	done := make(chan error)
	sink := newSink(t, dir)
	go func() {
		_, err := fetch.Run(ctx, fetch.Config{Symbols: []string{"BLOCK", "X"}, Source: src, Sink: sink})
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("temporary file %s left after abort", e.Name())
		}
	}
}

func TestRunResume(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	run := func(symbols []string, resume bool) (fetch.Report, *fakeSource) {
		src := &fakeSource{}
		report, err := fetch.Run(context.Background(), fetch.Config{Symbols: symbols, Source: src, Sink: newSink(t, dir), Manifest: newManifest(t, dir, symbols, resume)})
		if err != nil {
			t.Fatal(err)
		}
		return report, src
	}
	run([]string{"AAPL", "MSFT"}, false)
	// Damage MSFT's file: resume must fetch it again, and keep AAPL.
	if err := os.WriteFile(filepath.Join(dir, "MSFT.parquet"), []byte("garbage"), 0o644); err != nil {
		t.Fatal(err)
	}
	report, src := run([]string{"AAPL", "MSFT", "IBM"}, true)
	if strings.Join(src.fetched, ",") != "MSFT,IBM" && strings.Join(src.fetched, ",") != "IBM,MSFT" {
		t.Fatalf("resume fetched %v, want MSFT and IBM only", src.fetched)
	}
	if !report.Results[0].Resumed || report.Results[1].Resumed {
		t.Fatalf("results %+v: want AAPL resumed and MSFT refetched", report.Results)
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tot := m.Totals(); tot.OK != 3 || tot.CarriedOver != 1 {
		t.Fatalf("manifest totals %+v", tot)
	}
}
