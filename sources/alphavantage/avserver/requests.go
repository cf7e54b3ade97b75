package avserver

import (
	"strings"
	"sync"
)

// requestCounts counts the requests that arrived by symbol and month.
type requestCounts struct {
	mu sync.Mutex
	n  map[[2]string]int64
}

func (c *requestCounts) add(symbol, month string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = make(map[[2]string]int64)
	}
	c.n[[2]string{symbol, month}]++
}

// Requests returns how many requests for symbol (in any case) and month
// ("YYYY-MM" as the month parameter gave it; "" for requests without one)
// arrived at /query, whatever the answer: data, a refusal or an injected
// fault. A test counts with it what a job cost per symbol and month.
func (s *Server) Requests(symbol, month string) int64 {
	c := &s.perQuery
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[[2]string{strings.ToUpper(symbol), month}]
}
