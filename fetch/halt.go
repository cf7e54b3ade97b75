package fetch

import (
	"errors"
	"fmt"
	"sync"
	"syscall"

	"github.com/seed-c7c8f39b/loader/sources"
)

// halt is closed when no new request may start: on the graceful stop, or
// when the storage fails in a way that would lose whatever is fetched next
// (a full or failing disk). Symbols not yet fetched then end skipped, with
// the reason, instead of spending requests.
type halt struct {
	stopCh   <-chan struct{}
	done     chan struct{}
	once     sync.Once
	why      error
	mu       sync.Mutex
	released chan struct{}
}

// newHalt returns a halt that closes when stop does, until release.
func newHalt(stop <-chan struct{}) *halt {
	h := &halt{stopCh: stop, done: make(chan struct{}), released: make(chan struct{})}
	go func() {
		select {
		case <-stop:
			h.stop(ErrStopped)
		case <-h.released:
		}
	}()
	return h
}

// stop halts new requests: why is ErrStopped, or the storage failure.
func (h *halt) stop(why error) {
	h.once.Do(func() {
		h.mu.Lock()
		h.why = &haltError{why}
		if why != ErrStopped {
			h.why = &haltError{fmt.Errorf("not fetched, as the disk cannot keep it: %w", why)}
		}
		h.mu.Unlock()
		close(h.done)
	})
}

// halted returns why new requests are halted, or nil.
func (h *halt) halted() error {
	select {
	case <-h.stopCh:
		h.stop(ErrStopped)
	default:
	}
	select {
	case <-h.done:
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.why
	default:
		return nil
	}
}

// haltError is the reason of the symbols a halt kept from starting: its
// text is the cause's, and it matches sources.ErrStopped too.
type haltError struct{ err error }

func (e *haltError) Error() string   { return e.err.Error() }
func (e *haltError) Unwrap() []error { return []error{e.err, sources.ErrStopped} }

// release ends the goroutine that watches the graceful stop.
func (h *halt) release() { close(h.released) }

// isStorageFailure reports errors of a disk that cannot keep what a run
// fetches: full (ENOSPC, EDQUOT), failing (EIO) or read-only (EROFS).
func isStorageFailure(err error) bool {
	return errors.Is(err, syscall.ENOSPC) || errors.Is(err, syscall.EDQUOT) ||
		errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EROFS)
}
