package charts

import (
	"context"
	"errors"

	"github.com/sourcegraph/conc/pool"
)

// Task is one unit of chart work, such as reading one file and rendering
// the charts of the symbols in it.
type Task func(ctx context.Context) error

// Runner runs tasks and returns the errors of all that failed, joined.
// A failing task does not stop the others; a cancelled ctx does.
type Runner interface {
	Run(ctx context.Context, tasks []Task) error
}

// NewRunner returns Sequential for workers <= 1 and Parallel{workers}
// otherwise.
func NewRunner(workers int) Runner {
	if workers <= 1 {
		return Sequential{}
	}
	return Parallel{Workers: workers}
}

// Sequential runs tasks one after the other on the calling goroutine.
type Sequential struct{}

// Run implements Runner.
func (Sequential) Run(ctx context.Context, tasks []Task) error {
	var errs []error
	for _, task := range tasks {
		if err := ctx.Err(); err != nil {
			return errors.Join(append(errs, err)...)
		}
		if err := task(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Parallel runs tasks on a conc pool of at most Workers goroutines.
// Rendering is CPU-bound, so more workers than cores gains nothing.
type Parallel struct {
	Workers int
}

// Run implements Runner. Submitting blocks while every worker is busy, so
// at most Workers tasks are in flight.
func (p Parallel) Run(ctx context.Context, tasks []Task) error {
	wp := pool.New().WithContext(ctx).WithMaxGoroutines(max(p.Workers, 1))
	for _, task := range tasks {
		if ctx.Err() != nil {
			break
		}
		wp.Go(func(ctx context.Context) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			return task(ctx)
		})
	}
	err := wp.Wait()
	if ctxErr := ctx.Err(); ctxErr != nil && !errors.Is(err, ctxErr) {
		err = errors.Join(err, ctxErr)
	}
	return err
}
