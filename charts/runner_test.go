package charts_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/charts"
)

func TestRunners(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		runner      charts.Runner
		maxInFlight int64
	}{
		{"sequential", charts.Sequential{}, 1},
		{"parallel 3", charts.Parallel{Workers: 3}, 3},
		{"NewRunner(1)", charts.NewRunner(1), 1},
		{"NewRunner(4)", charts.NewRunner(4), 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var ran, inFlight, peak atomic.Int64
			tasks := make([]charts.Task, 12)
			for i := range tasks {
				tasks[i] = func(context.Context) error {
					n := inFlight.Add(1)
					for p := peak.Load(); n > p && !peak.CompareAndSwap(p, n); p = peak.Load() {
					}
					time.Sleep(2 * time.Millisecond)
					inFlight.Add(-1)
					ran.Add(1)
					if i%5 == 0 {
						return fmt.Errorf("task %d failed", i)
					}
					return nil
				}
			}
			err := tt.runner.Run(context.Background(), tasks)
			if ran.Load() != 12 {
				t.Errorf("ran %d tasks, want all 12 despite failures", ran.Load())
			}
			for _, want := range []string{"task 0 failed", "task 5 failed", "task 10 failed"} {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
			if peak.Load() > tt.maxInFlight {
				t.Errorf("%d tasks ran at once, want at most %d", peak.Load(), tt.maxInFlight)
			}
		})
	}
}

func TestRunnersStopWhenCancelled(t *testing.T) {
	t.Parallel()
	for _, runner := range []charts.Runner{charts.Sequential{}, charts.Parallel{Workers: 2}} {
		t.Run(fmt.Sprintf("%T", runner), func(t *testing.T) {
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var ran atomic.Int64
			tasks := make([]charts.Task, 50)
			for i := range tasks {
				tasks[i] = func(context.Context) error {
					if ran.Add(1) == 3 {
						cancel()
					}
					return nil
				}
			}
			err := runner.Run(ctx, tasks)
			if !errors.Is(err, context.Canceled) {
				t.Errorf("err = %v, want context.Canceled", err)
			}
			if n := ran.Load(); n >= 50 {
				t.Errorf("ran all %d tasks after cancel", n)
			}
		})
	}
}
