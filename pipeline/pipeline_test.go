package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
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

// reverseDelay makes early items slow: item v of n takes n-v milliseconds,
// so that completion order is the reverse of input order.
func reverseDelay(n int) func(context.Context, int) (int, error) {
	return func(_ context.Context, v int) (int, error) {
		time.Sleep(time.Duration(n-v) * time.Millisecond)
		return v * 10, nil
	}
}

func TestMapOrdering(t *testing.T) {
	t.Parallel()
	const n = 8
	inOrder := []int{0, 10, 20, 30, 40, 50, 60, 70}
	tests := []struct {
		name string
		opts []pipeline.MapOption
		want []int
	}{
		{name: "ordered keeps input order", opts: []pipeline.MapOption{pipeline.Workers(n), pipeline.Ordered()}, want: inOrder},
		{name: "as completed yields fast items first", opts: []pipeline.MapOption{pipeline.Workers(n)}, want: []int{70, 60, 50, 40, 30, 20, 10, 0}},
		{name: "one worker is ordered anyway", opts: []pipeline.MapOption{pipeline.Workers(1)}, want: inOrder},
		{name: "ordered with fewer workers than items", opts: []pipeline.MapOption{pipeline.Workers(3), pipeline.Ordered()}, want: inOrder},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				got, err := collect(t, numbers(n), reverseDelay(n), tt.opts...)
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(got, tt.want) {
					t.Fatalf("got %v, want %v", got, tt.want)
				}
			})
		})
	}
}

// TestBackpressureBound shows that a slow sink stalls the stages before it:
// the items in flight reach exactly what the workers and buffers can hold,
// and no more, however long the input.
func TestBackpressureBound(t *testing.T) {
	t.Parallel()
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
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
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
					time.Sleep(time.Millisecond)
					track(-1)
					return nil
				})
				if err := p.Wait(); err != nil {
					t.Fatal(err)
				}
				// source: one being emitted and its buffer; map: one taken
				// by its dispatcher, one per worker (ordered: one more, the
				// oldest, held by the emitter) and its buffer; sink: one
				// taken by its dispatcher and one in its worker.
				want := int64(1 + tt.buffers + 1 + tt.workers + tt.buffers + 2)
				if tt.ordered {
					want++
				}
				if got := peak.Load(); got != want {
					t.Fatalf("peak items in flight %d, want %d", got, want)
				}
			})
		})
	}
}

// TestCancellation cancels a pipeline whose every stage is full and checks
// that it stops, that every item is either received by a stage function or
// discarded exactly once, and that nothing leaks (synctest fails on a
// goroutine left blocked; goleak runs after the package's tests).
func TestCancellation(t *testing.T) {
	t.Parallel()
	for _, ordered := range []bool{false, true} {
		t.Run(fmt.Sprintf("ordered=%v", ordered), func(t *testing.T) {
			t.Parallel()
			synctest.Test(t, func(t *testing.T) {
				ctx, cancel := context.WithCancel(context.Background())
				var mu sync.Mutex
				emitted, produced, consumed := 0, 0, 0
				discardedIn, discardedOut := 0, 0
				count := func(n *int) { mu.Lock(); *n++; mu.Unlock() }

				p := pipeline.New(ctx)
				src := pipeline.Source(p, "endless", func(ctx context.Context, emit func(int) error) error {
					for i := 0; ; i++ {
						count(&emitted)
						if err := emit(i); err != nil {
							return err
						}
					}
				}, pipeline.Buffer(4)).WithDiscard(func(int) { count(&discardedIn) })
				opts := []pipeline.MapOption{pipeline.Workers(4), pipeline.Buffer(4)}
				if ordered {
					opts = append(opts, pipeline.Ordered())
				}
				mapped := pipeline.Map(p, "map", src, func(_ context.Context, v int) (int, error) {
					count(&produced)
					return v, nil
				}, opts...).WithDiscard(func(int) { count(&discardedOut) })
				pipeline.Sink(p, "stuck sink", mapped, func(ctx context.Context, _ int) error {
					count(&consumed)
					<-ctx.Done()
					return ctx.Err()
				})
				done := make(chan error)
				go func() { done <- p.Wait() }()
				synctest.Wait() // every stage is full
				cancel()
				if err := <-done; !errors.Is(err, context.Canceled) {
					t.Fatalf("Wait() = %v, want context.Canceled", err)
				}
				if emitted != produced+discardedIn {
					t.Errorf("the source emitted %d items, the map received %d and %d were discarded", emitted, produced, discardedIn)
				}
				if produced != consumed+discardedOut {
					t.Errorf("the map produced %d items, the sink received %d and %d were discarded", produced, consumed, discardedOut)
				}
				// The map had filled its workers, its buffer and the sink.
				want := 4 + 4 + 2
				if ordered {
					want++
				}
				if consumed != 1 || produced != want {
					t.Errorf("the sink received %d items and the map produced %d, want 1 and %d", consumed, produced, want)
				}
			})
		})
	}
}

func TestStats(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		errBad := errors.New("bad")
		p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
		src := pipeline.FromSlice(p, "source", numbers(20))
		slow := pipeline.Map(p, "slow", src, func(_ context.Context, v int) (int, error) {
			time.Sleep(time.Millisecond)
			if v == 3 {
				return 0, errBad
			}
			return v, nil
		})
		pipeline.Sink(p, "sink", slow, func(context.Context, int) error { return nil })
		if err := p.Wait(); !errors.Is(err, errBad) {
			t.Fatalf("Wait() = %v, want the error of item 3", err)
		}
		// Time is the bubble's: the slow stage works 20 × 1 ms, and the
		// sink spends all of it waiting.
		want := []struct {
			name            string
			in, out, errors int64
			busy, waitIn    time.Duration
		}{
			{name: "source", in: 20, out: 20},
			{name: "slow", in: 20, out: 19, errors: 1, busy: 20 * time.Millisecond},
			{name: "sink", in: 19, out: 19, waitIn: 20 * time.Millisecond},
		}
		stats := p.Stats()
		if len(stats) != len(want) {
			t.Fatalf("got %d stages, want %d", len(stats), len(want))
		}
		for i, w := range want {
			s := stats[i]
			if s.Name != w.name || s.In != w.in || s.Out != w.out || s.Errors != w.errors || !s.Done {
				t.Errorf("stage %d = %+v, want %+v and done", i, s, w)
			}
			if w.busy > 0 && s.Busy != w.busy || w.waitIn > 0 && s.WaitIn != w.waitIn {
				t.Errorf("stage %s busy %v and waited %v for input, want %v and %v", s.Name, s.Busy, s.WaitIn, w.busy, w.waitIn)
			}
		}
		if got, want := pipeline.Bottleneck(stats), "slow was the bottleneck: 100% busy; source idle 100%"; got != want {
			t.Errorf("Bottleneck() = %q, want %q", got, want)
		}
	})
}

func TestBottleneckSentence(t *testing.T) {
	t.Parallel()
	stats := []pipeline.StageStats{
		{Name: "fetch", Workers: 4, Busy: 376 * time.Millisecond, Elapsed: 100 * time.Millisecond},
		{Name: "decode", Workers: 1, Busy: 20 * time.Millisecond, Elapsed: 100 * time.Millisecond},
	}
	want := "fetch was the bottleneck: 94% busy; decode idle 80%"
	if got := pipeline.Bottleneck(stats); got != want {
		t.Fatalf("Bottleneck() = %q, want %q", got, want)
	}
}
