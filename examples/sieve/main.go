// Command sieve is the CPU-bound fan-out exercise: for every n in 1..N it
// counts the primes <= n with a sieve of Eratosthenes rebuilt from scratch
// for each n, first sequentially and then on conc pools of W workers, and
// prints how the wall time scales with W.
//
// Recomputing the sieve for every n is deliberate: it makes each task pure
// CPU work with no shared state, the shape where adding goroutines should
// help up to the number of cores.
//
//	go run ./examples/sieve -n 50000 -workers 1,2,4,8
package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/sourcegraph/conc/pool"
)

func main() {
	err := run(os.Stdout, os.Args[1:])
	switch {
	case err == nil, errors.Is(err, flag.ErrHelp): // the flag package has printed the help
	default:
		fmt.Fprintln(os.Stderr, "sieve:", err)
		os.Exit(1)
	}
}

// run parses args, runs every variant and writes the comparison table to w.
func run(w io.Writer, args []string) error {
	fs := flag.NewFlagSet("sieve", flag.ContinueOnError)
	n := fs.Int("n", 50_000, "count the primes <= n for every n in 1..`N` (the course's 1,000,000 takes hours: the work grows as N²)")
	workerList := fs.String("workers", "1,2,4,8", "comma-separated pool sizes to compare with the sequential run")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n < 1 {
		return fmt.Errorf("-n must be at least 1, got %d", *n)
	}
	workers, err := parseWorkers(*workerList)
	if err != nil {
		return err
	}

	fmt.Fprintf(w, "counting primes <= n for every n in 1..%d on %d CPUs (GOMAXPROCS %d)\n\n",
		*n, runtime.NumCPU(), runtime.GOMAXPROCS(0))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "variant\tworkers\tseconds\tspeed-up\tCPU seconds\tcores busy\tgoroutines\tOS threads\tchecksum\t")

	var want []int
	var base time.Duration
	report := func(variant, workers string, counts []int, took time.Duration, peak usage) error {
		if want == nil {
			want, base = counts, took
		} else if !slices.Equal(counts, want) {
			return fmt.Errorf("%s with %s workers: counts differ from the sequential run", variant, workers)
		}
		fmt.Fprintf(tw, "%s\t%s\t%.3f\t%.2fx\t%.3f\t%.2f\t%d\t%d\t%d\t\n", variant, workers, took.Seconds(),
			base.Seconds()/took.Seconds(), peak.cpu.Seconds(), peak.cpu.Seconds()/took.Seconds(),
			peak.goroutines, peak.threads, checksum(counts))
		return nil
	}

	var counts []int
	took, peak := watch(func() { counts = countAllSequential(*n) })
	if err := report("sequential", "-", counts, took, peak); err != nil {
		return err
	}
	for _, workers := range workers {
		took, peak := watch(func() { counts = countAllPool(*n, workers) })
		if err := report("conc pool", strconv.Itoa(workers), counts, took, peak); err != nil {
			return err
		}
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprimes <= %d: %d\n", *n, want[*n])
	return nil
}

func parseWorkers(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		w, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || w < 1 {
			return nil, fmt.Errorf("-workers: %q is not a positive integer", f)
		}
		out = append(out, w)
	}
	return out, nil
}

// countPrimes returns how many primes are <= n, with a fresh sieve of
// Eratosthenes.
func countPrimes(n int) int {
	if n < 2 {
		return 0
	}
	composite := make([]bool, n+1)
	count := 0
	for i := 2; i <= n; i++ {
		if composite[i] {
			continue
		}
		count++
		for j := i * i; j <= n; j += i {
			composite[j] = true
		}
	}
	return count
}

// countAllSequential returns counts where counts[n] = countPrimes(n) for n in
// 0..limit, computed one after the other on the calling goroutine.
func countAllSequential(limit int) []int {
	counts := make([]int, limit+1)
	for n := 1; n <= limit; n++ {
		counts[n] = countPrimes(n)
	}
	return counts
}

// countAllPool computes the same counts as countAllSequential with one task
// per n on a conc pool of at most workers goroutines. Each task writes only
// its own slot, so no lock is needed.
func countAllPool(limit, workers int) []int {
	counts := make([]int, limit+1)
	p := pool.New().WithMaxGoroutines(workers)
	// Largest n first: the biggest tasks start early, so no worker is left
	// with a long one while the others idle at the end.
	for n := limit; n >= 1; n-- {
		p.Go(func() { counts[n] = countPrimes(n) })
	}
	p.Wait()
	return counts
}

// timed runs f and returns how long it took: the Go form of the course's
// timer context manager.
func timed(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}

// usage is the most goroutines and OS threads seen while something ran,
// and the CPU time the process used meanwhile.
type usage struct {
	goroutines, threads int
	cpu                 time.Duration
}

// watch runs f under timed while a sampler records the peak number of
// goroutines and OS threads of the process every few milliseconds.
func watch(f func()) (time.Duration, usage) {
	var peakG, peakT atomic.Int64
	sample := func() {
		peakG.Store(max(peakG.Load(), int64(runtime.NumGoroutine()-1))) // minus the sampler
		peakT.Store(max(peakT.Load(), int64(osThreads())))
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			sample()
			select {
			case <-done:
				return
			case <-tick.C:
			}
		}
	})
	cpu := cpuTime()
	took := timed(f)
	cpu = cpuTime() - cpu
	close(done)
	wg.Wait()
	return took, usage{int(peakG.Load()), int(peakT.Load()), cpu}
}

// cpuTime returns the user and system CPU time the process has used, on
// all its threads together.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// osThreads returns the number of OS threads of this process from
// /proc/self/status, or 0 where that file does not exist.
func osThreads() int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "Threads:"); ok {
			n, _ := strconv.Atoi(strings.TrimSpace(v))
			return n
		}
	}
	return 0
}

// checksum folds every count with its position, so a count moved to the
// wrong n changes it too.
func checksum(counts []int) int {
	sum := 0
	for n, c := range counts {
		sum = (sum*31 + n*c) % 1_000_000_007
	}
	return sum
}
