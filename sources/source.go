package sources

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Series is one symbol's daily bars.
type Series struct {
	// Symbol is the normalised ticker the series was fetched for.
	Symbol string
	// Record holds the bars with a [DailySchema] schema, rows ascending by
	// date and unique. The receiver of a Series owns Record and must
	// Release it.
	Record arrow.RecordBatch
	// Attempts is how many requests it took (1 for local sources).
	Attempts int
	// Meta describes where the series came from (source, function, output
	// size, fetch time). It never holds a secret.
	Meta map[string]string
}

// Source fetches daily series. Implementations are safe for concurrent use
// by many goroutines.
type Source interface {
	// Name identifies the source in logs, reports and file metadata.
	Name() string
	// Fetch returns symbol's series, built with mem. It stops promptly when
	// ctx is cancelled. Errors name the symbol; an error matching ErrFatal
	// means that no other symbol can succeed either.
	Fetch(ctx context.Context, symbol string, mem memory.Allocator) (Series, error)
	// Close releases what the source holds (idle connections). No Fetch
	// may run during or after it.
	Close() error
}

// ErrFatal marks a Fetch error after which every other request of the run
// would fail the same way: an API key the service refused, a used-up daily
// quota. A job fetching many symbols stops at the first (errors.Is).
var ErrFatal = errors.New("no other symbol can succeed")

// String names the series by its symbol, as errors about it should.
func (s Series) String() string { return s.Symbol }
