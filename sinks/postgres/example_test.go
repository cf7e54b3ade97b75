package postgres_test

import (
	"context"
	"fmt"
	"log"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks/postgres"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// Loading three symbols of the synthetic sample data into the table prices
// with four connections, then reading one back as an update would. The
// password comes from $PGPASSWORD or ~/.pgpass. It needs a server, so go
// test only compiles it.
func Example() {
	ctx := context.Background()
	const url = "postgres://loader@127.0.0.1:5432/markets"
	sink, err := postgres.Open(ctx, postgres.Options{URL: url, Table: "prices", MaxConns: 4})
	if err != nil {
		log.Fatal(err) // names the server and why, never the password
	}
	report, err := fetch.Run(ctx, fetch.Config{
		Symbols:      []string{"AAPL", "MSFT", "IBM"},
		Source:       sample.Source{},
		Sink:         sink, // Run closes it
		WriteWorkers: 4,
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, res := range report.Results {
		fmt.Println(res.Symbol, res.Status, res.File.Rows, "rows in", res.File.Path)
	}

	reader, err := postgres.Open(ctx, postgres.Options{URL: url, Table: "prices"})
	if err != nil {
		log.Fatal(err)
	}
	defer reader.Close()
	series, err := reader.ReadSeries(ctx, "AAPL", memory.DefaultAllocator)
	if err != nil {
		log.Fatal(err)
	}
	defer series.Record.Release()
	fmt.Println(series.Symbol, series.Record.NumRows(), "rows, fetched at", series.Meta["fetched_at"])
}

func ExampleRedact() {
	fmt.Println(postgres.Redact("postgres://loader:s3cret@db.internal:5432/markets?sslmode=require"))
	// Output: postgres://loader:xxxxx@db.internal:5432/markets?sslmode=require
}
