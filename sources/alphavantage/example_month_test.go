package alphavantage_test

import (
	"context"
	"fmt"
	"log"
	"math"
	"net"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// ExampleClient_FetchMonth fetches a month of 5-minute bars, one request,
// from the Alpha Vantage-compatible server. Its timestamps are instants,
// shown here in exchange time: daylight saving time began on 10 March.
func ExampleClient_FetchMonth() {
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
		Kind:    sources.Kind{Function: sources.Intraday, Interval: "5min"},
		Rate:    math.Inf(1), // a local server needs no rate limit
	})
	if err != nil {
		log.Fatal(err)
	}
	defer av.Close()

	march := sources.Month{Year: 2024, Month: time.March}
	s, err := av.FetchMonth(context.Background(), "IBM", march, memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	defer s.Record.Release()
	stamps := s.Record.Column(1).(*array.Timestamp)
	first := time.UnixMicro(int64(stamps.Value(0))).In(sources.Exchange)
	last := time.UnixMicro(int64(stamps.Value(stamps.Len() - 1))).In(sources.Exchange)
	fmt.Println(s.Meta["function"], s.Meta["interval"], s.Meta["month"], s.Record.NumRows(), "bars,", srv.Requests("IBM", "2024-03"), "request")
	fmt.Println(first.Format(time.DateTime+" MST"), "to", last.Format(time.DateTime+" MST"))
	// Output:
	// TIME_SERIES_INTRADAY 5min 2024-03 1638 bars, 1 request
	// 2024-03-01 09:30:00 EST to 2024-03-29 15:55:00 EDT
}
