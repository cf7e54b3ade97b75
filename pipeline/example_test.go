package pipeline_test

import (
	"context"
	"fmt"
	"strings"

	"github.com/seed-c7c8f39b/loader/pipeline"
)

func Example() {
	p := pipeline.New(context.Background(), pipeline.WithErrorPolicy(pipeline.CollectErrors))
	words := pipeline.FromSlice(p, "words", []string{"fetch", "decode", "", "write"})
	upper := pipeline.Map(p, "upper", words, func(_ context.Context, w string) (string, error) {
		if w == "" {
			return "", fmt.Errorf("empty word")
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
