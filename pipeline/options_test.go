package pipeline_test

import (
	"context"
	"testing"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

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
