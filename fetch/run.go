package fetch

import (
	"fmt"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"
)

// run keeps the results of one Run and mirrors them into the manifest.
type run struct {
	cfg  Config
	todo []string // symbols to fetch, in request order
	// updates are the entries of the symbols to bring up to date.
	updates map[string]dataset.Entry
	// size is the dataset's output size, empty if unknown.
	size sources.OutputSize
	// halt says when no new request may start.
	halt *halt
	// started is when the run started, by its clock.
	started time.Time

	mu       sync.Mutex
	results  map[string]Result
	fatal    error
	saveErrs []error
}

func newRun(cfg Config) *run {
	r := &run{cfg: cfg, results: make(map[string]Result, len(cfg.Symbols)), updates: make(map[string]dataset.Entry), started: cfg.Now()}
	r.size = cfg.OutputSize
	if cfg.Manifest != nil {
		r.size = sources.OutputSize(cfg.Manifest.Settings().OutputSize)
	}
	for _, sym := range cfg.Symbols {
		if cfg.Manifest == nil {
			// A sink without a manifest says what it holds.
			if e, ok := cfg.Stored[sym]; ok {
				r.updates[sym] = e
			}
			r.todo = append(r.todo, sym)
			continue
		}
		e, ok := cfg.Manifest.Entry(sym)
		switch {
		case !ok || e.Status != dataset.StatusOK:
			r.todo = append(r.todo, sym)
			continue
		case !e.CarriedOver:
			r.updates[sym] = e
			r.todo = append(r.todo, sym)
			continue
		}
		res := Result{Symbol: e.Symbol, Status: dataset.StatusOK, File: fileOf(e), Attempts: e.Attempts, Resumed: true, Outcome: Kept}
		r.results[e.Symbol] = res
		if cfg.OnResult != nil {
			cfg.OnResult(res)
		}
	}
	return r
}

// finish records the result of one symbol.
func (r *run) finish(res Result) {
	r.mu.Lock()
	r.results[res.Symbol] = res
	r.mu.Unlock()
	// A symbol being brought up to date keeps its complete file when the
	// update fails or never starts: its entry stays ok, saying why.
	_, stored := r.updates[res.Symbol]
	switch m := r.cfg.Manifest; {
	case m == nil:
	case res.Status == dataset.StatusOK:
		r.saved(m.RecordOK(res.Symbol, res.File, res.Attempts))
	case res.Status == dataset.StatusFailed && stored:
		r.saved(m.RecordKept(res.Symbol, "update failed: "+res.Err.Error()))
	case res.Status == dataset.StatusFailed:
		r.saved(m.RecordFailure(res.Symbol, res.Attempts, res.Err))
	case res.Status == dataset.StatusSkipped && stored:
		r.saved(m.RecordKept(res.Symbol, "not updated: "+res.Err.Error()))
	case res.Status == dataset.StatusSkipped:
		r.saved(m.RecordSkip(res.Symbol, "not fetched: "+res.Err.Error()))
	}
	if r.cfg.OnResult != nil {
		r.cfg.OnResult(res)
	}
}

// lose marks every written symbol failed: the sink could not keep them (the
// single layout's file failed to close).
func (r *run) lose(err error) {
	r.mu.Lock()
	var lost []Result
	for _, res := range r.results {
		if res.Status == dataset.StatusOK && !res.Resumed {
			lost = append(lost, Result{Symbol: res.Symbol, Status: dataset.StatusFailed, Attempts: res.Attempts, Err: err})
		}
	}
	r.mu.Unlock()
	for _, res := range lost {
		r.finish(res)
	}
}

func (r *run) setFatal(err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fatal == nil {
		r.fatal = err
	}
}

func (r *run) fatalErr() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.fatal
}

func (r *run) saved(err error) {
	if err != nil {
		r.mu.Lock()
		r.saveErrs = append(r.saveErrs, err)
		r.mu.Unlock()
	}
}

// close skips every symbol that never finished, finishes the manifest and
// returns the report in request order. cancelled, if not nil, is why the
// run was aborted or halted.
func (r *run) close(cancelled error) (Report, error) {
	reason := ErrStopped
	switch fatal := r.fatalErr(); {
	case fatal != nil:
		reason = fmt.Errorf("run stopped: %w", fatal)
	case cancelled != nil:
		reason = cancelled
	}
	for _, sym := range r.cfg.Symbols {
		r.mu.Lock()
		_, done := r.results[sym]
		r.mu.Unlock()
		if !done {
			r.finish(Result{Symbol: sym, Status: dataset.StatusSkipped, Err: reason})
		}
	}
	var finishErr error
	if r.cfg.Manifest != nil {
		finishErr = r.cfg.Manifest.Finish(time.Now())
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{Results: make([]Result, len(r.cfg.Symbols)), Fatal: r.fatal}
	for i, sym := range r.cfg.Symbols {
		rep.Results[i] = r.results[sym]
	}
	// The last save holds every result: once it succeeded, the saves that
	// failed before it (a disk that was full for a while) lost nothing.
	if finishErr != nil {
		return rep, fmt.Errorf("the manifest could not be saved (%d earlier saves failed too): %w", len(r.saveErrs), finishErr)
	}
	return rep, nil
}
