package torture_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"
)

// fuzzTargets are the fuzz targets CI runs briefly: the decoders, symbol,
// date, timestamp and --transform parsing, Retry-After, the file names symbols
// become, and the reader of written files. Their seed corpora live in each package's testdata/fuzz.
var fuzzTargets = []struct{ pkg, target string }{
	{"./sources/alphavantage", "FuzzDecodeJSON"},
	{"./sources/alphavantage", "FuzzDecodeCSV"},
	{"./symbols", "FuzzNormalize"},
	{"./sources/alphavantage", "FuzzParseWireDate"},
	{"./sources/alphavantage", "FuzzParseWireTimestamp"},
	{"./sources/alphavantage", "FuzzRetryAfter"},
	{"./transform", "FuzzParse"},
	{"./dataset", "FuzzFileName"},
	{"./internal/tablefile", "FuzzDecode"},
}

// TestFuzzBriefly runs every fuzz target for 20,000 executions, a few
// seconds (a million under LOADER_TORTURE=long), so that the one CI command
// fuzzes too. A failure leaves its input in the package's testdata/fuzz,
// where it stays as a regression test.
//
// The budget is a count, not a duration: go1.26's fuzzing coordinator can
// report a spurious "context deadline exceeded" when a -fuzztime duration
// runs out while a worker is mid-input (go.dev/issue/75804, fixed in 1.27).
func TestFuzzBriefly(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go test -fuzz in subprocesses")
	}
	root := moduleRoot(t)
	execs := pick(20_000, 1_000_000)
	for _, ft := range fuzzTargets {
		t.Run(ft.target, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), pick(3*time.Minute, 30*time.Minute))
			defer cancel()
			cmd := exec.CommandContext(ctx, "go", "test", "-run=^$", "-fuzz=^"+ft.target+"$",
				fmt.Sprintf("-fuzztime=%dx", execs), "-parallel=1", ft.pkg)
			cmd.Dir = root
			cmd.Env = os.Environ()
			start := time.Now()
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("go test -fuzz=%s %s: %v\n%s", ft.target, ft.pkg, err, tail(out))
			}
			t.Logf("%s %s: %v", ft.pkg, ft.target, time.Since(start).Round(100*time.Millisecond))
		})
	}
}
