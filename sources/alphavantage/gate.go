package alphavantage

import (
	"fmt"
	"sync"
)

// gate is the client's "closed for new requests" state. Every attempt
// passes it just before its request is sent; once closed, for the first
// reason given, it stays closed, and waits for a slot, the rate limiter or
// a backoff end at once. Requests already sent are not its business: they
// finish. It also keeps the run's request budget: the request that uses
// the budget up closes it.
type gate struct {
	mu     sync.Mutex
	reason error
	closed chan struct{}
	budget int // the most requests; 0 for no budget
	sent   int
	// onClose is called with the reason when the gate closes, under its
	// lock: it must not call the gate.
	onClose func(reason error)
}

func newGate(budget int, onClose func(error)) *gate {
	return &gate{closed: make(chan struct{}), budget: budget, onClose: onClose}
}

// admit counts a request about to be sent and returns nil, or returns why
// no request may start.
func (g *gate) admit() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason != nil {
		return g.reason
	}
	g.sent++
	if g.budget > 0 && g.sent >= g.budget {
		g.closeLocked(fmt.Errorf("%w: %d %s made", ErrRequestBudget, g.sent, plural(g.sent, "request")))
	}
	return nil
}

// close closes the gate for reason, unless it is closed already, and
// reports whether this call closed it.
func (g *gate) close(reason error) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.reason != nil {
		return false
	}
	g.closeLocked(reason)
	return true
}

func (g *gate) closeLocked(reason error) {
	g.reason = reason
	close(g.closed)
	if g.onClose != nil {
		g.onClose(reason)
	}
}

// err returns why the gate is closed, or nil while it is open.
func (g *gate) err() error {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reason
}

// done is closed when the gate closes.
func (g *gate) done() <-chan struct{} { return g.closed }
