// Package avtest starts the Alpha Vantage-compatible server for tests.
package avtest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// Start serves cfg on 127.0.0.1 and returns the server and its query
// URL. The test's cleanup shuts it down and waits for Serve to return.
func Start(t testing.TB, cfg avserver.Config) (*avserver.Server, string) {
	t.Helper()
	srv, err := avserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
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
	})
	return srv, "http://" + ln.Addr().String() + "/query"
}
