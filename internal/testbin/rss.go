package testbin

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// WatchPeakRSS polls the peak resident memory of process pid (VmHWM in
// /proc, Linux only) until the returned function is called, which returns
// it in bytes, 0 where it could not be read. The rusage of a finished child
// will not do: Linux carries the parent's peak over into it through exec.
func WatchPeakRSS(pid int) func() int64 {
	status := fmt.Sprintf("/proc/%d/status", pid)
	var peak int64
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if data, err := os.ReadFile(status); err == nil {
				for line := range strings.Lines(string(data)) {
					if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
						if kib, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64); err == nil {
							peak = max(peak, kib<<10)
						}
					}
				}
			}
			select {
			case <-stop:
				return
			case <-tick.C:
			}
		}
	}()
	return func() int64 {
		close(stop)
		<-done
		return peak
	}
}
