package pipeline

import (
	"context"
	"fmt"
	"time"
)

// Stream is the bounded channel from one stage to the next, carrying items
// of type T. Source, FromSlice and Map return one; exactly one Map or Sink
// must read it.
type Stream[T any] struct {
	p       *Pipeline
	ch      chan T
	discard func(T)
	link
}

// link is what the pipeline checks of a stream whatever its item type: the
// stages at its two ends.
type link struct {
	from, to string
}

func newStream[T any](p *Pipeline, from string, buffer int) *Stream[T] {
	s := &Stream[T]{p: p, ch: make(chan T, buffer), discard: func(T) {}, link: link{from: from}}
	p.mu.Lock()
	p.links = append(p.links, &s.link)
	p.mu.Unlock()
	return s
}

// WithDiscard sets fn to release every item of s that no stage function
// will receive because the pipeline was cancelled — for example to Release
// an Arrow record — and returns s. Each such item is passed to fn exactly
// once, from the goroutine of the stage at either end of s: fn must be safe
// for concurrent use. An item that reached a stage function is that
// function's to release, whatever it returns.
//
// WithDiscard panics if called after Wait.
func (s *Stream[T]) WithDiscard(fn func(T)) *Stream[T] {
	s.p.mu.Lock()
	defer s.p.mu.Unlock()
	if s.p.started {
		panic(fmt.Sprintf("pipeline: WithDiscard on the output of stage %s after Wait", s.from))
	}
	if fn == nil {
		fn = func(T) {}
	}
	s.discard = fn
	return s
}

// connect makes stage to the reader of s.
func (s *Stream[T]) connect(p *Pipeline, to string) {
	if s.p != p {
		panic(fmt.Sprintf("pipeline: stage %s reads the output of stage %s, from another pipeline", to, s.from))
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if s.to != "" {
		panic(fmt.Sprintf("pipeline: stage %s reads the output of stage %s, which stage %s already reads", to, s.from, s.to))
	}
	s.to = to
}

// send passes item on, counting the time blocked; if ctx ends first the item
// is discarded and send reports false.
func (s *Stream[T]) send(ctx context.Context, c *counters, item T) bool {
	select {
	case s.ch <- item:
		c.out.Add(1)
		return true
	default:
	}
	start := time.Now()
	defer func() { c.waitOut.Add(int64(time.Since(start))) }()
	select {
	case s.ch <- item:
		c.out.Add(1)
		return true
	case <-ctx.Done():
		s.discard(item)
		return false
	}
}

// receive takes the next item, counting the time waited; it reports false
// when the stream is closed or ctx ends.
func (s *Stream[T]) receive(ctx context.Context, c *counters) (T, bool) {
	select {
	case item, ok := <-s.ch:
		if ok {
			c.in.Add(1)
		}
		return item, ok
	default:
	}
	start := time.Now()
	defer func() { c.waitIn.Add(int64(time.Since(start))) }()
	select {
	case item, ok := <-s.ch:
		if ok {
			c.in.Add(1)
		}
		return item, ok
	case <-ctx.Done():
		var zero T
		return zero, false
	}
}

// drain discards whatever is left in the stream after a cancellation, until
// the producing stage closes it.
func (s *Stream[T]) drain() {
	for item := range s.ch {
		s.discard(item)
	}
}
