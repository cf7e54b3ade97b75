package fetch

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/sinks"
)

// run keeps the results of one Run and mirrors them into the manifest.
type run struct {
	cfg      Config
	manifest *sinks.Manifest
	todo     []string // symbols to fetch, in request order

	mu       sync.Mutex
	results  map[string]Result
	fatal    error
	saveErrs []error
}

func newRun(cfg Config) (*run, error) {
	r := &run{cfg: cfg, results: make(map[string]Result, len(cfg.Symbols))}
	dir := cfg.Sink.Options().Dir
	var previous *sinks.Manifest
	if cfg.Resume {
		m, err := sinks.LoadManifest(dir)
		if err != nil && !isNotExist(err) {
			return nil, fmt.Errorf("fetch: resume: %w", err)
		}
		previous = m
	}
	// Decide what to keep before replacing the manifest, so that the new
	// one carries the kept entries from its first save: a run killed at any
	// moment leaves a manifest that still vouches for them.
	var kept []sinks.Entry
	for _, sym := range cfg.Symbols {
		if e, ok := r.intact(previous, sym); ok {
			kept = append(kept, e)
			continue
		}
		r.todo = append(r.todo, sym)
	}
	m, err := sinks.NewManifest(dir, cfg.Manifest, cfg.Symbols, kept...)
	if err != nil {
		return nil, fmt.Errorf("fetch: %w", err)
	}
	r.manifest = m
	for _, e := range kept {
		f := sinks.File{Path: e.File, Bytes: e.Bytes, Rows: e.Rows, SHA256: e.SHA256}
		f.FirstDate, _ = time.Parse(time.DateOnly, e.FirstDate)
		f.LastDate, _ = time.Parse(time.DateOnly, e.LastDate)
		res := Result{Symbol: e.Symbol, Status: sinks.StatusOK, File: f, Attempts: e.Attempts, Resumed: true}
		r.results[e.Symbol] = res
		if cfg.OnResult != nil {
			cfg.OnResult(res)
		}
	}
	return r, nil
}

// intact returns sym's entry in the previous manifest if its file is the one
// this run would write and is intact.
func (r *run) intact(previous *sinks.Manifest, sym string) (sinks.Entry, bool) {
	path, err := r.cfg.Sink.Path(sym)
	if err != nil {
		return sinks.Entry{}, false
	}
	return previous.Resumable(sym, path)
}

// finish records the result of one symbol.
func (r *run) finish(res Result) {
	r.mu.Lock()
	r.results[res.Symbol] = res
	r.mu.Unlock()
	switch res.Status {
	case sinks.StatusOK:
		r.saved(r.manifest.RecordOK(res.Symbol, res.File, res.Attempts))
	case sinks.StatusFailed:
		r.saved(r.manifest.RecordFailure(res.Symbol, res.Attempts, res.Err))
	case sinks.StatusSkipped:
		r.saved(r.manifest.RecordSkip(res.Symbol, res.Err.Error()))
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
		if res.Status == sinks.StatusOK && !res.Resumed {
			lost = append(lost, Result{Symbol: res.Symbol, Status: sinks.StatusFailed, Attempts: res.Attempts, Err: err})
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
// returns the report in request order.
func (r *run) close() (Report, error) {
	reason := ErrStopped
	if fatal := r.fatalErr(); fatal != nil {
		reason = fmt.Errorf("run stopped: %w", fatal)
	}
	for _, sym := range r.cfg.Symbols {
		r.mu.Lock()
		_, done := r.results[sym]
		r.mu.Unlock()
		if !done {
			r.finish(Result{Symbol: sym, Status: sinks.StatusSkipped, Err: reason})
		}
	}
	r.saved(r.manifest.Finish(time.Now()))

	r.mu.Lock()
	defer r.mu.Unlock()
	rep := Report{Results: make([]Result, len(r.cfg.Symbols)), Fatal: r.fatal}
	for i, sym := range r.cfg.Symbols {
		rep.Results[i] = r.results[sym]
	}
	if len(r.saveErrs) > 0 {
		return rep, fmt.Errorf("fetch: the manifest could not be kept up to date: %w", errors.Join(r.saveErrs...))
	}
	return rep, nil
}
