// Package leaktest fails a package's tests if any goroutine outlives them.
//
// fasthttp keeps housekeeping goroutines of its own that no API stops: the
// server's Date header ticker and the default dialer's address-cache cleaner
// live as long as the process, and the client's and the worker pool's
// cleaners sleep up to 10 s before noticing they have nothing left to do.
// They are ignored; every goroutine serving a connection or running a
// request is not.
package leaktest

import (
	"os"
	"testing"

	"go.uber.org/goleak"
)

// Options are the goleak options every package of loader uses.
func Options() []goleak.Option {
	return []goleak.Option{
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.updateServerDate.func1"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*TCPDialer).tcpAddrsClean"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*Client).mCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*HostClient).connsCleaner"),
		goleak.IgnoreAnyFunction("github.com/valyala/fasthttp.(*workerPool).Start.func2"),
	}
}

// VerifyTestMain runs m's tests, then fails if a goroutine is left behind.
// Call it from TestMain; cleanups run after the check, before the exit.
func VerifyTestMain(m *testing.M, cleanups ...func()) {
	opts := append(Options(), goleak.Cleanup(func(code int) {
		for _, c := range cleanups {
			c()
		}
		os.Exit(code)
	}))
	goleak.VerifyTestMain(m, opts...)
}
