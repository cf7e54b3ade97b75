package pipeline_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

func TestErrorPolicies(t *testing.T) {
	t.Parallel()
	errOdd := errors.New("odd")
	failOdd := func(_ context.Context, v int) (int, error) {
		if v%2 == 1 {
			return 0, errOdd
		}
		return v, nil
	}
	tests := []struct {
		name        string
		policy      pipeline.ErrorPolicy
		wantErrors  int   // errors joined in Wait's result, and handled
		wantSunkMax int64 // items that reached the sink, at most
		wantSunkMin int64
	}{
		// Item 0 may reach the sink before item 1 fails; nothing after.
		{name: "stop on error returns the first", policy: pipeline.StopOnError, wantErrors: 1, wantSunkMax: 1},
		{name: "collect keeps going", policy: pipeline.CollectErrors, wantErrors: 50, wantSunkMin: 50, wantSunkMax: 50},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var handled atomic.Int64
			p := pipeline.New(context.Background(),
				pipeline.WithErrorPolicy(tt.policy),
				pipeline.WithErrorHandler(func(*pipeline.ItemError) { handled.Add(1) }))
			src := pipeline.FromSlice(p, "source", numbers(100))
			kept := pipeline.Map(p, "check", src, failOdd)
			var sunk atomic.Int64
			pipeline.Sink(p, "sink", kept, func(context.Context, int) error { sunk.Add(1); return nil })
			err := p.Wait()

			if !errors.Is(err, errOdd) {
				t.Fatalf("Wait() = %v, want it to wrap %v", err, errOdd)
			}
			itemErr, isItem := errors.AsType[*pipeline.ItemError](err)
			if item, _ := pipeline.ItemOf[int](err); !isItem || itemErr.Stage != "check" || item != 1 {
				t.Fatalf("Wait() = %v, want first the ItemError of stage check for item 1", err)
			}
			joined := 1
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				joined = len(j.Unwrap())
			}
			if joined != tt.wantErrors || handled.Load() != int64(tt.wantErrors) {
				t.Fatalf("Wait() joined %d errors and %d were handled, want %d", joined, handled.Load(), tt.wantErrors)
			}
			if n := sunk.Load(); n < tt.wantSunkMin || n > tt.wantSunkMax {
				t.Fatalf("%d items reached the sink, want %d to %d", n, tt.wantSunkMin, tt.wantSunkMax)
			}
		})
	}
}

func TestPanicBecomesItemError(t *testing.T) {
	t.Parallel()
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

func TestSourceErrorStopsPipeline(t *testing.T) {
	t.Parallel()
	errDisk := errors.New("disk on fire")
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	src := pipeline.Source(p, "reader", func(_ context.Context, emit func(int) error) error {
		if err := emit(1); err != nil {
			return err
		}
		return errDisk
	})
	pipeline.Sink(p, "sink", src, func(context.Context, int) error { return nil })
	err := p.Wait()
	if !errors.Is(err, errDisk) {
		t.Fatalf("Wait() = %v, want the source's error", err)
	}
	if _, isItem := errors.AsType[*pipeline.ItemError](err); isItem {
		t.Fatalf("Wait() = %v: a source's error is not an item's", err)
	}
	if want := "pipeline: source reader: disk on fire"; err.Error() != want {
		t.Fatalf("message %q, want %q", err.Error(), want)
	}
}
