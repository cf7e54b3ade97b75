// Package avtest starts the Alpha Vantage-compatible server for tests: on
// a loopback socket (Start), or in memory (StartInMemory), where a test
// inside a testing/synctest bubble can run hours of the client's waits
// and the server's limits in an instant.
package avtest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttputil"
)

// InMemoryURL is the query URL of a server started by StartInMemory. Its
// host is never looked up: the dialer StartInMemory returns ignores it.
const InMemoryURL = "http://avserver.test/query"

func init() {
	// fasthttp starts the ticker of its Date header once per process, on
	// the first answer it writes, and never stops it. Started by a server
	// inside a synctest bubble, it would belong to the bubble and outlive
	// it, which synctest reports as a deadlock: start it here, outside.
	var h fasthttp.ResponseHeader
	_ = h.AppendBytes(nil)
}

// Start serves cfg on 127.0.0.1 and returns the server and its query
// URL. The test's cleanup shuts it down and waits for Serve to return.
func Start(t testing.TB, cfg avserver.Config) (*avserver.Server, string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return serve(t, cfg, ln, false), "http://" + ln.Addr().String() + "/query"
}

// StartInMemory serves cfg on an in-memory listener and returns the server
// and a dialer that connects to it, whatever the address; the client's
// URL is InMemoryURL. No socket is involved, so the server and its
// clients can run inside a testing/synctest bubble, and StartInMemory is
// meant to be called from within one: the test's cleanup shuts the server
// down, then sleeps a minute of the bubble's time, so that fasthttp's
// cleaners of idle connections and workers notice they have nothing left
// and exit before the bubble ends (outside a bubble, that is a real
// minute).
func StartInMemory(t testing.TB, cfg avserver.Config) (*avserver.Server, fasthttp.DialFunc) {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := serve(t, cfg, ln, true)
	return srv, func(string) (net.Conn, error) { return ln.Dial() }
}

// ServeInMemory is StartInMemory for a handler of the test's own: for
// answers the fake server does not give.
func ServeInMemory(t testing.TB, h fasthttp.RequestHandler) fasthttp.DialFunc {
	t.Helper()
	ln := fasthttputil.NewInmemoryListener()
	srv := &fasthttp.Server{Handler: h, CloseOnShutdown: true}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		time.Sleep(time.Minute)
	})
	return func(string) (net.Conn, error) { return ln.Dial() }
}

func serve(t testing.TB, cfg avserver.Config, ln net.Listener, inMemory bool) *avserver.Server {
	t.Helper()
	srv, err := avserver.New(cfg)
	if err != nil {
		ln.Close()
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := srv.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
		if inMemory {
			time.Sleep(time.Minute)
		}
	})
	return srv
}
