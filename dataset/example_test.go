package dataset_test

import (
	"fmt"
	"log"
	"os"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
)

func ExampleManifest() {
	dir, err := os.MkdirTemp("", "sinks-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)

	m, err := dataset.NewManifest(dir, dataset.Run{Started: time.Now(), Settings: dataset.Settings{Source: "sample"}}, []string{"AAPL", "MSFT", "XXXX"})
	if err != nil {
		log.Fatal(err)
	}
	m.RecordOK("AAPL", dataset.File{Path: "AAPL.parquet", Rows: 5217, Bytes: 109876, SHA256: "9f2c"}, 1)
	m.RecordFailure("XXXX", 4, fmt.Errorf("fetch XXXX: unknown symbol"))
	m.Finish(time.Now())

	loaded, err := dataset.LoadManifest(dir)
	if err != nil {
		log.Fatal(err)
	}
	for _, e := range loaded.Entries() {
		line := fmt.Sprintf("%s %s %d", e.Symbol, e.Status, e.Rows)
		if e.Reason != "" {
			line += " (" + e.Reason + ")"
		}
		fmt.Println(line)
	}
	fmt.Printf("%+v\n", loaded.Totals())
	// Output:
	// AAPL ok 5217
	// MSFT pending 0
	// XXXX failed 0 (fetch XXXX: unknown symbol)
	// {Symbols:3 OK:1 Failed:1 Skipped:0 Pending:1 CarriedOver:0 Rows:5217 Bytes:109876}
}

func ExampleFileName() {
	for _, s := range []string{"BRK.B", "^GSPC", "../etc/passwd"} {
		name, _ := dataset.FileName(s)
		fmt.Println(name)
	}
	// Output:
	// BRK.B
	// %5EGSPC
	// %2E.%2Fetc%2Fpasswd
}
