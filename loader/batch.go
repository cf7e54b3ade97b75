package loader

import (
	"sync"
	"time"
)

// Batch is one batch of samples. Its slices belong to the Loader's pool:
// call Release when done with them, after which they must not be used.
type Batch struct {
	// X holds the windows as a contiguous float32 array of shape
	// [Size, Window, Features], row-major.
	X []float32
	// Y holds the labels, shape [Size, Horizon]: the target at the Horizon
	// rows that follow each window.
	Y []float32
	// Symbols and Dates name each sample: its symbol and the time of the
	// window's last row: its date (UTC midnight) for daily, weekly or
	// monthly bars, the bar's timestamp (in the exchange's zone) for
	// intraday ones (see Dataset.Intraday).
	Symbols []string
	Dates   []time.Time

	// Size is the number of samples; Window, Features and Horizon the
	// other dimensions of X and Y.
	Size, Window, Features, Horizon int
	// Padded is the number of samples at the end of the batch that repeat
	// samples of the epoch to give every rank the same number of batches
	// (only with WorldSize > 1 and DropLast false). Weight them zero in a
	// metric that must count every sample once.
	Padded int
	// Epoch and Index locate the batch: Index counts from 0 in each epoch.
	Epoch, Index int

	pool *batchPool
}

// Bytes returns the size of X and Y in bytes.
func (b *Batch) Bytes() int { return 4 * (len(b.X) + len(b.Y)) }

// Release gives the batch's memory back to its Loader. It is safe to call
// from any goroutine, once.
func (b *Batch) Release() {
	if p := b.pool; p != nil {
		b.pool = nil // a second Release must not hand the memory out twice
		p.put(b)
	}
}

// batchPool recycles batches of one shape, so that steady-state iteration
// allocates nothing.
type batchPool struct {
	batch, window, features, horizon int

	mu        sync.Mutex
	free      []*Batch
	allocated int
}

func (p *batchPool) get() *Batch {
	p.mu.Lock()
	if n := len(p.free); n > 0 {
		b := p.free[n-1]
		p.free = p.free[:n-1]
		p.mu.Unlock()
		b.pool = p
		return b
	}
	p.allocated++
	p.mu.Unlock()
	return &Batch{
		X:        make([]float32, p.batch*p.window*p.features),
		Y:        make([]float32, p.batch*p.horizon),
		Symbols:  make([]string, p.batch),
		Dates:    make([]time.Time, p.batch),
		Window:   p.window,
		Features: p.features,
		Horizon:  p.horizon,
		pool:     p,
	}
}

func (p *batchPool) put(b *Batch) {
	p.mu.Lock()
	p.free = append(p.free, b)
	p.mu.Unlock()
}

// allocatedBatches returns how many batches the pool ever created.
func (p *batchPool) allocatedBatches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.allocated
}
