package torture_test

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// TestCrashConsistency kills `loader fetch --resume` with SIGKILL at
// random moments of a large run, again and again in the same directory
// (emptied whenever a run got to finish).
// After every kill, each final-named file is complete and right and the
// manifest is whole; then one last --resume completes exactly: every
// symbol ok with the served values, files kept from earlier runs
// untouched, only the missing symbols fetched, no temporary file left.
func TestCrashConsistency(t *testing.T) {
	bin := loaderBinary(t)
	srv, url := serveSample(t, avserver.Faults{Latency: 5 * time.Millisecond, Jitter: 30 * time.Millisecond})

	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	for _, format := range []string{"parquet", "arrow", "csv"} {
		t.Run(format, func(t *testing.T) {
			symbols := make([]string, pick(30, 120))
			for i := range symbols {
				symbols[i] = fmt.Sprintf("K%s%03d", strings.ToUpper(format[:1]), i)
			}
			out := t.TempDir()
			args := []string{"fetch", "--source", "alphavantage", "--base-url", url, "--outputsize", "full",
				"--symbols", strings.Join(symbols, ","), "--out", out, "--format", format,
				"--concurrency", "4", "--rate", "0", "--quiet", "--resume"}
			env := []string{"ALPHAVANTAGE_API_KEY=crash-test-key"}

			for kill := range pick(4, 20) {
				if len(okFiles(t, out)) == len(symbols) {
					// Complete: start over, so that the kills land in work.
					if err := errors.Join(os.RemoveAll(out), os.Mkdir(out, 0o755)); err != nil {
						t.Fatal(err)
					}
				}
				cmd := exec.Command(bin, args...)
				cmd.Env = append([]string{"PATH=" + os.Getenv("PATH")}, env...)
				if err := cmd.Start(); err != nil {
					t.Fatal(err)
				}
				wait := time.Duration(10+rng.IntN(600)) * time.Millisecond
				time.Sleep(wait)
				cmd.Process.Signal(syscall.SIGKILL)
				cmd.Wait()
				ok := checkAfterKill(t, out, format)
				t.Logf("kill %d after %v: %d of %d symbols ok", kill, wait, ok, len(symbols))
			}

			kept := okFiles(t, out)
			before := srv.Stats().Requests
			res := runLoader(t, 3*time.Minute, env, args...)
			if res.code != 0 {
				t.Fatalf("final --resume: exit %d\n%s", res.code, tail(res.stderr))
			}
			if fetched, want := srv.Stats().Requests-before, int64(len(symbols)-len(kept)); fetched != want {
				t.Errorf("final --resume made %d requests for the %d symbols not yet ok", fetched, want)
			}
			m, _ := readManifest(t, out)
			if len(m.Symbols) != len(symbols) {
				t.Fatalf("manifest lists %d symbols, want %d", len(m.Symbols), len(symbols))
			}
			for _, e := range m.Symbols {
				if e.Status != "ok" {
					t.Errorf("%s: %s (%s) after the final --resume", e.Symbol, e.Status, e.Reason)
					continue
				}
				if sum, was := kept[e.Symbol]; was && (sum != e.SHA256 || !e.CarriedOver) {
					t.Errorf("%s was complete before the final --resume, but was rewritten", e.Symbol)
				}
				checkFile(t, filepath.Join(out, e.File), e.Symbol, sample.Series(e.Symbol))
			}
			if data, hidden := dataFiles(t, out); len(hidden) > 0 || len(data) != len(symbols) {
				t.Errorf("after the final --resume: %d data files for %d symbols, temporary files %v", len(data), len(symbols), hidden)
			}
		})
	}
}

// checkAfterKill checks what a killed run left in out: every final-named
// data file holds its symbol's whole series, and the manifest, if there
// is one yet, is whole and vouches only for intact files. It returns how
// many symbols the manifest lists as ok.
func checkAfterKill(t *testing.T, out, format string) (ok int) {
	t.Helper()
	data, _ := dataFiles(t, out)
	for _, name := range data {
		sym, found := strings.CutSuffix(name, "."+format)
		if !found {
			t.Errorf("unexpected file %s", name)
			continue
		}
		checkFile(t, filepath.Join(out, name), sym, sample.Series(sym))
	}
	for sym, sum := range okFiles(t, out) {
		b, err := os.ReadFile(filepath.Join(out, sym+"."+format))
		if err != nil {
			t.Errorf("manifest lists %s ok: %v", sym, err)
			continue
		}
		if got := sha256.Sum256(b); hex.EncodeToString(got[:]) != sum {
			t.Errorf("manifest lists %s ok, but its file does not match", sym)
		}
		ok++
	}
	return ok
}

// okFiles returns the SHA-256 of every symbol out's manifest lists as ok.
func okFiles(t *testing.T, out string) map[string]string {
	t.Helper()
	m, _ := readManifest(t, out)
	sums := map[string]string{}
	for _, e := range m.Symbols {
		if e.Status == "ok" {
			sums[e.Symbol] = e.SHA256
		}
	}
	return sums
}
