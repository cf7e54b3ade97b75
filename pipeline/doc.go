// Package pipeline is a generic engine of typed stages connected by bounded
// channels: sources, any number of map stages, and sinks, each running on
// its own conc pool with its own worker count and buffer size. It knows
// nothing of what the items are.
//
//	p := pipeline.New(ctx, pipeline.WithErrorPolicy(pipeline.CollectErrors))
//	symbols := pipeline.FromSlice(p, "symbols", []string{"AAPL", "MSFT"})
//	series := pipeline.Map(p, "fetch", symbols, fetch, pipeline.Workers(8), pipeline.Buffer(4)).
//		WithDiscard(release)
//	pipeline.Sink(p, "write", series, write)
//	err := p.Wait()
//
// # Building and running
//
// Source, FromSlice and Map each return a [*Stream], which exactly one Map
// or Sink must read. Nothing runs until [Pipeline.Wait], which starts every
// stage and returns when all have finished. Misuse panics at once, naming
// the stages: a stream read twice or never, a stream of another pipeline, a
// stage or a WithDiscard added after Wait.
//
// Each option has its own type, accepted only by the kinds of stage it
// means something for, so that a misplaced option does not compile:
//
//	option     Source  Map  Sink
//	Workers            yes  yes
//	Buffer     yes     yes
//	Ordered            yes
//
// # Backpressure
//
// Every channel is bounded and every send blocks, so a slow stage stalls
// the ones before it, and the items in flight never exceed what the stages
// hold, whatever the input length: a source one item being emitted plus its
// Buffer; a map Workers+1 items (one more if Ordered) plus its Buffer; a
// sink Workers+1.
//
// # Order
//
// A map stage emits results as they complete (the default, like Python's
// as_completed) or, with [Ordered], in input order (like executor.map).
//
// # Ownership
//
// An item passed to a stage function belongs to that function, whatever it
// returns: a map's function releases its input if it must. An item that
// will reach no stage function because the pipeline was cancelled is passed
// to the discard function of its stream ([Stream.WithDiscard]), exactly
// once: that is how Arrow records dropped on cancellation are released.
//
// # Errors
//
// An error returned or a panic raised for one item becomes an [*ItemError]
// that names the stage and the item, and wraps the cause (a [*PanicError]
// for a panic), so that errors.Is and errors.As see through it; [ItemOf]
// reads the item back with its type. Under [StopOnError] the first one
// cancels every stage; under [CollectErrors] the failing item is dropped,
// reported to the [WithErrorHandler] callback, and the rest go on. An error
// returned by a source's generate function stops the pipeline under either
// policy. Wait returns the first error or all of them joined, or the
// cause of the context's cancellation.
//
// # Counters
//
// Every stage counts its items, errors, time busy and time blocked on its
// input and output (see [StageStats]), enough to name the stage that limits a
// run ([Bottleneck]).
//
// # Testing
//
// The engine shares no channel or timer between pipelines, so a pipeline
// runs inside a testing/synctest bubble, on the bubble's clock.
package pipeline
