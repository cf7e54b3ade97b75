// The Python examples are exercised from Go: train.py must train over
// goloader.DataLoader with a falling loss, and stream.py must read every
// batch of the npy stream of `loader batches --emit npy` (written by the
// same loader.NPYWriter) intact.
package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// emitDirEnv makes the test binary act as the Go side of the pipe: it
// writes the npy stream of the files in that directory to stdout and exits.
const emitDirEnv = "GOLOADER_TEST_EMIT_DIR"

func TestMain(m *testing.M) {
	if dir := os.Getenv(emitDirEnv); dir != "" {
		if _, err := emit(dir, os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	goleak.VerifyTestMain(m, goleak.Cleanup(func(int) { testbin.Remove() }))
}

// streamSummary is what both sides count.
type streamSummary struct {
	batches, samples int
	xsum             float64
}

// emit writes two epochs of batches over dir to w, as `loader batches
// --emit npy` does, and returns what it wrote.
func emit(dir string, w io.Writer) (streamSummary, error) {
	var s streamSummary
	ds, err := loader.Open(dir, loader.DatasetConfig{Features: []string{"close", loader.LogReturn}, Normalize: true})
	if err != nil {
		return s, err
	}
	l, err := loader.New(ds, loader.Config{Window: 16, Horizon: 2, BatchSize: 100, Shuffle: true, Seed: 3})
	if err != nil {
		return s, err
	}
	defer l.Close()
	bw := bufio.NewWriter(w)
	nw := loader.NewNPYWriter(bw)
	for range 2 {
		for {
			b, err := l.Next(context.Background())
			if err == io.EOF {
				break
			}
			if err != nil {
				return s, err
			}
			s.batches++
			s.samples += b.Size
			for _, v := range b.X {
				s.xsum += float64(v)
			}
			err = nw.WriteBatch(b)
			b.Release()
			if err != nil {
				return s, err
			}
		}
	}
	return s, bw.Flush()
}

var summaryLine = regexp.MustCompile(`read (\d+) batches, (\d+) samples, sum of X (\S+)`)

func parseSummary(t *testing.T, out []byte) streamSummary {
	t.Helper()
	m := summaryLine.FindSubmatch(out)
	if m == nil {
		t.Fatalf("stream.py printed no summary:\n%s", out)
	}
	var s streamSummary
	s.batches, _ = strconv.Atoi(string(m[1]))
	s.samples, _ = strconv.Atoi(string(m[2]))
	s.xsum, _ = strconv.ParseFloat(string(m[3]), 64)
	return s
}

func checkSummary(t *testing.T, got, want streamSummary) {
	t.Helper()
	if got.batches != want.batches || got.samples != want.samples {
		t.Errorf("Python read %d batches, %d samples; Go wrote %d, %d", got.batches, got.samples, want.batches, want.samples)
	}
	// Python prints the sum to 7 significant digits.
	if d := got.xsum - want.xsum; d > 1e-5*max(1, abs(want.xsum)) || -d > 1e-5*max(1, abs(want.xsum)) {
		t.Errorf("Python's sum of X %g, Go's %g", got.xsum, want.xsum)
	}
}

func abs(x float64) float64 { return max(x, -x) }

func TestStreamReadsStdin(t *testing.T) {
	py := loadertest.Python(t, "numpy")
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "MSFT")

	cmd := exec.Command(py, "stream.py")
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan streamSummary, 1)
	go func() {
		defer in.Close()
		s, err := emit(dir, in)
		if err != nil {
			t.Error(err)
		}
		done <- s
	}()
	out, err := cmd.CombinedOutput()
	want := <-done
	if err != nil {
		t.Fatalf("stream.py: %v\n%s", err, out)
	}
	checkSummary(t, parseSummary(t, out), want)
}

func TestStreamSpawnsTheLoader(t *testing.T) {
	py := loadertest.Python(t, "numpy")
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Arrow, "GOOGL")
	want, err := emit(dir, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(py, "stream.py", "--", self)
	cmd.Env = append(os.Environ(), emitDirEnv+"="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("stream.py: %v\n%s", err, out)
	}
	checkSummary(t, parseSummary(t, out), want)
}

var trainLoss = regexp.MustCompile(`(?m)^(untrained|epoch \d+) +train loss (\S+)`)

// TestTrainLossFalls runs train.py over goloader.DataLoader: the training
// loss of the last epoch must be below the untrained model's and the first
// epoch's.
func TestTrainLossFalls(t *testing.T) {
	py := loadertest.Python(t, "numpy", "torch")
	lib := testbin.Library(t)
	dir := t.TempDir()
	loadertest.WriteSample(t, dir, loadertest.Parquet, "AAPL", "GOOGL", "MSFT")
	cmd := exec.Command(py, "train.py", "--in", dir, "--epochs", "8")
	cmd.Env = append(os.Environ(), "GOLOADER_LIB="+lib, "PYTHONPATH="+filepath.Join(testbin.ModuleRoot(t), "python"),
		"PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("train.py: %v\n%s", err, out)
	}
	var losses []float64
	for _, m := range trainLoss.FindAllSubmatch(out, -1) {
		v, err := strconv.ParseFloat(string(m[2]), 64)
		if err != nil {
			t.Fatalf("train.py printed loss %q: %v", m[2], err)
		}
		losses = append(losses, v)
	}
	if len(losses) != 9 {
		t.Fatalf("train.py printed %d train losses, want the untrained one and 8 epochs':\n%s", len(losses), out)
	}
	if last := losses[8]; last >= losses[0] || last >= losses[1] {
		t.Errorf("train loss did not fall: untrained %.4f, epoch 1 %.4f, epoch 8 %.4f\n%s", losses[0], losses[1], last, out)
	}
}
