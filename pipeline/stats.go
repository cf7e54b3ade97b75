package pipeline

import (
	"fmt"
	"sync/atomic"
	"time"
)

// StageStats is a snapshot of one stage's counters.
type StageStats struct {
	Name    string
	Workers int
	// In counts items the stage received (for a source: items it emitted);
	// Out counts items it passed on; Errors counts items that failed.
	In, Out, Errors int64
	// Busy is the time spent inside the stage function, summed over workers.
	Busy time.Duration
	// WaitIn is the time the stage had a free worker but no input.
	WaitIn time.Duration
	// WaitOut is the time spent blocked sending to the next stage, summed
	// over workers: the next stage was too slow.
	WaitOut time.Duration
	// Elapsed is the stage's wall time so far, from start to finish.
	Elapsed time.Duration
	Done    bool
}

// BusyShare is the fraction of the stage's worker capacity spent working:
// Busy / (Elapsed × Workers), between 0 and 1.
func (s StageStats) BusyShare() float64 {
	capacity := float64(s.Elapsed) * float64(s.Workers)
	if capacity <= 0 {
		return 0
	}
	return min(float64(s.Busy)/capacity, 1)
}

// Bottleneck names the stage that limited a run, in one sentence: the busiest
// stage, and how idle the least busy other stage was, e.g.
// "fetch was the bottleneck: 94% busy; write idle 80%".
func Bottleneck(stats []StageStats) string {
	if len(stats) == 0 {
		return "no stages ran"
	}
	busiest, idlest := stats[0], stats[0]
	for _, s := range stats[1:] {
		if s.BusyShare() > busiest.BusyShare() {
			busiest = s
		}
		if s.BusyShare() < idlest.BusyShare() {
			idlest = s
		}
	}
	sentence := fmt.Sprintf("%s was the bottleneck: %.0f%% busy", busiest.Name, 100*busiest.BusyShare())
	if idlest.Name != busiest.Name {
		sentence += fmt.Sprintf("; %s idle %.0f%%", idlest.Name, 100*(1-idlest.BusyShare()))
	}
	return sentence
}

// counters are a stage's live, lock-free counters.
type counters struct {
	name    string
	workers int
	start   time.Time // set by Wait, under the pipeline's lock

	in, out, errors       atomic.Int64
	busy, waitIn, waitOut atomic.Int64 // nanoseconds
	elapsed               atomic.Int64 // nanoseconds, set when done
	done                  atomic.Bool
}

func (c *counters) finish() {
	c.elapsed.Store(int64(time.Since(c.start)))
	c.done.Store(true)
}

func (c *counters) snapshot() StageStats {
	s := StageStats{
		Name:    c.name,
		Workers: c.workers,
		In:      c.in.Load(),
		Out:     c.out.Load(),
		Errors:  c.errors.Load(),
		Busy:    time.Duration(c.busy.Load()),
		WaitIn:  time.Duration(c.waitIn.Load()),
		WaitOut: time.Duration(c.waitOut.Load()),
		Done:    c.done.Load(),
	}
	switch {
	case s.Done:
		s.Elapsed = time.Duration(c.elapsed.Load())
	case !c.start.IsZero():
		s.Elapsed = time.Since(c.start)
	}
	return s
}
