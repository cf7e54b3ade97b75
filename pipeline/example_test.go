package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

func Example() {
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	words := pipeline.FromSlice(p, "words", []string{"fetch", "decode", "", "write"})
	upper := pipeline.Map(p, "upper", words, func(_ context.Context, w string) (string, error) {
		if w == "" {
			return "", errors.New("empty word")
		}
		return strings.ToUpper(w), nil
	}, pipeline.Workers(4), pipeline.Ordered())
	pipeline.Sink(p, "print", upper, func(_ context.Context, w string) error {
		fmt.Println(w)
		return nil
	})
	fmt.Println("error:", p.Wait())
	// Output:
	// FETCH
	// DECODE
	// WRITE
	// error: stage upper, item : empty word
}

func ExampleSource() {
	p := pipeline.New(context.Background())
	squares := pipeline.Source(p, "squares", func(_ context.Context, emit func(int) error) error {
		for i := 1; i <= 3; i++ {
			// emit fails once the pipeline is cancelled: stop then.
			if err := emit(i * i); err != nil {
				return err
			}
		}
		return nil
	})
	pipeline.Sink(p, "print", squares, func(_ context.Context, n int) error {
		fmt.Println(n)
		return nil
	})
	if err := p.Wait(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// 1
	// 4
	// 9
}

func ExampleFromSlice() {
	p := pipeline.New(context.Background())
	// The buffer lets the source run up to two items ahead of the sink.
	symbols := pipeline.FromSlice(p, "symbols", []string{"AAPL", "MSFT", "IBM"}, pipeline.Buffer(2))
	pipeline.Sink(p, "print", symbols, func(_ context.Context, sym string) error {
		fmt.Println(sym)
		return nil
	})
	if err := p.Wait(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// AAPL
	// MSFT
	// IBM
}

// ExampleMap passes results on as they complete: "slow" cannot finish
// until "fast" is printed, so it comes out last.
func ExampleMap() {
	fastPrinted := make(chan struct{})
	p := pipeline.New(context.Background())
	words := pipeline.FromSlice(p, "words", []string{"slow", "fast"})
	upper := pipeline.Map(p, "upper", words, func(_ context.Context, w string) (string, error) {
		if w == "slow" {
			<-fastPrinted
		}
		return strings.ToUpper(w), nil
	}, pipeline.Workers(2))
	pipeline.Sink(p, "print", upper, func(_ context.Context, w string) error {
		fmt.Println(w)
		if w == "FAST" {
			close(fastPrinted)
		}
		return nil
	})
	if err := p.Wait(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// FAST
	// SLOW
}

// ExampleOrdered passes results on in input order: "fast" is done first,
// and waits for "slow".
func ExampleOrdered() {
	fastDone := make(chan struct{})
	p := pipeline.New(context.Background())
	words := pipeline.FromSlice(p, "words", []string{"slow", "fast"})
	upper := pipeline.Map(p, "upper", words, func(_ context.Context, w string) (string, error) {
		if w == "fast" {
			defer close(fastDone)
		} else {
			<-fastDone
		}
		return strings.ToUpper(w), nil
	}, pipeline.Workers(2), pipeline.Ordered())
	pipeline.Sink(p, "print", upper, func(_ context.Context, w string) error {
		fmt.Println(w)
		return nil
	})
	if err := p.Wait(); err != nil {
		fmt.Println(err)
	}
	// Output:
	// SLOW
	// FAST
}

func ExampleSink() {
	var total atomic.Int64
	p := pipeline.New(context.Background())
	sizes := pipeline.FromSlice(p, "sizes", []int64{1200, 800, 2000})
	// Two workers consume at once: the sink function must be safe for
	// concurrent use.
	pipeline.Sink(p, "sum", sizes, func(_ context.Context, n int64) error {
		total.Add(n)
		return nil
	}, pipeline.Workers(2))
	if err := p.Wait(); err != nil {
		fmt.Println(err)
	}
	fmt.Println("total bytes:", total.Load())
	// Output:
	// total bytes: 4000
}

// ExampleStream_WithDiscard cancels a run after its first item: every
// other item emitted is discarded, exactly once.
func ExampleStream_WithDiscard() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var emitted, consumed, discarded atomic.Int64
	p := pipeline.New(ctx)
	buffers := pipeline.Source(p, "buffers", func(_ context.Context, emit func([]byte) error) error {
		for {
			emitted.Add(1)
			if err := emit(make([]byte, 1024)); err != nil {
				return err
			}
		}
	}, pipeline.Buffer(8)).WithDiscard(func([]byte) {
		discarded.Add(1) // a real one would return the buffer to its pool
	})
	pipeline.Sink(p, "first only", buffers, func(context.Context, []byte) error {
		consumed.Add(1)
		cancel()
		return nil
	})
	err := p.Wait()
	fmt.Println("Wait:", err)
	fmt.Println("consumed:", consumed.Load())
	fmt.Println("the others discarded:", emitted.Load() == consumed.Load()+discarded.Load())
	// Output:
	// Wait: context canceled
	// consumed: 1
	// the others discarded: true
}

// ExampleWithErrorPolicy keeps going past failed items and reports each
// with its item, typed.
func ExampleWithErrorPolicy() {
	var mu sync.Mutex
	var failed []string
	p := pipeline.New(context.Background(),
		pipeline.WithErrorPolicy(pipeline.CollectErrors),
		pipeline.WithErrorHandler(func(e *pipeline.ItemError) {
			line, _ := pipeline.ItemOf[string](e) // parse is the only stage that fails
			mu.Lock()
			failed = append(failed, line)
			mu.Unlock()
		}))
	lines := pipeline.FromSlice(p, "lines", []string{"1", "x", "3", "y"})
	numbers := pipeline.Map(p, "parse", lines, func(_ context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	})
	sum := 0
	pipeline.Sink(p, "sum", numbers, func(_ context.Context, n int) error {
		sum += n // one sink worker: no lock needed
		return nil
	})
	err := p.Wait()
	fmt.Println("sum:", sum)
	fmt.Println("failed lines:", failed)
	fmt.Println("syntax errors:", errors.Is(err, strconv.ErrSyntax))
	// Output:
	// sum: 4
	// failed lines: [x y]
	// syntax errors: true
}

// ExampleItemOf stops at the first error, the default policy, and reads
// back the item that caused it.
func ExampleItemOf() {
	p := pipeline.New(context.Background())
	lines := pipeline.FromSlice(p, "lines", []string{"1", "x", "3"})
	numbers := pipeline.Map(p, "parse", lines, func(_ context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	})
	pipeline.Sink(p, "discard", numbers, func(context.Context, int) error { return nil })
	err := p.Wait()
	if line, ok := pipeline.ItemOf[string](err); ok {
		fmt.Printf("line %q: %v\n", line, err)
	}
	// Output:
	// line "x": stage parse, item x: strconv.Atoi: parsing "x": invalid syntax
}

func ExamplePipeline_Stats() {
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	lines := pipeline.FromSlice(p, "lines", []string{"1", "x", "3"})
	numbers := pipeline.Map(p, "parse", lines, func(_ context.Context, s string) (int, error) {
		return strconv.Atoi(s)
	}, pipeline.Workers(2))
	pipeline.Sink(p, "discard", numbers, func(context.Context, int) error { return nil })
	_ = p.Wait()
	for _, s := range p.Stats() {
		fmt.Printf("%-7s in %d, out %d, errors %d\n", s.Name, s.In, s.Out, s.Errors)
	}
	// Output:
	// lines   in 3, out 3, errors 0
	// parse   in 3, out 2, errors 1
	// discard in 2, out 2, errors 0
}

func ExampleBottleneck() {
	// The counters of a run, as Pipeline.Stats returns them.
	stats := []pipeline.StageStats{
		{Name: "fetch", Workers: 4, Busy: 376 * time.Millisecond, Elapsed: 100 * time.Millisecond},
		{Name: "decode", Workers: 1, Busy: 20 * time.Millisecond, Elapsed: 100 * time.Millisecond},
		{Name: "write", Workers: 1, Busy: 50 * time.Millisecond, Elapsed: 100 * time.Millisecond},
	}
	fmt.Println(pipeline.Bottleneck(stats))
	// Output:
	// fetch was the bottleneck: 94% busy; decode idle 80%
}
