package alphavantage_test

import (
	"context"
	"fmt"
	"log"
	"log/slog"
	"math"
	"net"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ExampleNew fetches a series from the Alpha
// Vantage-compatible server, as it would from the live service.
func ExampleNew() {
	srv, err := avserver.New(avserver.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())

	av, err := alphavantage.New(alphavantage.Config{
		BaseURL:  "http://" + ln.Addr().String() + "/query",
		APIKey:   "demo",
		DataType: "csv",
		Rate:     math.Inf(1), // a local server needs no rate limit
	})
	if err != nil {
		log.Fatal(err)
	}
	defer av.Close()

	s, err := av.Fetch(context.Background(), "IBM", memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Record.Release()
	fmt.Println(s.Symbol, s.Record.NumRows(), "rows", s.Meta["function"], s.Meta["output_size"])

	_, err = av.Fetch(context.Background(), "NO_SUCH", memory.DefaultAllocator)
	fmt.Println(err)
	// Output:
	// IBM 100 rows TIME_SERIES_DAILY compact
	// fetch NO_SUCH: alpha vantage: invalid call (unknown symbol?): "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."
}

// ExampleClient_Stop shows a job's graceful stop reaching the client: no
// request starts after it.
func ExampleClient_Stop() {
	srv, err := avserver.New(avserver.Config{})
	if err != nil {
		log.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	go srv.Serve(ln)
	defer srv.Shutdown(context.Background())
	av, err := alphavantage.New(alphavantage.Config{
		BaseURL: "http://" + ln.Addr().String() + "/query",
		APIKey:  "demo",
		Logger:  slog.New(slog.DiscardHandler),
	})
	if err != nil {
		log.Fatal(err)
	}
	defer av.Close()

	av.Stop()
	_, err = av.Fetch(context.Background(), "IBM", memory.DefaultAllocator)
	fmt.Println(err)
	fmt.Println(srv.Stats().Requests, "requests")
	// Output:
	// fetch IBM: not fetched: the run was stopped
	// 0 requests
}
