package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/testbin"
)

// startSlowServer serves the sample data on 127.0.0.1 with enough latency
// that a run of many symbols can be interrupted midway.
func startSlowServer(t *testing.T) string {
	t.Helper()
	srv, err := avserver.New(avserver.Config{Faults: avserver.Faults{Latency: 20 * time.Millisecond, Jitter: 40 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Shutdown(context.Background()) })
	return "http://" + ln.Addr().String() + "/query"
}

type manifestDoc struct {
	Symbols []struct {
		Symbol, Status, File, SHA256, Reason string
		Bytes                                int64
		CarriedOver                          bool `json:"carried_over"`
	}
}

func readManifest(t *testing.T, dir string) manifestDoc {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "_manifest.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m manifestDoc
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatalf("manifest is not valid JSON: %v\n%s", err, data)
	}
	return m
}

// checkConsistent asserts what must hold after any interruption: every
// final-named file is complete and has the served values, every ok entry of
// the manifest names an intact file, and every requested symbol is listed.
func checkConsistent(t *testing.T, dir string, symbols []string) (ok int) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") { // the manifest, the lock
			continue
		}
		checkValues(t, filepath.Join(dir, name), strings.TrimSuffix(name, ".parquet"))
	}
	m := readManifest(t, dir)
	listed := map[string]bool{}
	for _, e := range m.Symbols {
		listed[e.Symbol] = true
		if e.Status != "ok" {
			continue
		}
		ok++
		data, err := os.ReadFile(filepath.Join(dir, e.File))
		if err != nil {
			t.Fatalf("manifest lists %s ok but: %v", e.Symbol, err)
		}
		sum := sha256.Sum256(data)
		if hex.EncodeToString(sum[:]) != e.SHA256 || int64(len(data)) != e.Bytes {
			t.Fatalf("manifest entry of %s does not match its file", e.Symbol)
		}
	}
	for _, s := range symbols {
		if !listed[s] {
			t.Fatalf("manifest does not account for %s", s)
		}
	}
	return ok
}

// checkValues reads a written file and compares it with the served series.
func checkValues(t *testing.T, path, symbol string) {
	t.Helper()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	rec := readParquet(t, path, mem)
	defer rec.Release()
	bars := sample.Series(symbol)
	if int(rec.NumRows()) != len(bars) {
		t.Fatalf("%s: %d rows, want %d", path, rec.NumRows(), len(bars))
	}
	closes := rec.Column(5).(*array.Float64)
	volumes := rec.Column(6).(*array.Int64)
	for i, b := range bars {
		if closes.Value(i) != b.Close || volumes.Value(i) != b.Volume {
			t.Fatalf("%s row %d differs from the served series", path, i)
		}
	}
}

// TestInterruptAndResume interrupts a real fetch at random moments, checks
// that what is on disk is complete and truthful each time, resumes, and
// checks the result equals an uninterrupted run.
func TestInterruptAndResume(t *testing.T) {
	bin := testbin.Loader(t)
	url := startSlowServer(t)
	var symbols []string
	for i := range 24 {
		symbols = append(symbols, fmt.Sprintf("T%02d", i))
	}
	args := func(out string, extra ...string) []string {
		return append([]string{"fetch", "--source", "alphavantage", "--base-url", url, "--outputsize", "full",
			"--symbols", strings.Join(symbols, ","), "--out", out, "--concurrency", "3", "--rate", "0", "--quiet"}, extra...)
	}
	env := append(os.Environ(), "ALPHAVANTAGE_API_KEY=interrupt-test-key")
	rng := rand.New(rand.NewPCG(1, 2))

	for round := range 6 {
		doubleSignal := round%3 == 2
		t.Run(fmt.Sprintf("round %d double=%v", round, doubleSignal), func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(bin, args(out)...)
			cmd.Env = env
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			// A signal before the run has begun its dataset would find
			// the process still starting, before its handler: wait for
			// the lock file, then interrupt at a random moment.
			waitForFile(t, filepath.Join(out, dataset.LockName))
			time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond)
			cmd.Process.Signal(syscall.SIGINT)
			if doubleSignal {
				time.Sleep(time.Duration(rng.IntN(20)) * time.Millisecond)
				cmd.Process.Signal(syscall.SIGINT)
			}
			err := cmd.Wait()
			var exit *exec.ExitError
			if err != nil && (!errors.As(err, &exit) || exit.ExitCode() != exitInterrupted) {
				t.Fatalf("interrupted run: %v, want exit 130\n%s", err, stderr.String())
			}
			if strings.Contains(stderr.String(), "interrupt-test-key") {
				t.Fatal("the API key appeared on stderr")
			}
			checkConsistent(t, out, symbols)
			for _, e := range mustReadDir(t, out) {
				if strings.HasPrefix(e.Name(), ".") {
					t.Errorf("temporary file %s left behind after a signal", e.Name())
				}
			}

			resume := exec.Command(bin, args(out, "--resume")...)
			resume.Env = env
			if outText, err := resume.CombinedOutput(); err != nil {
				t.Fatalf("resume: %v\n%s", err, outText)
			}
			if ok := checkConsistent(t, out, symbols); ok != len(symbols) {
				t.Fatalf("after resume %d of %d symbols are ok", ok, len(symbols))
			}
		})
	}
}

// waitForFile waits until path exists, for as long as a process starting
// on a loaded machine may take.
func waitForFile(t *testing.T, path string) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	t.Fatalf("%s did not appear within a minute", path)
}

func mustReadDir(t *testing.T, dir string) []os.DirEntry {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}
