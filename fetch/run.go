package fetch

import (
	"fmt"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
)

// run keeps the results of one Run and mirrors them into the manifest.
type run struct {
	cfg  Config
	todo []string // symbols to fetch, in request order

	mu       sync.Mutex
	results  map[string]Result
	fatal    error
	saveErrs []error
}

func newRun(cfg Config) *run {
	r := &run{cfg: cfg, results: make(map[string]Result, len(cfg.Symbols))}
	for _, sym := range cfg.Symbols {
		e, ok := cfg.Manifest.Entry(sym)
		if !ok || !e.CarriedOver || e.Status != dataset.StatusOK {
			r.todo = append(r.todo, sym)
			continue
		}
		f := dataset.File{Path: e.File, Bytes: e.Bytes, Rows: e.Rows, SHA256: e.SHA256}
		f.FirstDate, _ = time.Parse(time.DateOnly, e.FirstDate)
		f.LastDate, _ = time.Parse(time.DateOnly, e.LastDate)
		res := Result{Symbol: e.Symbol, Status: dataset.StatusOK, File: f, Attempts: e.Attempts, Resumed: true}
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
	switch {
	case r.cfg.Manifest == nil:
	case res.Status == dataset.StatusOK:
		r.saved(r.cfg.Manifest.RecordOK(res.Symbol, res.File, res.Attempts))
	case res.Status == dataset.StatusFailed:
		r.saved(r.cfg.Manifest.RecordFailure(res.Symbol, res.Attempts, res.Err))
	case res.Status == dataset.StatusSkipped:
		r.saved(r.cfg.Manifest.RecordSkip(res.Symbol, res.Err.Error()))
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
// run was aborted.
func (r *run) close(cancelled error) (Report, error) {
	reason := ErrStopped
	switch fatal := r.fatalErr(); {
	case fatal != nil:
		reason = fmt.Errorf("run stopped: %w", fatal)
	case cancelled != nil:
		reason = fmt.Errorf("not finished: %w", cancelled)
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
