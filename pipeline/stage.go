package pipeline

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/panics"
	"github.com/sourcegraph/conc/pool"
)

// Source adds a stage that produces items by calling emit, on one goroutine.
// emit blocks while the next stage is full and returns an error once the
// pipeline is cancelled; generate should then return. An error returned by
// generate stops the pipeline, whatever the policy.
func Source[T any](p *Pipeline, name string, generate func(ctx context.Context, emit func(T) error) error, opts ...SourceOption) *Stream[T] {
	cfg := configure(opts, SourceOption.applySource)
	out := newStream[T](p, name, cfg.buffer)
	p.addStage(name, 1, func(c *counters) {
		defer c.finish()
		defer close(out.ch)
		emit := func(item T) error {
			c.in.Add(1)
			if !out.send(p.ctx, c, item) {
				return context.Cause(p.ctx)
			}
			return nil
		}
		err := catch(func() error { return generate(p.ctx, emit) })
		c.busy.Store(int64(time.Since(c.start)) - c.waitOut.Load())
		if err != nil && !(p.ctx.Err() != nil && errors.Is(err, context.Cause(p.ctx))) {
			p.fail(fmt.Errorf("pipeline: source %s: %w", name, err))
		}
	})
	return out
}

// FromSlice adds a source stage that emits items in order.
func FromSlice[T any](p *Pipeline, name string, items []T, opts ...SourceOption) *Stream[T] {
	return Source(p, name, func(_ context.Context, emit func(T) error) error {
		for _, item := range items {
			if err := emit(item); err != nil {
				return err
			}
		}
		return nil
	}, opts...)
}

// Map adds a stage that applies fn to every item of in on Workers goroutines
// and passes the results on, as they complete or, with Ordered, in input
// order. fn owns its input; when it returns an error its result is dropped
// and the error is handled by the pipeline's policy.
func Map[In, Out any](p *Pipeline, name string, in *Stream[In], fn func(context.Context, In) (Out, error), opts ...MapOption) *Stream[Out] {
	cfg := configure(opts, MapOption.applyMap)
	in.connect(p, name)
	out := newStream[Out](p, name, cfg.buffer)
	p.addStage(name, cfg.workers, func(c *counters) {
		defer c.finish()
		defer close(out.ch)
		defer in.drain()
		apply := func(item In) (Out, bool) { return call(p, c, name, in, item, fn) }
		workers := pool.New().WithMaxGoroutines(cfg.workers)
		if !cfg.ordered {
			for item, ok := in.receive(p.ctx, c); ok; item, ok = in.receive(p.ctx, c) {
				workers.Go(func() {
					if result, ok := apply(item); ok {
						out.send(p.ctx, c, result)
					}
				})
			}
			workers.Wait()
			return
		}
		// Each item gets a slot, queued in input order, that its worker
		// fills with the result or closes empty; one emitter sends the
		// results slot by slot. The queue holds Workers slots, so at most
		// that many items wait behind the oldest. (conc's stream does the
		// same, but it shares its channels between streams through a
		// sync.Pool, which testing/synctest forbids across bubbles.)
		slots := make(chan chan Out, cfg.workers)
		var emitter conc.WaitGroup
		emitter.Go(func() {
			var catcher panics.Catcher // a Discard that panics must not stall the queue
			defer catcher.Repanic()
			for slot := range slots {
				if result, ok := <-slot; ok {
					catcher.Try(func() { out.send(p.ctx, c, result) })
				}
			}
		})
		for item, ok := in.receive(p.ctx, c); ok; item, ok = in.receive(p.ctx, c) {
			slot := make(chan Out, 1)
			slots <- slot
			workers.Go(func() {
				if result, ok := apply(item); ok {
					slot <- result
				}
				close(slot)
			})
		}
		workers.Wait()
		close(slots)
		emitter.Wait()
	})
	return out
}

// Sink adds a stage that ends a chain: fn consumes every item of in on Workers
// goroutines. Its errors are handled by the pipeline's policy.
func Sink[T any](p *Pipeline, name string, in *Stream[T], fn func(context.Context, T) error, opts ...SinkOption) {
	cfg := configure(opts, SinkOption.applySink)
	in.connect(p, name)
	consume := func(ctx context.Context, item T) (struct{}, error) { return struct{}{}, fn(ctx, item) }
	p.addStage(name, cfg.workers, func(c *counters) {
		defer c.finish()
		defer in.drain()
		workers := pool.New().WithMaxGoroutines(cfg.workers)
		for item, ok := in.receive(p.ctx, c); ok; item, ok = in.receive(p.ctx, c) {
			workers.Go(func() {
				if _, ok := call(p, c, name, in, item, consume); ok {
					c.out.Add(1)
				}
			})
		}
		workers.Wait()
	})
}

// call runs fn on one item, timing it and turning an error or a panic into an
// ItemError. An item that arrives after cancellation is discarded unprocessed.
func call[In, Out any](p *Pipeline, c *counters, stage string, in *Stream[In], item In, fn func(context.Context, In) (Out, error)) (Out, bool) {
	var result Out
	if p.ctx.Err() != nil {
		in.discard(item)
		return result, false
	}
	start := time.Now()
	err := catch(func() (err error) {
		result, err = fn(p.ctx, item)
		return err
	})
	c.busy.Add(int64(time.Since(start)))
	if err != nil {
		c.errors.Add(1)
		p.fail(&ItemError{Stage: stage, Err: err, item: item})
		return result, false
	}
	return result, true
}
