package avserver

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"sync"
	"time"
)

// Faults are the failures a Server injects, for demos and tests. Each
// request draws at most one of the shared faults: the shares are
// probabilities in [0, 1] that add up to at most 1.
//
// Draws are deterministic: the n-th request for a given query (function,
// symbol, output size, data type) gets the same fault and latency in every
// run with the same Seed, however requests for other queries interleave. A
// client that retries each symbol in turn therefore meets the same faults
// every time.
type Faults struct {
	// Latency delays every answer; Jitter adds up to that much more,
	// drawn uniformly.
	Latency, Jitter time.Duration
	// Fail503 is the share of answers that are HTTP 503.
	Fail503 float64
	// Fail429 is the share of answers that are HTTP 429 with a
	// Retry-After of RetryAfter (whole seconds, rounded up).
	Fail429    float64
	RetryAfter time.Duration
	// RateLimitNote is the share of answers that are the service's
	// per-minute rate-limit Note (HTTP 200).
	RateLimitNote float64
	// Truncate is the share of answers whose body stops halfway: the
	// Content-Length promises the whole body, then the connection closes.
	Truncate float64
	// Seed selects the sequence of draws.
	Seed uint64
}

// Validate reports the first share or duration out of range.
func (f Faults) Validate() error {
	shares := []struct {
		name  string
		value float64
	}{{"503 share", f.Fail503}, {"429 share", f.Fail429}, {"rate-limit note share", f.RateLimitNote}, {"truncate share", f.Truncate}}
	sum := 0.0
	for _, s := range shares {
		if !(s.value >= 0 && s.value <= 1) {
			return fmt.Errorf("faults: %s %v: want a number between 0 and 1", s.name, s.value)
		}
		sum += s.value
	}
	if sum > 1 {
		return fmt.Errorf("faults: shares add up to %v: want at most 1", sum)
	}
	if f.Latency < 0 || f.Jitter < 0 || f.RetryAfter < 0 {
		return errors.New("faults: latency, jitter and retry-after must not be negative")
	}
	return nil
}

// fault is the outcome of one draw.
type fault int

const (
	faultNone fault = iota
	fault503
	fault429
	faultNote
	faultTruncate
)

// maxFaultQueries bounds the per-query request counters: past it they
// start over, so a long-running server's memory stays flat.
const maxFaultQueries = 1 << 16

// faultDraws hands out the deterministic draws of Faults.
type faultDraws struct {
	Faults
	mu   sync.Mutex
	seen map[string]uint64 // requests so far, per query
}

func newFaultDraws(f Faults) *faultDraws {
	return &faultDraws{Faults: f, seen: make(map[string]uint64)}
}

// draw returns the fault and the latency of the next request for query.
func (d *faultDraws) draw(query string) (fault, time.Duration) {
	d.mu.Lock()
	if len(d.seen) >= maxFaultQueries {
		clear(d.seen)
	}
	n := d.seen[query]
	d.seen[query] = n + 1
	d.mu.Unlock()

	u := d.uniform(query, n, 0)
	latency := d.Latency + time.Duration(d.uniform(query, n, 1)*float64(d.Jitter))
	for _, c := range []struct {
		share float64
		fault fault
	}{{d.Fail503, fault503}, {d.Fail429, fault429}, {d.RateLimitNote, faultNote}, {d.Truncate, faultTruncate}} {
		if u < c.share {
			return c.fault, latency
		}
		u -= c.share
	}
	return faultNone, latency
}

// uniform returns a number in [0, 1) determined by the seed, the query,
// the request number n and which draw of that request it is.
func (d *faultDraws) uniform(query string, n uint64, which byte) float64 {
	h := fnv.New64a()
	var b [17]byte
	binary.LittleEndian.PutUint64(b[0:], d.Seed)
	binary.LittleEndian.PutUint64(b[8:], n)
	b[16] = which
	h.Write(b[:])
	h.Write([]byte(query))
	return float64(mix64(h.Sum64())>>11) / (1 << 53)
}

// mix64 is the splitmix64 finaliser: FNV's low bits are poorly mixed.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ x>>31
}
