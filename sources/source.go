package sources

import (
	"context"
	"errors"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Series is one symbol's bars of one Kind.
type Series struct {
	// Symbol is the normalised ticker the series was fetched for.
	Symbol string
	// Record holds the bars with their Kind's schema ([Kind.Schema]), rows
	// ascending by date or timestamp and unique. The receiver of a Series owns Record and must
	// Release it.
	Record arrow.RecordBatch
	// Attempts is how many requests it took (1 for local sources).
	Attempts int
	// Meta describes where the series came from (source, function, output
	// size, fetch time). It never holds a secret.
	Meta map[string]string
}

// Source fetches series of one Kind, fixed when it is made. Implementations are safe for concurrent use
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

// Stopper is implemented by a Source that can be told to start no new
// request: after Stop returns, no Fetch starts a request, neither for a
// new symbol nor as a retry, and such Fetches fail with an error matching
// ErrStopped; requests in flight finish and keep their data. Stop is safe
// to call concurrently with Fetch and more than once. A job calls it when
// it is stopped gracefully, so that symbols queued inside the source and
// retries cost no more requests.
type Stopper interface {
	Stop()
}

// Errors of the Fetches that a source refused to start, by why. Each is
// matched with errors.Is; a source wraps them with the symbol.
var (
	// ErrFatal marks a Fetch error after which every other request of the
	// run would fail the same way: an API key the service refused, a
	// function or output size the key may not use. A job fetching many
	// symbols stops at the first, at once.
	ErrFatal = errors.New("no other symbol can succeed")
	// ErrQuota marks a Fetch that failed, or was never started, because a
	// request quota is used up: the service's daily quota, or the budget
	// of requests the run was given. It passes: the same run succeeds
	// later. Requests in flight when it happens still finish and keep
	// their data, so a job should not abort them; it records the symbols
	// not fetched and says when to run again.
	ErrQuota = errors.New("request quota used up: run again later")
	// ErrStopped marks a Fetch that made no new request because the run
	// was stopped gracefully (see Stopper).
	ErrStopped = errors.New("the run was stopped")
)

// String names the series by its symbol, as errors about it should.
func (s Series) String() string { return s.Symbol }
