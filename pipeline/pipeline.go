package pipeline

import (
	"context"
	"errors"
	"fmt"
	"sync"

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
// Source, FromSlice, Map and Sink, then call Wait exactly once. Stages start
// running as soon as they are added.
type Pipeline struct {
	ctx     context.Context
	cancel  context.CancelCauseFunc
	policy  ErrorPolicy
	onError func(*ItemError)
	running conc.WaitGroup

	mu     sync.Mutex
	errs   []error
	stages []*counters
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

// Wait blocks until every stage has finished and returns the run's error:
// under StopOnError the first error; under CollectErrors every item error
// joined; in both, the context's cause if the run was cancelled from outside.
// A panic inside the engine itself (never inside a stage function, which
// becomes an ItemError) is re-raised here.
func (p *Pipeline) Wait() error {
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

// Stats returns a snapshot of every stage's counters, in the order the stages
// were added. It is safe to call while the pipeline runs, for progress.
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

	var itemErr *ItemError
	if p.onError != nil && errors.As(err, &itemErr) {
		p.onError(itemErr)
	}
	if p.policy == StopOnError || !errors.As(err, &itemErr) {
		p.cancel(err)
	}
}

func (p *Pipeline) addStage(name string, workers int) *counters {
	c := newCounters(name, workers)
	p.mu.Lock()
	p.stages = append(p.stages, c)
	p.mu.Unlock()
	return c
}

// ItemError is the error of one item in one stage: what the stage function
// returned, or the panic it raised.
type ItemError struct {
	Stage string
	Item  any
	Err   error
}

func (e *ItemError) Error() string {
	return fmt.Sprintf("stage %s, item %s: %v", e.Stage, describe(e.Item), e.Err)
}

func (e *ItemError) Unwrap() error { return e.Err }

// describe names an item in an error: its String method if it has one,
// otherwise its %v form cut to a readable length.
func describe(item any) string {
	if s, ok := item.(fmt.Stringer); ok {
		return s.String()
	}
	const max = 80
	s := fmt.Sprintf("%v", item)
	if len(s) > max {
		s = s[:max] + "…"
	}
	return s
}
