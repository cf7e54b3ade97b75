package tablefile

import (
	"fmt"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// budget is how many bytes decoding a file of size bytes may hold at once:
// far more than any real file decodes into (compression rarely reaches
// 64:1), yet bounded, since the lengths a damaged file claims can be
// anything, and Go cannot recover from running out of memory.
func budget(size int64) int64 { return 64<<20 + 64*size }

// boundedAllocator refuses, by panicking, an allocation that would take
// what it holds past limit; decode recovers the panic as an error. Buffers
// freed after decode, when the records are released, give their bytes
// back. It remembers what it has handed out, so that when Arrow's decoders
// fail or panic on a damaged file, the buffers they had allocated and
// never free are given back too (strays).
type boundedAllocator struct {
	mem   memory.Allocator
	limit int64
	used  atomic.Int64

	mu   sync.Mutex
	live map[*byte]int // data pointer of every buffer handed out, to its size
}

func newBoundedAllocator(mem memory.Allocator, limit int64) *boundedAllocator {
	return &boundedAllocator{mem: mem, limit: limit, live: make(map[*byte]int)}
}

func (a *boundedAllocator) take(n int) {
	if used := a.used.Add(int64(n)); used > a.limit {
		a.used.Add(int64(-n))
		panic(fmt.Sprintf("decoding needs more than %d bytes of memory, too many for the file's size", a.limit))
	}
}

func (a *boundedAllocator) track(b []byte) []byte {
	if cap(b) > 0 {
		a.mu.Lock()
		a.live[unsafe.SliceData(b[:1])] = len(b)
		a.mu.Unlock()
	}
	return b
}

func (a *boundedAllocator) forget(b []byte) {
	if cap(b) > 0 {
		a.mu.Lock()
		delete(a.live, unsafe.SliceData(b[:1]))
		a.mu.Unlock()
	}
}

func (a *boundedAllocator) Allocate(size int) []byte {
	a.take(size)
	return a.track(a.mem.Allocate(size))
}

func (a *boundedAllocator) Reallocate(size int, b []byte) []byte {
	a.take(size - len(b))
	a.forget(b)
	return a.track(a.mem.Reallocate(size, b))
}

func (a *boundedAllocator) Free(b []byte) {
	a.used.Add(int64(-len(b)))
	a.forget(b)
	a.mem.Free(b)
}

// freeStrays gives back every buffer still handed out. It is only for
// a decode that failed, once what it had built has been released: nothing
// can reach those buffers any more.
func (a *boundedAllocator) freeStrays() {
	a.mu.Lock()
	defer a.mu.Unlock()
	for p, n := range a.live {
		a.mem.Free(unsafe.Slice(p, n))
		a.used.Add(int64(-n))
	}
	clear(a.live)
}
