package tablefile

import (
	"fmt"
	"sync/atomic"

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
// back.
type boundedAllocator struct {
	mem   memory.Allocator
	limit int64
	used  atomic.Int64
}

func (a *boundedAllocator) take(n int) {
	if used := a.used.Add(int64(n)); used > a.limit {
		a.used.Add(int64(-n))
		panic(fmt.Sprintf("decoding needs more than %d bytes of memory, too many for the file's size", a.limit))
	}
}

func (a *boundedAllocator) Allocate(size int) []byte {
	a.take(size)
	return a.mem.Allocate(size)
}

func (a *boundedAllocator) Reallocate(size int, b []byte) []byte {
	a.take(size - len(b))
	return a.mem.Reallocate(size, b)
}

func (a *boundedAllocator) Free(b []byte) {
	a.used.Add(int64(-len(b)))
	a.mem.Free(b)
}
