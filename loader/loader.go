package loader

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
)

// Config chooses the windows, batches, order and share of a Loader. The
// zero value of a field means its default.
type Config struct {
	// Split is the part of the dataset to draw windows from.
	Split Split
	// Window is the number of rows in a sample (default 32), Horizon the
	// number of target rows after it in a label (default 1), Stride the
	// distance between window starts (default 1).
	Window, Horizon, Stride int
	// BatchSize is the number of samples per batch (default 256).
	BatchSize int
	// DropLast drops the last batch of an epoch when it would be smaller
	// than BatchSize, and with WorldSize > 1 truncates instead of padding.
	DropLast bool
	// Shuffle draws a new permutation of the samples every epoch from Seed
	// and the epoch number; without it samples come symbol by symbol in
	// time order. Every rank must use the same Seed.
	Shuffle bool
	Seed    uint64
	// Workers is the number of goroutines assembling batches (default
	// GOMAXPROCS); Prefetch the number of batches assembled ahead of the
	// consumer (default 2 × Workers). Neither changes what is yielded.
	Workers, Prefetch int
	// Rank and WorldSize shard every epoch across processes. When
	// WorldSize is 0 both come from the RANK and WORLD_SIZE environment
	// variables that torchrun sets, or 0 and 1 when unset.
	Rank, WorldSize int
}

// Errors a Loader returns; they are wrapped with details.
var (
	// ErrClosed is returned by Next after Close.
	ErrClosed = errors.New("loader: closed")
	// ErrFilesChanged is returned by Restore when the files differ from
	// those the state was saved from.
	ErrFilesChanged = errors.New("loader: files changed since the state was saved")
	// ErrStateMismatch is returned by Restore when the state was saved by
	// a loader with another configuration, seed or rank.
	ErrStateMismatch = errors.New("loader: state does not match this loader")
	// ErrNoWindows is returned by New when no window fits the split.
	ErrNoWindows = errors.New("loader: no windows")

	// errSplit reports a split that the dataset's dates do not define.
	errSplit = errors.New("loader: split not defined")
)

// Loader yields the batches of one split of a Dataset, epoch after epoch.
// Next, State, Restore and Close must be called from one goroutine at a
// time; batches may be released from any goroutine.
type Loader struct {
	ds      *Dataset
	cfg     Config
	samples []sample
	shard   shard // every rank's share of an epoch
	cur     shard // the share of the current epoch: shard, or the rest of a resumed one
	pool    *batchPool

	order      []uint32 // sample order of orderEpoch
	orderEpoch int

	epoch, next int  // the next batch to yield
	done        bool // io.EOF was returned for epoch
	closed      bool
	run         *run
}

// New returns a Loader over ds, or an error wrapping ErrNoWindows when no
// window fits the split. It starts no goroutine until the first Next; call
// Close when done, or the workers of an unfinished epoch stay blocked.
func New(ds *Dataset, cfg Config) (*Loader, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	if ds.cfg.TrainEnd.IsZero() && (cfg.Split == Val || cfg.Split == Test) {
		return nil, fmt.Errorf("%w: %s needs a dataset opened with TrainEnd", errSplit, cfg.Split)
	}
	if ds.cfg.ValEnd.IsZero() && cfg.Split == Test {
		return nil, fmt.Errorf("%w: test needs a dataset opened with ValEnd", errSplit)
	}
	l := &Loader{ds: ds, cfg: cfg, orderEpoch: -1}
	l.samples = windows(ds, cfg.Split, cfg.Window, cfg.Horizon, cfg.Stride)
	if len(l.samples) == 0 {
		return nil, noWindows(ds, cfg)
	}
	l.shard = newShard(len(l.samples), 0, cfg.Rank, cfg.WorldSize, cfg.BatchSize, cfg.DropLast)
	l.cur = l.shard
	l.order = make([]uint32, len(l.samples))
	l.pool = &batchPool{batch: cfg.BatchSize, window: cfg.Window, features: len(ds.cfg.Features), horizon: cfg.Horizon}
	return l, nil
}

// noWindows explains why no window fits cfg.Split of ds.
func noWindows(ds *Dataset, cfg Config) error {
	longest := 0
	for _, s := range ds.series {
		longest = max(longest, s.bounds[cfg.Split][1]-s.bounds[cfg.Split][0])
	}
	if need := cfg.Window + cfg.Horizon; longest < need {
		return fmt.Errorf("%w: the longest symbol of the %s split has %d rows, fewer than window %d + horizon %d",
			ErrNoWindows, cfg.Split, longest, cfg.Window, cfg.Horizon)
	}
	return fmt.Errorf("%w: every window of %d + %d rows of the %s split touches a null or a symbol without training rows",
		ErrNoWindows, cfg.Window, cfg.Horizon, cfg.Split)
}

func (c Config) withDefaults() (Config, error) {
	defaults := []struct {
		name string
		v    *int
		def  int
	}{
		{"window", &c.Window, 32},
		{"horizon", &c.Horizon, 1},
		{"stride", &c.Stride, 1},
		{"batch size", &c.BatchSize, 256},
		{"workers", &c.Workers, runtime.GOMAXPROCS(0)},
	}
	for _, d := range defaults {
		if *d.v < 0 {
			return c, fmt.Errorf("loader: %s %d is negative", d.name, *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if c.Prefetch < 0 {
		return c, fmt.Errorf("loader: prefetch %d is negative", c.Prefetch)
	}
	if c.Prefetch == 0 {
		c.Prefetch = 2 * c.Workers
	}
	if c.Split < All || c.Split > Test {
		return c, fmt.Errorf("loader: unknown split %d", c.Split)
	}
	if c.WorldSize == 0 {
		var err error
		if c.WorldSize, err = envInt("WORLD_SIZE", 1); err != nil {
			return c, err
		}
		if c.Rank, err = envInt("RANK", 0); err != nil {
			return c, err
		}
	}
	if c.WorldSize < 1 || c.Rank < 0 || c.Rank >= c.WorldSize {
		return c, fmt.Errorf("loader: rank %d is not in [0, world size %d)", c.Rank, c.WorldSize)
	}
	return c, nil
}

func envInt(name string, def int) (int, error) {
	s := os.Getenv(name)
	if s == "" {
		return def, nil
	}
	v, err := strconv.Atoi(s)
	if err != nil {
		return 0, fmt.Errorf("loader: environment variable %s: %w", name, err)
	}
	return v, nil
}

// Config returns the configuration with every default filled in.
func (l *Loader) Config() Config { return l.cfg }

// Len returns the number of batches this rank yields per epoch; it is the
// same on every rank. An epoch resumed with another world size (see
// Restore) yields fewer.
func (l *Loader) Len() int { return l.shard.batches }

// Samples returns the number of windows in the split, before sharding.
func (l *Loader) Samples() int { return len(l.samples) }

// BatchesAllocated returns how many batch buffers the loader has ever
// allocated. Released batches are reused, so it stays at most Prefetch plus
// the number of batches the consumer holds at once.
func (l *Loader) BatchesAllocated() int { return l.pool.allocatedBatches() }

// Epoch returns the epoch the next batch belongs to.
func (l *Loader) Epoch() int {
	if l.done {
		return l.epoch + 1
	}
	return l.epoch
}

// Next returns the next batch of the current epoch, or io.EOF after its
// last batch; the call after io.EOF starts the next epoch. The caller owns
// the batch until it calls Release. Next returns ctx.Err() if ctx ends
// while it waits, without losing its place.
func (l *Loader) Next(ctx context.Context) (*Batch, error) {
	if l.closed {
		return nil, ErrClosed
	}
	if l.done {
		l.epoch, l.next, l.done, l.cur = l.epoch+1, 0, false, l.shard
	}
	if l.next >= l.cur.batches {
		l.stop()
		l.done = true
		return nil, io.EOF
	}
	if l.run == nil {
		l.start()
	}
	select {
	case b := <-l.run.slots[l.next%len(l.run.slots)]:
		<-l.run.tokens
		l.next++
		return b, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// SetEpoch moves the loader to the start of epoch, as
// DistributedSampler.set_epoch does: the next Next returns its first batch.
// It stops the workers of the current epoch, if any.
func (l *Loader) SetEpoch(epoch int) error {
	if epoch < 0 {
		return fmt.Errorf("loader: epoch %d is negative", epoch)
	}
	l.stop()
	l.epoch, l.next, l.done, l.cur = epoch, 0, false, l.shard
	return nil
}

// Pause stops the workers and waits for them to exit, keeping the loader's
// position: the next Next starts them again and returns the batch it would
// have returned. Call it when a consumer leaves an epoch unfinished, so that
// no goroutine waits for it.
func (l *Loader) Pause() { l.stop() }

// Close stops the workers and waits for them to exit. Batches the consumer
// still holds stay valid until released.
func (l *Loader) Close() error {
	l.stop()
	l.closed = true
	return nil
}

// run is the set of workers assembling the batches of one epoch.
//
// A worker takes a token before it takes the next batch index, and the
// consumer returns the token when it receives that batch. So the batches
// being assembled or waiting are always the Prefetch lowest ones not yet
// yielded: batch i can wait in slot i mod Prefetch without colliding, and
// memory stays bounded by Prefetch batches plus those the consumer holds.
type run struct {
	cancel context.CancelFunc
	wg     sync.WaitGroup
	tokens chan struct{}
	slots  []chan *Batch
	next   atomic.Int64
}

func (l *Loader) start() {
	if l.orderEpoch != l.epoch {
		epochOrder(l.order, l.cfg.Shuffle, l.cfg.Seed, l.epoch)
		l.orderEpoch = l.epoch
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &run{cancel: cancel, tokens: make(chan struct{}, l.cfg.Prefetch), slots: make([]chan *Batch, l.cfg.Prefetch)}
	for i := range r.slots {
		r.slots[i] = make(chan *Batch, 1)
	}
	r.next.Store(int64(l.next))
	epoch, sh := l.epoch, l.cur
	for range l.cfg.Workers {
		r.wg.Go(func() {
			for {
				select {
				case r.tokens <- struct{}{}:
				case <-ctx.Done():
					return
				}
				i := int(r.next.Add(1) - 1)
				if i >= sh.batches {
					<-r.tokens
					return
				}
				b := l.pool.get()
				l.assemble(b, sh, epoch, i)
				r.slots[i%len(r.slots)] <- b
			}
		})
	}
	l.run = r
}

// stop ends the current run, if any, and takes back its unyielded batches.
func (l *Loader) stop() {
	r := l.run
	if r == nil {
		return
	}
	r.cancel()
	r.wg.Wait()
	for _, slot := range r.slots {
		select {
		case b := <-slot:
			l.pool.put(b)
		default:
		}
	}
	l.run = nil
}

// assemble fills b with batch i of epoch, whose share is sh. It reads only
// immutable state, so any number of workers can run it at once.
func (l *Loader) assemble(b *Batch, sh shard, epoch, i int) {
	lo, hi := sh.span(i)
	w, h, nf := l.cfg.Window, l.cfg.Horizon, len(l.ds.cfg.Features)
	size := hi - lo
	b.X, b.Y = b.X[:size*w*nf], b.Y[:size*h]
	b.Size, b.Padded, b.Epoch, b.Index = size, 0, epoch, i
	for j := range size {
		idx, padded := sh.at(lo + j)
		if padded {
			b.Padded++
		}
		smp := l.samples[l.order[idx]]
		s := &l.ds.series[smp.series]
		start, end := int(smp.start), int(smp.start)+w
		copy(b.X[j*w*nf:(j+1)*w*nf], s.x[start*nf:end*nf])
		copy(b.Y[j*h:(j+1)*h], s.y[end:end+h])
		b.Symbols[j] = s.symbol
		b.Dates[j] = timeOf(s.times[end-1], l.ds.zone)
	}
}
