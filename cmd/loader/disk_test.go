package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// fullDisk is a sink whose disk fills after room writes: later writes
// fail as the file system would, with ENOSPC.
type fullDisk struct {
	fetch.Sink
	room atomic.Int64
}

func (d *fullDisk) Write(ctx context.Context, s sources.Series) (dataset.File, error) {
	if d.room.Add(-1) < 0 {
		return dataset.File{}, fmt.Errorf("write %s to %s.parquet: write .%[2]s.parquet.tmp-1: %w", s.Symbol, s.Symbol, syscall.ENOSPC)
	}
	return d.Sink.Write(ctx, s)
}

// TestFullDiskMessage fills the disk after a few files, through the sink,
// and checks the one message that says so, the grouped line in the
// report, and a manifest true to every symbol.
func TestFullDiskMessage(t *testing.T) {
	defer func(old func(sinks.Options) (fetch.Sink, error)) { openSink = old }(openSink)
	openSink = func(opts sinks.Options) (fetch.Sink, error) {
		w, err := sinks.New(opts)
		if err != nil {
			return nil, err
		}
		d := &fullDisk{Sink: w}
		d.room.Store(3)
		return d, nil
	}
	out := t.TempDir()
	syms := symbolList("D", 12)
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", strings.Join(syms, ","), "--out", out, "--concurrency", "1", "--quiet")
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want := "loader: the disk holding " + out + " is full: 9 symbols were not written (no space left on device); free some space and run again with --resume\n"
	if !strings.HasSuffix(stderr, want) || strings.Count(stderr, "no space") != 1 {
		t.Errorf("stderr %q, want it to end with %q alone", stderr, want)
	}
	// Which of the 9 failed writing, and which were not fetched once the
	// disk was full, depends on the order the stages run in.
	if !regexp.MustCompile(`symbols? failed: the disk is full \(no space left on device\)`).MatchString(stdout) {
		t.Errorf("stdout:\n%s", stdout)
	}
	if ok := checkConsistent(t, out, syms); ok != 3 {
		t.Errorf("manifest lists %d ok, want 3", ok)
	}
	for _, e := range readManifest(t, out).Symbols {
		if e.Status == "pending" || e.Status == "skipped" && !strings.Contains(e.Reason, "no space left on device") {
			t.Errorf("%s is %s in the manifest (%s)", e.Symbol, e.Status, e.Reason)
		}
	}
}

// TestFullDiskKeepsTheManifestTrue fills a real, tiny file system (a tmpfs
// of 140 KiB: the manifest's reserve and about ten files of half a year of
// sample data) with a run of 100 symbols, whose final manifest does not
// fit in what the files leave, and checks that the manifest still accounts
// for every symbol truthfully. It needs the right to mount, as root in a
// container has.
func TestFullDiskKeepsTheManifestTrue(t *testing.T) {
	dir := mountTmpfs(t, "size=140k")
	out := filepath.Join(dir, "out")
	syms := symbolList("F", 100)
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", strings.Join(syms, ","), "--start", "2025-07-01", "--out", out, "--quiet")
	if code != exitFailure {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "loader: the disk holding "+out+" is full") || strings.Count(stderr, "\n") > 2 {
		t.Errorf("stderr: want one message saying the disk is full:\n%s", stderr)
	}
	if !strings.Contains(stdout, "symbols failed: the disk is full (no space left on device)") {
		t.Errorf("stdout:\n%s", stdout)
	}
	ok := 0
	m := readManifest(t, out)
	for _, e := range m.Symbols {
		path := filepath.Join(out, e.Symbol+".parquet")
		switch e.Status {
		case "ok":
			ok++
			data, err := os.ReadFile(path)
			sum := sha256.Sum256(data)
			if err != nil || hex.EncodeToString(sum[:]) != e.SHA256 {
				t.Errorf("%s is ok in the manifest, but its file: %v", e.Symbol, err)
			}
		case "failed", "skipped": // skipped: not fetched once the disk was full
			if _, err := os.Stat(path); !os.IsNotExist(err) {
				t.Errorf("%s %s in the manifest, but has a file", e.Symbol, e.Status)
			}
		default:
			t.Fatalf("%s is %s: the manifest is not true", e.Symbol, e.Status)
		}
	}
	if len(m.Symbols) != len(syms) || ok == 0 || ok == len(syms) {
		t.Fatalf("%d of %d symbols listed, %d ok: the disk did not fill as planned", len(m.Symbols), len(syms), ok)
	}
}

// TestReadOnlyOutput checks that an output directory that cannot be
// written is a setup error found before the first request: exit 2, one
// message naming --out, and no report.
func TestReadOnlyOutput(t *testing.T) {
	dir := readOnlyDir(t)
	code, stdout, stderr := runCLI(t, "fetch", "--symbols", "IBM", "--out", dir)
	if code != exitUsage || !strings.Contains(stderr, "loader: --out "+dir+": output directory not writable") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if stdout != "" || strings.Contains(stderr, "SYNTHETIC") {
		t.Errorf("output before the error: stdout %q, stderr %q", stdout, stderr)
	}
}

// readOnlyDir returns a directory the test process cannot write: one with
// mode 0555, or for root, whom modes do not stop, a read-only mount.
func readOnlyDir(t *testing.T) string {
	t.Helper()
	if os.Geteuid() != 0 {
		dir := t.TempDir()
		if err := os.Chmod(dir, 0o555); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Chmod(dir, 0o755) })
		return dir
	}
	return mountTmpfs(t, "size=64k,ro")
}
