package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func numbers(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// collect runs a source → map → sink pipeline and returns what the sink saw,
// in arrival order.
func collect(t *testing.T, items []int, fn func(context.Context, int) (int, error), opts ...pipeline.MapOption) ([]int, error) {
	t.Helper()
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	src := pipeline.FromSlice(p, "source", items)
	mapped := pipeline.Map(p, "map", src, fn, opts...)
	var got []int
	pipeline.Sink(p, "sink", mapped, func(_ context.Context, v int) error {
		got = append(got, v) // one sink worker: no lock needed
		return nil
	})
	err := p.Wait()
	return got, err
}

// reverseDelay makes early items slow, so that completion order is the
// reverse of input order. The steps are wide enough that a loaded machine's
// scheduling delays cannot reorder neighbours.
func reverseDelay(n int) func(context.Context, int) (int, error) {
	return func(_ context.Context, v int) (int, error) {
		time.Sleep(time.Duration(n-v) * 25 * time.Millisecond)
		return v * 10, nil
	}
}

func TestMapOrdering(t *testing.T) {
	const n = 8
	tests := []struct {
		name    string
		opts    []pipeline.MapOption
		ordered bool
	}{
		{name: "ordered keeps input order", opts: []pipeline.MapOption{pipeline.Workers(n), pipeline.Ordered()}, ordered: true},
		{name: "as completed yields fast items first", opts: []pipeline.MapOption{pipeline.Workers(n)}},
		{name: "one worker is ordered anyway", opts: []pipeline.MapOption{pipeline.Workers(1)}, ordered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := collect(t, numbers(n), reverseDelay(n), tt.opts...)
			if err != nil {
				t.Fatal(err)
			}
			want := make([]int, n)
			for i := range want {
				want[i] = i * 10
			}
			if tt.ordered {
				if !slices.Equal(got, want) {
					t.Fatalf("got %v, want input order %v", got, want)
				}
				return
			}
			if slices.Equal(got, want) {
				t.Fatalf("got input order %v, want completion order", got)
			}
			if got[0] != (n-1)*10 || got[n-1] != 0 {
				t.Fatalf("results %v: want the fastest item %d first and the slowest, 0, last", got, (n-1)*10)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("got %v, want every item once", got)
			}
		})
	}
}

// TestBackpressureBound shows that a slow sink stalls the stages before it:
// the items in flight never exceed what the workers and buffers can hold,
// however long the input.
func TestBackpressureBound(t *testing.T) {
	tests := []struct {
		name             string
		workers, buffers int
		ordered          bool
	}{
		{name: "unbuffered", workers: 1, buffers: 0},
		{name: "buffered", workers: 4, buffers: 8},
		{name: "ordered", workers: 4, buffers: 2, ordered: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var inFlight, peak atomic.Int64
			track := func(delta int64) {
				now := inFlight.Add(delta)
				for old := peak.Load(); now > old && !peak.CompareAndSwap(old, now); old = peak.Load() {
				}
			}
			p := pipeline.New(context.Background())
			src := pipeline.Source(p, "source", func(_ context.Context, emit func(int) error) error {
				for i := range 500 {
					track(1)
					if err := emit(i); err != nil {
						return err
					}
				}
				return nil
			}, pipeline.Buffer(tt.buffers))
			opts := []pipeline.MapOption{pipeline.Workers(tt.workers), pipeline.Buffer(tt.buffers)}
			if tt.ordered {
				opts = append(opts, pipeline.Ordered())
			}
			doubled := pipeline.Map(p, "map", src, func(_ context.Context, v int) (int, error) { return 2 * v, nil }, opts...)
			pipeline.Sink(p, "slow sink", doubled, func(context.Context, int) error {
				time.Sleep(20 * time.Microsecond)
				track(-1)
				return nil
			})
			if err := p.Wait(); err != nil {
				t.Fatal(err)
			}
			// source: one item being sent plus its buffer; map: one being
			// dispatched, one per worker and its buffer (ordered: a queue of
			// workers+1 more); sink: one being dispatched, one consumed.
			bound := int64(1 + tt.buffers + 1 + tt.workers + tt.buffers + 2)
			if tt.ordered {
				bound += int64(tt.workers + 1)
			}
			if got := peak.Load(); got > bound {
				t.Fatalf("peak items in flight %d, want at most %d", got, bound)
			}
		})
	}
}

func TestErrorPolicies(t *testing.T) {
	errOdd := errors.New("odd")
	failOdd := func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			return 0, errOdd
		}
		return v, nil
	}
	tests := []struct {
		name       string
		policy     pipeline.ErrorPolicy
		wantErrors int // errors joined in Wait's result
		wantAll    bool
	}{
		{name: "stop on error returns the first", policy: pipeline.StopOnError, wantErrors: 1},
		{name: "collect keeps going", policy: pipeline.CollectErrors, wantErrors: 50, wantAll: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var handled atomic.Int64
			p := pipeline.New(context.Background(),
				pipeline.WithErrorPolicy(tt.policy),
				pipeline.WithErrorHandler(func(*pipeline.ItemError) { handled.Add(1) }))
			src := pipeline.FromSlice(p, "source", numbers(100))
			kept := pipeline.Map(p, "check", src, failOdd, pipeline.Workers(4))
			var sunk atomic.Int64
			pipeline.Sink(p, "sink", kept, func(context.Context, int) error { sunk.Add(1); return nil })
			err := p.Wait()

			if !errors.Is(err, errOdd) {
				t.Fatalf("Wait() = %v, want it to wrap %v", err, errOdd)
			}
			itemErr, isItem := errors.AsType[*pipeline.ItemError](err)
			item, isInt := pipeline.ItemOf[int](err)
			if !isItem || itemErr.Stage != "check" || !isInt || item%2 != 1 {
				t.Fatalf("Wait() = %v, want an ItemError of stage check naming an odd item", err)
			}
			joined := 1
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				joined = len(j.Unwrap())
			}
			if joined != tt.wantErrors {
				t.Fatalf("Wait() joined %d errors, want %d", joined, tt.wantErrors)
			}
			if tt.wantAll && (sunk.Load() != 50 || handled.Load() != 50) {
				t.Fatalf("sunk %d and handled %d, want 50 and 50", sunk.Load(), handled.Load())
			}
			if !tt.wantAll && handled.Load() < 1 {
				t.Fatal("error handler never called")
			}
		})
	}
}

func TestPanicBecomesItemError(t *testing.T) {
	_, err := collect(t, numbers(10), func(_ context.Context, v int) (int, error) {
		if v == 7 {
			panic("boom")
		}
		return v, nil
	}, pipeline.Workers(3))
	item, _ := pipeline.ItemOf[int](err)
	panicErr, isPanic := errors.AsType[*pipeline.PanicError](err)
	if item != 7 || !isPanic {
		t.Fatalf("Wait() = %v, want a PanicError for item 7", err)
	}
	if want := "stage map, item 7: panic: boom"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
	if !strings.Contains(string(panicErr.Stack), "pipeline_test") {
		t.Fatal("panic stack does not show where it was raised")
	}
}

type symbol string

func (s symbol) String() string { return "symbol " + string(s) }

// failOn runs item through a sink stage named fetch that fails with cause,
// and returns the pipeline's error.
func failOn[T any](item T, cause error) error {
	p := pipeline.New(context.Background())
	src := pipeline.FromSlice(p, "source", []T{item})
	pipeline.Sink(p, "fetch", src, func(context.Context, T) error { return cause })
	return p.Wait()
}

func TestItemErrorNamesItem(t *testing.T) {
	t.Parallel()
	errHTTP := errors.New("HTTP 503")
	long := strings.Repeat("x", 200)
	tests := []struct {
		name string
		item any
		want string
	}{
		{name: "Stringer", item: symbol("MSFT"), want: "stage fetch, item symbol MSFT: HTTP 503"},
		{name: "value", item: 42, want: "stage fetch, item 42: HTTP 503"},
		{name: "long value", item: long, want: "stage fetch, item " + long[:80] + "…: HTTP 503"},
	}
	for _, tt := range tests {
		err := failOn(tt.item, errHTTP)
		if !errors.Is(err, errHTTP) {
			t.Errorf("%s: error %v does not wrap its cause", tt.name, err)
		}
		if err.Error() != tt.want {
			t.Errorf("%s: Error() = %q, want %q", tt.name, err.Error(), tt.want)
		}
	}
}

func TestItemOf(t *testing.T) {
	t.Parallel()
	errBad := errors.New("bad")
	collected := func() error {
		p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
		src := pipeline.FromSlice(p, "source", []string{"first", "second"})
		pipeline.Sink(p, "sink", src, func(context.Context, string) error { return errBad })
		return p.Wait()
	}
	tests := []struct {
		name   string
		err    error
		want   string
		wantOK bool
	}{
		{name: "the item", err: failOn("MSFT", errBad), want: "MSFT", wantOK: true},
		{name: "wrapped", err: fmt.Errorf("run: %w", failOn("MSFT", errBad)), want: "MSFT", wantOK: true},
		{name: "the first of joined errors", err: collected(), want: "first", wantOK: true},
		{name: "an item of another type", err: failOn(42, errBad)},
		{name: "no item error", err: errBad},
		{name: "nil", err: nil},
	}
	for _, tt := range tests {
		got, ok := pipeline.ItemOf[string](tt.err)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("%s: ItemOf[string](%v) = %q, %v; want %q, %v", tt.name, tt.err, got, ok, tt.want, tt.wantOK)
		}
	}
}

// TestCancellation cancels a pipeline whose every stage is blocked or busy and
// checks that it stops promptly, discards what was in flight exactly once,
// and leaks nothing (goleak runs after the package's tests).
func TestCancellation(t *testing.T) {
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			var mu sync.Mutex
			produced, discarded, consumed := 0, 0, 0
			discard := func(int) { mu.Lock(); discarded++; mu.Unlock() }

			p := pipeline.New(ctx)
			src := pipeline.Source(p, "endless", func(ctx context.Context, emit func(int) error) error {
				for i := 0; ; i++ {
					if err := emit(i); err != nil {
						return err
					}
				}
			}, pipeline.Buffer(4))
			opts := []pipeline.MapOption{pipeline.Workers(4), pipeline.Buffer(4)}
			if ordered {
				opts = append(opts, pipeline.Ordered())
			}
			mapped := pipeline.Map(p, "map", src, func(_ context.Context, v int) (int, error) {
				mu.Lock()
				produced++
				mu.Unlock()
				return v, nil
			}, opts...).WithDiscard(discard)
			started := make(chan struct{})
			pipeline.Sink(p, "stuck sink", mapped, func(ctx context.Context, _ int) error {
				mu.Lock()
				consumed++
				mu.Unlock()
				close(started)
				<-ctx.Done()
				return ctx.Err()
			})
			done := make(chan error)
			go func() { done <- p.Wait() }()
			<-started
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, context.Canceled) {
					t.Fatalf("Wait() = %v, want context.Canceled", err)
				}
			case <-time.After(5 * time.Second):
				t.Fatal("pipeline did not stop after cancellation")
			}
			if produced != consumed+discarded {
				t.Fatalf("map produced %d items, sink consumed %d and %d were discarded", produced, consumed, discarded)
			}
		})
	}
}

func TestSourceErrorStopsPipeline(t *testing.T) {
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	src := pipeline.Source(p, "reader", func(_ context.Context, emit func(int) error) error {
		if err := emit(1); err != nil {
			return err
		}
		return errors.New("disk on fire")
	})
	pipeline.Sink(p, "sink", src, func(context.Context, int) error { return nil })
	err := p.Wait()
	if err == nil || err.Error() != "pipeline: source reader: disk on fire" {
		t.Fatalf("Wait() = %v, want the source's error", err)
	}
}

func TestStats(t *testing.T) {
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	src := pipeline.FromSlice(p, "source", numbers(20))
	slow := pipeline.Map(p, "slow", src, func(_ context.Context, v int) (int, error) {
		time.Sleep(time.Millisecond)
		if v == 3 {
			return 0, errors.New("bad")
		}
		return v, nil
	})
	pipeline.Sink(p, "sink", slow, func(context.Context, int) error { return nil })
	if err := p.Wait(); err == nil {
		t.Fatal("want the error of item 3")
	}
	stats := p.Stats()
	if len(stats) != 3 {
		t.Fatalf("got %d stages, want 3", len(stats))
	}
	want := []struct {
		name            string
		in, out, errors int64
	}{
		{"source", 20, 20, 0},
		{"slow", 20, 19, 1},
		{"sink", 19, 19, 0},
	}
	for i, w := range want {
		s := stats[i]
		if s.Name != w.name || s.In != w.in || s.Out != w.out || s.Errors != w.errors || !s.Done {
			t.Errorf("stage %d = %+v, want %+v and done", i, s, w)
		}
	}
	if stats[1].Busy < 20*time.Millisecond {
		t.Errorf("slow stage busy %v, want at least the 20 sleeps", stats[1].Busy)
	}
	if stats[2].WaitIn <= stats[2].Busy {
		t.Errorf("sink waited %v for input and was busy %v: want it starved by the slow stage", stats[2].WaitIn, stats[2].Busy)
	}
	if got := pipeline.Bottleneck(stats); !strings.HasPrefix(got, "slow was the bottleneck") {
		t.Errorf("Bottleneck() = %q, want the slow stage named", got)
	}
}

// TestOptionKinds pins the stage kinds each option applies to: passing an
// option to a kind it does not implement the interface of does not compile.
func TestOptionKinds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name               string
		opt                any
		source, mapp, sink bool
	}{
		{name: "Workers", opt: pipeline.Workers(2), mapp: true, sink: true},
		{name: "Buffer", opt: pipeline.Buffer(2), source: true, mapp: true},
		{name: "Ordered", opt: pipeline.Ordered(), mapp: true},
	}
	for _, tt := range tests {
		_, source := tt.opt.(pipeline.SourceOption)
		_, mapp := tt.opt.(pipeline.MapOption)
		_, sink := tt.opt.(pipeline.SinkOption)
		if source != tt.source || mapp != tt.mapp || sink != tt.sink {
			t.Errorf("%s applies to source %v, map %v, sink %v; want %v, %v, %v",
				tt.name, source, mapp, sink, tt.source, tt.mapp, tt.sink)
		}
	}
}

// TestMisusePanics checks that building a pipeline wrongly panics at once,
// naming the stages, instead of deadlocking or losing items later.
func TestMisusePanics(t *testing.T) {
	t.Parallel()
	nop := func(context.Context, int) error { return nil }
	// ran returns a pipeline that has run, and the output of its source.
	ran := func(t *testing.T) (*pipeline.Pipeline, *pipeline.Stream[int]) {
		p := pipeline.New(context.Background())
		src := pipeline.FromSlice(p, "src", []int{1})
		pipeline.Sink(p, "sink", src, nop)
		if err := p.Wait(); err != nil {
			t.Fatal(err)
		}
		return p, src
	}
	tests := []struct {
		name   string
		misuse func(t *testing.T)
		want   string
	}{
		{
			name: "stage added after Wait",
			misuse: func(t *testing.T) {
				p, _ := ran(t)
				pipeline.FromSlice(p, "late", []int{1})
			},
			want: "pipeline: stage late added after Wait",
		},
		{
			name: "WithDiscard after Wait",
			misuse: func(t *testing.T) {
				_, src := ran(t)
				src.WithDiscard(func(int) {})
			},
			want: "pipeline: WithDiscard on the output of stage src after Wait",
		},
		{
			name: "stream read twice",
			misuse: func(*testing.T) {
				p := pipeline.New(context.Background())
				src := pipeline.FromSlice(p, "src", []int{1})
				pipeline.Sink(p, "a", src, nop)
				pipeline.Sink(p, "b", src, nop)
			},
			want: "pipeline: stage b reads the output of stage src, which stage a already reads",
		},
		{
			name: "stream of another pipeline",
			misuse: func(*testing.T) {
				src := pipeline.FromSlice(pipeline.New(context.Background()), "src", []int{1})
				pipeline.Sink(pipeline.New(context.Background()), "sink", src, nop)
			},
			want: "pipeline: stage sink reads the output of stage src, from another pipeline",
		},
		{
			name: "stream read by none",
			misuse: func(*testing.T) {
				p := pipeline.New(context.Background())
				pipeline.FromSlice(p, "src", []int{1})
				_ = p.Wait()
			},
			want: "pipeline: the output of stage src is read by no stage",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := panicOf(func() { tt.misuse(t) }); got != tt.want {
				t.Fatalf("panic %v, want %q", got, tt.want)
			}
		})
	}
}

// panicOf returns what fn panics with, or nil.
func panicOf(fn func()) (recovered any) {
	defer func() { recovered = recover() }()
	fn()
	return nil
}

func TestBottleneckSentence(t *testing.T) {
	stats := []pipeline.StageStats{
		{Name: "fetch", Workers: 4, Busy: 376 * time.Millisecond, Elapsed: 100 * time.Millisecond},
		{Name: "decode", Workers: 1, Busy: 20 * time.Millisecond, Elapsed: 100 * time.Millisecond},
	}
	want := "fetch was the bottleneck: 94% busy; decode idle 80%"
	if got := pipeline.Bottleneck(stats); got != want {
		t.Fatalf("Bottleneck() = %q, want %q", got, want)
	}
}
