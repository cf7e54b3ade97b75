package pipeline_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

// BenchmarkPipeline measures the engine's own cost: one op is one item
// through a source, one map stage and a sink, with trivial stage functions.
// Divide by three for the cost per item per stage.
func BenchmarkPipeline(b *testing.B) {
	for _, bc := range []struct {
		workers, buffer int
		ordered         bool
	}{
		{1, 0, false}, {1, 64, false}, {4, 64, false}, {4, 64, true},
	} {
		b.Run(fmt.Sprintf("workers=%d/buffer=%d/ordered=%v", bc.workers, bc.buffer, bc.ordered), func(b *testing.B) {
			b.ReportAllocs()
			opts := []pipeline.MapOption{pipeline.Workers(bc.workers), pipeline.Buffer(bc.buffer)}
			if bc.ordered {
				opts = append(opts, pipeline.Ordered())
			}
			n := b.N
			p := pipeline.New(context.Background())
			src := pipeline.Source(p, "source", func(_ context.Context, emit func(int) error) error {
				for i := range n {
					if err := emit(i); err != nil {
						return err
					}
				}
				return nil
			}, pipeline.Buffer(bc.buffer))
			inc := pipeline.Map(p, "inc", src, func(_ context.Context, v int) (int, error) { return v + 1, nil }, opts...)
			pipeline.Sink(p, "sink", inc, func(context.Context, int) error { return nil })
			if err := p.Wait(); err != nil {
				b.Fatal(err)
			}
		})
	}
}
