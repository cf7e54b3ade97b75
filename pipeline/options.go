package pipeline

// Each stage option has its own type, which implements the option
// interfaces of the stage kinds it means something for: an option that does
// not apply to a kind of stage does not compile there.

// SourceOption configures a stage added with Source or FromSlice:
// [Buffer].
type SourceOption interface{ applySource(*stageConfig) }

// MapOption configures a stage added with Map: [Workers], [Buffer] and
// [Ordered].
type MapOption interface{ applyMap(*stageConfig) }

// SinkOption configures a stage added with Sink: [Workers].
type SinkOption interface{ applySink(*stageConfig) }

type stageConfig struct {
	workers int
	buffer  int
	ordered bool
}

func configure[O any](opts []O, apply func(O, *stageConfig)) stageConfig {
	cfg := stageConfig{workers: 1}
	for _, opt := range opts {
		apply(opt, &cfg)
	}
	return cfg
}

// WorkersOption is the option made by [Workers]; it applies to Map and Sink.
type WorkersOption struct{ n int }

// Workers sets how many items the stage processes at once (default 1; n
// below 1 means 1). A source has no such option: it is one call of its
// generate function.
func Workers(n int) WorkersOption { return WorkersOption{max(n, 1)} }

func (o WorkersOption) applyMap(c *stageConfig)  { c.workers = o.n }
func (o WorkersOption) applySink(c *stageConfig) { c.workers = o.n }

// BufferOption is the option made by [Buffer]; it applies to Source and Map.
type BufferOption struct{ n int }

// Buffer sets the capacity of the stage's output channel (default 0: each
// send waits for the next stage to take the item; n below 0 means 0). A
// sink has no output: to queue more items before a sink, buffer the stage
// that feeds it.
func Buffer(n int) BufferOption { return BufferOption{max(n, 0)} }

func (o BufferOption) applySource(c *stageConfig) { c.buffer = o.n }
func (o BufferOption) applyMap(c *stageConfig)    { c.buffer = o.n }

// OrderedOption is the option made by [Ordered]; it applies to Map only.
type OrderedOption struct{}

// Ordered makes a map stage emit its results in input order; by default it
// emits them as they complete. The cost is head-of-line blocking: while the
// oldest item is in progress, at most Workers items behind it are started
// or wait done, and the stage holds one item more than an unordered one.
func Ordered() OrderedOption { return OrderedOption{} }

func (OrderedOption) applyMap(c *stageConfig) { c.ordered = true }
