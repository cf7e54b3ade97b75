package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sourcegraph/conc"
)

// ErrorPolicy says what a failing item does to the rest of the run.
type ErrorPolicy int

const (
	// StopOnError cancels every stage on the first error; Wait returns it.
	StopOnError ErrorPolicy = iota
	// CollectErrors drops the failing item, reports it and goes on; Wait
	// returns every error, joined.
	CollectErrors
)

// Option configures a Pipeline.
type Option func(*Pipeline)

// WithErrorPolicy sets the error policy; the default is StopOnError.
func WithErrorPolicy(policy ErrorPolicy) Option {
	return func(p *Pipeline) { p.policy = policy }
}

// WithErrorHandler calls fn with every item error as it happens, from the
// goroutine of the failing stage: fn must be safe for concurrent use.
func WithErrorHandler(fn func(*ItemError)) Option {
	return func(p *Pipeline) { p.onError = fn }
}

// Pipeline runs a graph of stages. Build it with New, add stages with
// Source, FromSlice, Map and Sink, then call Wait exactly once: Wait starts
// every stage and returns when all have finished.
type Pipeline struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	policy  ErrorPolicy
	onError func(*ItemError)
	running conc.WaitGroup

	mu      sync.Mutex
	started bool
	stages  []*counters
	runs    []func() // the stages' bodies, until Wait starts them
	links   []*link
	errs    []error
}

// New returns an empty pipeline whose stages stop when ctx is cancelled.
func New(ctx context.Context, opts ...Option) *Pipeline {
	p := &Pipeline{}
	p.ctx, p.cancel = context.WithCancelCause(ctx)
	for _, opt := range opts {
		opt(p)
	}
	return p
}

// Wait starts every stage, blocks until all have finished and returns the
// run's error: under StopOnError the first error; under CollectErrors every
// item error joined; in both, the context's cause if the run was cancelled
// from outside. A panic inside the engine itself (never inside a stage
// function, which becomes an ItemError) is re-raised here.
//
// Wait panics, before starting anything, if the output of a stage is read
// by no other stage: that stage would block forever.
func (p *Pipeline) Wait() error {
	for _, run := range p.start() {
		p.running.Go(run)
	}
	p.running.Wait()
	defer p.cancel(nil)

	p.mu.Lock()
	defer p.mu.Unlock()
	errs := p.errs
	if p.policy == StopOnError && len(errs) > 1 {
		errs = errs[:1]
	}
	if len(errs) == 0 {
		return context.Cause(p.ctx)
	}
	return errors.Join(errs...)
}

// start checks that every stream has a reader, starts the stages' clocks and
// returns their bodies, to be run once.
func (p *Pipeline) start() []func() {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.links {
		if l.to == "" {
			panic(fmt.Sprintf("pipeline: the output of stage %s is read by no stage", l.from))
		}
	}
	p.started = true
	now := time.Now()
	for _, c := range p.stages {
		c.start = now
	}
	runs := p.runs
	p.runs = nil
	return runs
}

// Stats returns a snapshot of every stage's counters, in the order the stages
// were added. It is safe to call from another goroutine while Wait runs, for
// progress.
func (p *Pipeline) Stats() []StageStats {
	p.mu.Lock()
	defer p.mu.Unlock()
	stats := make([]StageStats, len(p.stages))
	for i, c := range p.stages {
		stats[i] = c.snapshot()
	}
	return stats
}

// fail records err according to the policy.
func (p *Pipeline) fail(err error) {
	p.mu.Lock()
	stopped := p.ctx.Err() != nil
	if !(p.policy == StopOnError && stopped) {
		p.errs = append(p.errs, err)
	}
	p.mu.Unlock()

	itemErr, isItem := errors.AsType[*ItemError](err)
	if p.onError != nil && isItem {
		p.onError(itemErr)
	}
	if p.policy == StopOnError || !isItem {
		p.cancel(err)
	}
}

// addStage registers a stage whose body Wait will run with its counters.
func (p *Pipeline) addStage(name string, workers int, run func(*counters)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.started {
		panic(fmt.Sprintf("pipeline: stage %s added after Wait", name))
	}
	c := &counters{name: name, workers: workers}
	p.stages = append(p.stages, c)
	p.runs = append(p.runs, func() { run(c) })
}
