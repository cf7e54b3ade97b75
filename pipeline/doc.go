// Package pipeline is a generic engine of typed stages connected by bounded
// channels: a source, any number of map stages, and a sink, each running on
// its own conc pool with its own worker count and buffer size.
//
//	p := pipeline.New(ctx, pipeline.WithErrorPolicy(pipeline.CollectErrors))
//	symbols := pipeline.FromSlice(p, "symbols", []string{"AAPL", "MSFT"})
//	series := pipeline.Map(p, "fetch", symbols, fetch, pipeline.Workers(8), pipeline.Buffer(4))
//	pipeline.Sink(p, "write", series, write)
//	err := p.Wait()
//
// Backpressure is structural: every channel is bounded and every send blocks,
// so a slow stage stalls the ones before it and the items in flight never
// exceed the sum of the stages' workers and buffers, whatever the input
// length.
//
// A map stage emits results as they complete (the default, like Python's
// as_completed) or, with [Ordered], in input order (like executor.map).
//
// An error returned or a panic raised for one item becomes an [*ItemError]
// that names the stage and the item. Under [StopOnError] the first one
// cancels every stage; under [CollectErrors] the failing item is dropped,
// reported to the [WithErrorHandler] callback, and the rest go on.
//
// Every stage counts its items, errors, time busy and time blocked on its
// input and output (see [StageStats]), enough to name the stage that limits a
// run ([Bottleneck]).
package pipeline
