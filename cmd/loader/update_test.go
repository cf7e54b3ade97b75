package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// recentDay is a business day three weeks ago: a server whose history
// ends there, then goes on a few days, leaves a dataset within the
// compact window of today.
func recentDay() time.Time {
	y, m, d := time.Now().AddDate(0, 0, -21).Date()
	day := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	for day.Weekday() == time.Saturday || day.Weekday() == time.Sunday {
		day = day.AddDate(0, 0, -1)
	}
	return day
}

// startServer serves the sample data through recentDay on 127.0.0.1, and
// sets the API key the loader reads.
func startUpdateServer(t *testing.T) (*avserver.Server, string) {
	t.Helper()
	t.Setenv("ALPHAVANTAGE_API_KEY", "update-test-key")
	return avtest.Start(t, avserver.Config{LastDay: recentDay()})
}

// avFetch is `loader fetch` of symbols from url into out, full histories.
func avFetch(url, out, symbols string, extra ...string) []string {
	return append([]string{"fetch", "--source", "alphavantage", "--base-url", url, "--outputsize", "full", "--rate", "0",
		"--symbols", symbols, "--out", out, "--quiet"}, extra...)
}

// counted runs the loader command line and returns the compact and full
// requests the server answered meanwhile.
func counted(t *testing.T, srv *avserver.Server, args ...string) (code int, stdout, stderr string, compact, full int64) {
	t.Helper()
	before := srv.Stats()
	code, stdout, stderr = runCLI(t, args...)
	after := srv.Stats()
	return code, stdout, stderr, after.Compact - before.Compact, after.Full - before.Full
}

func TestUpdateAppendsAndRefetches(t *testing.T) {
	srv, url := startUpdateServer(t)
	out := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCLI(t, avFetch(url, out, "AAPL,MSFT,IBM", "--adjusted", "--transform", "returns,sma:5")...); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	srv.Advance(5)
	code, stdout, stderr, compact, full := counted(t, srv, "update", out, "--base-url", url, "--rate", "0")
	if code != exitOK {
		t.Fatalf("update: exit %d\n%s", code, stderr)
	}
	for _, sym := range []string{"AAPL", "MSFT", "IBM"} {
		if !regexp.MustCompile(`(?m)^` + sym + `\s.*\(appended 5 bars\)$`).MatchString(stdout) {
			t.Errorf("report lacks %s appended 5 bars:\n%s", sym, stdout)
		}
	}
	if compact != 3 || full != 0 {
		t.Errorf("update made %d compact and %d full requests, want one compact request per symbol", compact, full)
	}

	srv.AddDividend("MSFT", srv.LastDay().AddDate(0, 0, -7), 0.8)
	srv.Advance(1)
	report := filepath.Join(t.TempDir(), "report.json")
	code, stdout, stderr, compact, full = counted(t, srv, "update", out, "--base-url", url, "--rate", "0", "--symbols", "KO", "--report", report)
	if code != exitOK {
		t.Fatalf("update after a dividend: exit %d\n%s", code, stderr)
	}
	if compact != 3 || full != 2 {
		t.Errorf("%d compact and %d full requests: want a compact one per stored symbol, and full ones for MSFT's refetch and the new KO", compact, full)
	}
	if !regexp.MustCompile(`(?m)^MSFT\s.*\(refetched: adjusted_close of \S+ changed from \S+ to \S+\)$`).MatchString(stdout) ||
		!regexp.MustCompile(`(?m)^AAPL\s.*\(appended 1 bar\)$`).MatchString(stdout) || !strings.Contains(stdout, "4 symbols (4 ok") {
		t.Errorf("report:\n%s", stdout)
	}
	var rep runReport
	data, _ := os.ReadFile(report)
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatal(err)
	}
	outcomes := map[string]string{}
	for _, s := range rep.Symbols {
		outcomes[s.Symbol] = string(s.Outcome)
	}
	if want := map[string]string{"AAPL": "appended", "MSFT": "refetched", "IBM": "appended", "KO": "fetched"}; !equal(outcomes, want) {
		t.Errorf("--report outcomes %v, want %v", outcomes, want)
	}
	// The update equals a fresh fetch, value for value.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if code, _, stderr := runCLI(t, avFetch(url, fresh, "AAPL,MSFT,IBM,KO", "--adjusted", "--transform", "returns,sma:5")...); code != exitOK {
		t.Fatalf("fresh fetch: exit %d\n%s", code, stderr)
	}
	for _, sym := range []string{"AAPL", "MSFT", "IBM", "KO"} {
		mem := newCheckedMem(t)
		got, want := readParquet(t, filepath.Join(out, sym+".parquet"), mem), readParquet(t, filepath.Join(fresh, sym+".parquet"), mem)
		if !sameRecords(got, want) {
			t.Errorf("%s: the updated file differs from a fresh fetch", sym)
		}
		got.Release()
		want.Release()
	}
}

func equal(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

func TestFetchIntoDatasetWithOtherSettings(t *testing.T) {
	srv, url := startUpdateServer(t)
	out := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCLI(t, avFetch(url, out, "AAPL,MSFT")...); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	before := srv.Stats().Requests
	code, _, stderr := runCLI(t, avFetch(url, out, "AAPL,MSFT", "--transform", "sma:5", "--format", "csv", "--start", "2020-01-02")...)
	if code != exitUsage || srv.Stats().Requests != before {
		t.Fatalf("other settings: exit %d after %d requests, want 2 before any\n%s", code, srv.Stats().Requests-before, stderr)
	}
	for _, want := range []string{
		"--transform: the dataset has none, this run asks for sma:5",
		"--start: the dataset has none, this run asks for 2020-01-02",
		"--format: the dataset has parquet, this run asks for csv",
		"--overwrite",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}

	code, _, stderr = runCLI(t, avFetch(url, out, "AAPL,IBM", "--transform", "sma:5", "--format", "csv", "--overwrite")...)
	if code != exitOK {
		t.Fatalf("--overwrite: exit %d\n%s", code, stderr)
	}
	if got, want := dataNames(t, out), []string{"AAPL.csv", "IBM.csv"}; !slices.Equal(got, want) {
		t.Errorf("after --overwrite the dataset holds %v, want %v: the parquet files no longer belong", got, want)
	}
	m, err := dataset.LoadManifest(out)
	if err != nil {
		t.Fatal(err)
	}
	if st := m.Settings(); st.Format != dataset.FormatCSV || st.Transform != "sma:5" || len(m.Entries()) != 2 {
		t.Errorf("manifest after --overwrite: %+v, %d entries", st, len(m.Entries()))
	}
	if code, _, stderr := runCLI(t, avFetch(url, out, "IBM", "--resume", "--overwrite")...); code != exitUsage || !strings.Contains(stderr, "give one") {
		t.Errorf("--resume --overwrite: exit %d, %s", code, stderr)
	}
}

// dataNames lists the names in dir that are not the manifest, the lock
// or hidden.
func dataNames(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	for _, e := range mustReadDir(t, dir) {
		if !dataset.IsSkipped(e.Name()) {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestResumeFetchesOnlyWhatIsMissing requests only the symbols without a
// complete file that matches the settings.
func TestResumeFetchesOnlyWhatIsMissing(t *testing.T) {
	srv, url := startUpdateServer(t)
	out := filepath.Join(t.TempDir(), "data")
	if code, _, stderr := runCLI(t, avFetch(url, out, "AAPL,MSFT,IBM")...); code != exitOK {
		t.Fatalf("fetch: exit %d\n%s", code, stderr)
	}
	os.Remove(filepath.Join(out, "MSFT.parquet"))
	os.WriteFile(filepath.Join(out, "IBM.parquet"), []byte("damaged"), 0o644)
	before := srv.Stats().Requests
	code, stdout, stderr := runCLI(t, avFetch(url, out, "AAPL,MSFT,IBM,KO", "--resume", "--verbose")...)
	if code != exitOK {
		t.Fatalf("--resume: exit %d\n%s", code, stderr)
	}
	if got := srv.Stats().Requests - before; got != 3 {
		t.Errorf("--resume made %d requests, want 3 (MSFT, IBM, KO)", got)
	}
	if !regexp.MustCompile(`(?m)^AAPL\s.*\(kept from an earlier run\)$`).MatchString(stdout) {
		t.Errorf("report:\n%s", stdout)
	}
}

func TestUpdateRefusals(t *testing.T) {
	t.Setenv("ALPHAVANTAGE_API_KEY", "refusal-test-key")
	v1, err := os.ReadFile("../../dataset/testdata/manifest_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		args  []string
		code  int
		want  []string
	}{
		{"no dir", nil, []string{"update"}, exitUsage, []string{"update takes one"}},
		{"missing dir", nil, []string{"update", "DIR/nope"}, exitUsage, []string{"is not a directory"}},
		{"not a dataset", func(*testing.T, string) {}, []string{"update", "DIR"}, exitUsage, []string{"not a dataset", "loader fetch --out DIR"}},
		{"version 1 manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), v1, 0o644)
		}, []string{"update", "DIR"}, exitUsage, []string{"version 1", "--resume keeps its files"}},
		{"corrupt manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`{"manifest_version": 2, "symbols": [`), 0o644)
		}, []string{"update", "DIR"}, exitFailure, []string{"corrupt manifest", "--overwrite"}},
		{"corrupt manifest under fetch", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`garbage`), 0o644)
		}, []string{"fetch", "--source", "sample", "--symbols", "AAPL", "--out", "DIR"}, exitFailure, []string{"corrupt manifest", "loader fetch --overwrite"}},
		{"newer manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`{"manifest_version": 9}`), 0o644)
		}, []string{"fetch", "--source", "sample", "--symbols", "AAPL", "--out", "DIR"}, exitFailure, []string{"newer loader", "--overwrite"}},
		{"no key for an alphavantage dataset", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`{"manifest_version": 2,
				"settings": {"source": "alphavantage", "format": "parquet", "layout": "files", "schema_version": 1}, "symbols": []}`), 0o644)
		}, []string{"update", "DIR", "--api-key-env", "NO_SUCH_KEY_VARIABLE"}, exitUsage, []string{"$NO_SUCH_KEY_VARIABLE"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.setup != nil {
				tt.setup(t, dir)
			}
			before, _ := os.ReadFile(filepath.Join(dir, dataset.ManifestName))
			args := slices.Clone(tt.args)
			for i := range args {
				args[i] = strings.ReplaceAll(args[i], "DIR", dir)
			}
			code, _, stderr := runCLI(t, args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, strings.ReplaceAll(want, "DIR", dir)) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if after, _ := os.ReadFile(filepath.Join(dir, dataset.ManifestName)); !bytes.Equal(after, before) {
				t.Error("a refused run changed the manifest")
			}
		})
	}
	// The dataset that the corrupt manifest stood for can be replaced.
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`garbage`), 0o644)
	if code, _, stderr := runCLI(t, "fetch", "--source", "sample", "--symbols", "AAPL", "--out", dir, "--overwrite", "--quiet"); code != exitOK {
		t.Errorf("--overwrite over a corrupt manifest: exit %d\n%s", code, stderr)
	}
}

// TestSecondWriterExits75 runs a slow fetch in one process and starts a
// second writer on the same directory: it exits at once with status 75,
// naming the first, which finishes undisturbed.
func TestSecondWriterExits75(t *testing.T) {
	bin := testbin.Loader(t)
	url := startSlowServer(t)
	out := t.TempDir()
	var symbols []string
	for i := range 30 {
		symbols = append(symbols, "W"+strconv.Itoa(i))
	}
	first := exec.Command(bin, avFetch(url, out, strings.Join(symbols, ","), "--concurrency", "1")...)
	first.Env = append(os.Environ(), "ALPHAVANTAGE_API_KEY=lock-test-key")
	var firstErr bytes.Buffer
	first.Stderr = &firstErr
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	defer first.Process.Kill()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if data, _ := os.ReadFile(filepath.Join(out, dataset.LockName)); len(data) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the first fetch never took the lock")
		}
		time.Sleep(5 * time.Millisecond)
	}

	for _, args := range [][]string{
		{"update", out, "--base-url", url},
		avFetch(url, out, "W1", "--resume"),
	} {
		second := exec.Command(bin, args...)
		second.Env = first.Env
		start := time.Now()
		stderr, err := second.CombinedOutput()
		var exit *exec.ExitError
		if !errors.As(err, &exit) || exit.ExitCode() != exitTempFail {
			t.Fatalf("%s while another writes: %v, want exit 75\n%s", args[0], err, stderr)
		}
		if took := time.Since(start); took > 5*time.Second {
			t.Errorf("the second writer took %v to give up", took)
		}
		for _, want := range []string{"pid " + strconv.Itoa(first.Process.Pid), "loader fetch", "started " + time.Now().UTC().Format("2006-01-02"), "run again"} {
			if !strings.Contains(string(stderr), want) {
				t.Errorf("%s's message lacks %q: %s", args[0], want, stderr)
			}
		}
	}
	if err := first.Wait(); err != nil {
		t.Fatalf("the first fetch: %v\n%s", err, firstErr.String())
	}
	if ok := checkConsistent(t, out, symbols); ok != len(symbols) {
		t.Errorf("the first fetch ended with %d of %d symbols ok", ok, len(symbols))
	}
}

// newCheckedMem returns an allocator that fails t if anything it allocated
// is left when t ends.
func newCheckedMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// sameRecords reports whether a and b have the same columns, value for
// value.
func sameRecords(a, b arrow.RecordBatch) bool {
	if a.NumCols() != b.NumCols() || a.NumRows() != b.NumRows() {
		return false
	}
	for i := range int(a.NumCols()) {
		if a.ColumnName(i) != b.ColumnName(i) || !array.Equal(a.Column(i), b.Column(i)) {
			return false
		}
	}
	return true
}
