// Package fetch runs the fetch job: symbols flow from a [sources.Source]
// through an optional transform into a [Sink], each stage on its own pool,
// connected by bounded channels:
//
//	symbols ──► fetch (Concurrency workers) ──► transform (GOMAXPROCS) ──► write (WriteWorkers)
//
// A slow stage stalls the ones before it: at most QueueSize series wait for
// the writers. Every requested symbol ends in exactly one [Result], recorded
// in the dataset's manifest as it happens: written to a complete file,
// failed with its reason, or skipped because the run stopped before it
// started.
//
// A symbol the manifest lists as ok (see [dataset.Begin]) is brought up to
// date instead of fetched whole: one compact request when its stored
// history ends within the compact window, the newest days checked against
// the stored ones and appended; any difference refetches it whole. See
// [Outcome]. Weekly and monthly symbols are brought up to date with one
// request for their whole history, intraday ones month by month (see
// [Config.Kind] and [Config.Range]).
package fetch

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"runtime"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/pipeline"
	"github.com/seed-c7c8f39b/loader/transform"
)

// Sink is where a run's series go: the local files of package sinks, an
// object store, or a user's own. Write is called from WriteWorkers
// goroutines at once; Run calls exactly one of Close and Abort, after the
// last Write has returned.
type Sink interface {
	// Write stores s and returns what it stored. The caller keeps
	// ownership of s.Record. When Write returns nil the series is stored
	// whole; on error nothing of it may remain under its final name.
	Write(ctx context.Context, s sources.Series) (dataset.File, error)
	// Close finishes what the run wrote (a file shared by every symbol is
	// completed). An error loses every series written in the run.
	Close() error
	// Abort discards what is not finished: the run was cancelled.
	Abort()
}

// Config describes one run. Symbols, Source and Sink are required.
type Config struct {
	Symbols []string
	Source  sources.Source
	// Transform, if set, runs on every series before it is written.
	Transform transform.Func
	// Sink stores the series. Run closes it when done, or aborts it when
	// ctx is cancelled.
	Sink Sink
	// Manifest, if set, records every symbol's result as it happens, and
	// says what to do with each (see [dataset.Begin]): a symbol it lists
	// as carried over from an earlier run is kept, not fetched; one it
	// lists ok otherwise is brought up to date, in its settings' output
	// size, when Sink is a [Reader]; any other is fetched whole. Source
	// must fetch in the manifest's settings.
	Manifest *dataset.Manifest
	// Stored, used when Manifest is nil, are the symbols a sink without a
	// manifest already holds (a database table's), by symbol: those of
	// Symbols it lists are brought up to date as a manifest's ok entries
	// are, from their LastDate, when Sink is a [Reader]; the others are
	// fetched whole. Nothing is recorded for them but by the Sink.
	Stored map[string]dataset.Entry
	// OutputSize is the dataset's output size when Manifest is nil (a
	// manifest's settings say it otherwise): the output_size an appended
	// series is recorded with. Empty: the compact answer's.
	OutputSize sources.OutputSize
	// Concurrency is how many symbols are fetched at once (default 4).
	Concurrency int
	// QueueSize bounds the series waiting for the writers (default 8): a
	// slow disk stalls fetching instead of filling memory.
	QueueSize int
	// WriteWorkers is how many series are written at once (default
	// GOMAXPROCS: encoding Parquet is CPU-bound).
	WriteWorkers int
	// Stop, when closed, ends the run gracefully: no new symbol starts,
	// those in flight finish and are written, the rest are skipped. A
	// Source that is a sources.Stopper is stopped too, so that neither the
	// symbols it already holds nor retries start a request; those fail
	// with sources.ErrStopped and are skipped. Cancelling Run's context
	// instead aborts at once.
	Stop <-chan struct{}
	// IsFatal reports errors after which no other symbol can succeed: the
	// run stops at once and the rest are skipped. The default matches
	// sources.ErrFatal (an API key the service refused, a used-up quota).
	IsFatal func(error) bool
	// OnResult, if set, is called with every result as it happens, from
	// the pipeline's goroutines: it must be safe for concurrent use.
	OnResult func(Result)
	// Allocator builds the Arrow records (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// Now tells the time that decides whether a stored history ends within
	// the compact window, which month is the current one, and whether a
	// staged month was complete when it was fetched (default time.Now).
	Now func() time.Time

	// Kind is the series Source fetches: by default, with a Manifest, the
	// dataset's (with its Range), else daily bars. Daily
	// symbols are brought up to date as the package comment says; weekly
	// and monthly ones with one request for their whole history, the
	// stored bar of the then current period replaced by the answer's;
	// intraday ones month by month (see Range), from the month of their
	// last stored bar through the current one.
	Kind sources.Kind
	// Range, for intraday bars, is the days to keep. With a Start, every
	// symbol's history is fetched one month per request from a Source that
	// is a sources.MonthSource, each month staged in Staging as it
	// arrives; once all its months are in, they are merged, trimmed to the
	// range and written, and the staged months removed. A symbol whose
	// months are not all in fails with a *MonthsError naming the missing
	// ones, and keeps its staged months, so that a run with the same
	// settings requests only those. Without a Start, one request per
	// symbol gets its newest bars.
	Range Range
	// Staging is where intraday months wait for the rest of their
	// symbol's: the dataset's store (see StagingDir). Runs that fetch
	// months need it.
	Staging store.Store
}

// Result is the outcome of one symbol.
type Result struct {
	Symbol   string
	Status   dataset.Status
	File     dataset.File // when Status is dataset.StatusOK
	Attempts int
	// Resumed marks a file kept from an earlier run.
	Resumed bool
	// Outcome says, for an ok symbol, what the run did with its data; Days
	// is how many bars Appended added (for weekly and monthly bars, the
	// replaced bar of the period that was current counts among them), Why
	// why the symbol was Refetched.
	Outcome Outcome
	Days    int
	Why     string
	// Err is the reason of a failure or a skip.
	Err error
}

// Outcome is what a run did with the data of a symbol that ended ok.
type Outcome string

// The outcomes.
const (
	// Fetched: the symbol had no complete file; it was fetched whole.
	Fetched Outcome = "fetched"
	// Appended: the newest days matched the stored ones, and the new days
	// were appended.
	Appended Outcome = "appended"
	// Unchanged: the newest days matched the stored ones and none was new;
	// the file was left as it was.
	Unchanged Outcome = "unchanged"
	// Refetched: the stored history no longer matched the source's (a
	// dividend or split rewrote the adjusted series, a bar was revised),
	// so the symbol was fetched whole again; Why says what differed.
	Refetched Outcome = "refetched"
	// Kept: the complete file of an earlier run was kept without a
	// request (resume).
	Kept Outcome = "kept"
)

// ErrStopped is the reason of the symbols a stopped run never started.
var ErrStopped = errors.New("run stopped before this symbol started")

// CutOffError is the reason of a symbol whose fetch, transform or write
// was under way when the run was aborted: Cause says why the run was
// (the context's cause: a second interrupt, a grace period run out, a
// fatal error), where Err would only say "context canceled".
type CutOffError struct {
	Cause error
	Err   error
}

// Error reads "cut off: " and the cause.
func (e *CutOffError) Error() string { return "cut off: " + e.Cause.Error() }

// Unwrap returns the cause and the symbol's own error.
func (e *CutOffError) Unwrap() []error { return []error{e.Cause, e.Err} }

// Run fetches, transforms and writes every symbol of cfg, and returns when
// every symbol has a result. Symbol failures are in the report, not the
// error, which is non-nil only when the run could not keep its records (the
// configuration is unusable, the manifest cannot be written) or ctx was
// cancelled; the report is complete in every case but the first.
func Run(ctx context.Context, cfg Config) (Report, error) {
	if cfg.Source == nil || cfg.Sink == nil {
		return Report{}, errors.New("fetch: Config needs a Source and a Sink")
	}
	cfg = withDefaults(cfg)
	start := time.Now()

	r := newRun(cfg)
	h := newHalt(cfg.Stop)
	defer h.release()
	r.halt = h

	ctx, abort := context.WithCancelCause(ctx)
	defer abort(nil)
	p := pipeline.New(ctx,
		pipeline.WithErrorPolicy(pipeline.CollectErrors),
		pipeline.WithErrorHandler(func(e *pipeline.ItemError) {
			res := Result{Symbol: symbolOf(e), Status: dataset.StatusFailed, Attempts: attemptsOf(e.Err), Err: e.Err}
			switch {
			case errors.Is(e.Err, sources.ErrStopped), errors.Is(e.Err, transform.ErrEmptyRange):
				res.Status = dataset.StatusSkipped
			case ctx.Err() != nil && errors.Is(e.Err, context.Canceled):
				res.Err = &CutOffError{Cause: context.Cause(ctx), Err: e.Err}
			}
			r.finish(res)
			if isStorageFailure(e.Err) {
				h.stop(e.Err)
			}
			if cfg.IsFatal(e.Err) {
				r.setFatal(e.Err)
				abort(fmt.Errorf("run stopped: %w", e.Err))
			}
		}))

	symbols := pipeline.Source(p, "symbols", func(_ context.Context, emit func(string) error) error {
		for _, sym := range r.todo {
			if h.halted() != nil {
				return nil
			}
			if err := emit(sym); err != nil {
				return err
			}
		}
		return nil
	})
	// QueueSize bounds the series waiting for the writers: it is the
	// output buffer of whichever stage feeds write.
	queue := pipeline.Buffer(cfg.QueueSize)
	fetchOpts := []pipeline.MapOption{pipeline.Workers(cfg.Concurrency)}
	if cfg.Transform == nil {
		fetchOpts = append(fetchOpts, queue)
	}
	fetchOne := func(ctx context.Context, sym string) (job, error) {
		if why := h.halted(); why != nil {
			return job{}, fmt.Errorf("fetch %s: %w", sym, why)
		}
		return r.fetch(ctx, sym)
	}
	jobs := pipeline.Map(p, "fetch", symbols, fetchOne, fetchOpts...).WithDiscard(job.release)
	if cfg.Transform != nil {
		jobs = pipeline.Map(p, "transform", jobs, r.transform,
			pipeline.Workers(runtime.GOMAXPROCS(0)), queue).WithDiscard(job.release)
	}
	pipeline.Sink(p, "write", jobs, r.write, pipeline.Workers(cfg.WriteWorkers))

	if s, ok := cfg.Source.(sources.Stopper); ok {
		defer stopOnClose(h.done, s)()
	}
	// Every item error is already a failed Result, so Wait's error adds
	// nothing; cancellation is read from ctx below.
	_ = p.Wait()
	cancelled := ctx.Err() != nil && r.fatalErr() == nil
	if cancelled {
		cfg.Sink.Abort()
	} else if err := cfg.Sink.Close(); err != nil {
		r.lose(err)
	}
	stopped := h.halted() // why symbols that never finished did not
	if cancelled {
		stopped = context.Cause(ctx)
	}
	report, err := r.close(stopped)
	report.Stages = p.Stats()
	report.Elapsed = time.Since(start)
	if err == nil && cancelled {
		err = context.Cause(ctx)
	}
	return report, err
}

func withDefaults(cfg Config) Config {
	if cfg.Concurrency < 1 {
		cfg.Concurrency = 4
	}
	if cfg.QueueSize < 1 {
		cfg.QueueSize = 8
	}
	if cfg.WriteWorkers < 1 {
		cfg.WriteWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Stop == nil {
		cfg.Stop = make(chan struct{})
	}
	if cfg.IsFatal == nil {
		cfg.IsFatal = func(err error) bool { return errors.Is(err, sources.ErrFatal) }
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Manifest != nil && cfg.Kind == (sources.Kind{}) && cfg.Range == (Range{}) {
		cfg.Kind, cfg.Range = KindOf(cfg.Manifest.Settings()), RangeOf(cfg.Manifest.Settings())
	}
	return cfg
}

// stopOnClose stops s once stop is closed, until the returned function
// is called.
func stopOnClose(stop <-chan struct{}, s sources.Stopper) (release func()) {
	done := make(chan struct{})
	go func() {
		select {
		case <-stop:
			s.Stop()
		case <-done:
		}
	}()
	return func() { close(done) }
}

// withFetchTime returns meta with "fetched_at" set to now, unless the source
// set it: every written file records when its data was fetched.
func withFetchTime(meta map[string]string) map[string]string {
	if _, ok := meta["fetched_at"]; ok {
		return meta
	}
	out := make(map[string]string, len(meta)+1)
	maps.Copy(out, meta)
	out["fetched_at"] = time.Now().UTC().Format(time.RFC3339)
	return out
}

// symbolOf names the symbol of a failed pipeline item: the fetch stage
// fails on a symbol, the later stages on a job.
func symbolOf(err *pipeline.ItemError) string {
	if j, ok := pipeline.ItemOf[job](err); ok {
		return j.Symbol
	}
	sym, _ := pipeline.ItemOf[string](err)
	return sym
}

// attemptsOf reads the number of attempts from an error that reports it.
func attemptsOf(err error) int {
	var a interface{ Attempts() int }
	if errors.As(err, &a) {
		return a.Attempts()
	}
	return 1
}

// attemptsError adds the requests made before err to those it reports.
type attemptsError struct {
	err   error
	extra int
}

func (e *attemptsError) Error() string { return e.err.Error() }
func (e *attemptsError) Unwrap() error { return e.err }
func (e *attemptsError) Attempts() int { return attemptsOf(e.err) + e.extra }
