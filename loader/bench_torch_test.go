package loader

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/loader/loadertest"
)

// BenchmarkVsPyTorch measures, in one run on the same machine, the samples
// per second of this loader and of PyTorch's DataLoader (best of
// num_workers 0, 1 and 2, see testdata/bench_torch.py) over the same
// windows of the same data. It reports both and their ratio. It skips when
// no python3 with numpy and torch is installed.
//
//	go test -run '^$' -bench VsPyTorch -benchtime 1x ./loader/
func BenchmarkVsPyTorch(b *testing.B) {
	py := loadertest.Python(b, "numpy", "torch")
	const window, horizon, batch, epochs = 32, 1, 256, 2
	dir := b.TempDir()
	loadertest.WriteSample(b, dir, loadertest.Parquet, benchSymbols[:10]...)
	ds, err := Open(dir, DatasetConfig{Features: []string{"open", "high", "low", "close", "volume"}, Target: LogReturn})
	if err != nil {
		b.Fatal(err)
	}
	l, err := New(ds, Config{Window: window, Horizon: horizon, BatchSize: batch, Shuffle: true, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	exportForPython(b, ds, l, dir)

	for b.Loop() {
		out, err := exec.Command(py, filepath.Join("testdata", "bench_torch.py"), dir,
			itoa(window), itoa(horizon), itoa(batch), itoa(epochs)).Output()
		if err != nil {
			b.Fatalf("bench_torch.py: %v", err)
		}
		var torch struct {
			SamplesPerSec float64 `json:"samples_per_sec"`
		}
		if err := json.Unmarshal(out, &torch); err != nil {
			b.Fatalf("bench_torch.py printed %q: %v", out, err)
		}

		start, n := time.Now(), 0
		for time.Since(start) < time.Second {
			bt, err := l.Next(context.Background())
			if err == io.EOF {
				continue
			}
			if err != nil {
				b.Fatal(err)
			}
			n += bt.Size
			bt.Release()
		}
		goRate := float64(n) / time.Since(start).Seconds()
		b.ReportMetric(goRate, "go-samples/s")
		b.ReportMetric(torch.SamplesPerSec, "torch-samples/s")
		b.ReportMetric(goRate/torch.SamplesPerSec, "x-faster")
		b.Logf("torch: %s", out)
	}
}

// exportForPython writes the dataset's rows and the loader's window starts
// as the .npy files bench_torch.py reads.
func exportForPython(b *testing.B, ds *Dataset, l *Loader, dir string) {
	var x, y, starts []float32
	offset := make([]int, len(ds.series))
	for i, s := range ds.series {
		offset[i] = len(y)
		x = append(x, s.x...)
		y = append(y, s.y...)
	}
	for _, smp := range l.samples {
		starts = append(starts, float32(offset[smp.series]+int(smp.start)))
	}
	nf := len(ds.cfg.Features)
	for _, a := range []struct {
		name  string
		shape []int
		data  []float32
	}{
		{"x.npy", []int{len(y), nf}, x},
		{"y.npy", []int{len(y)}, y},
		{"starts.npy", []int{len(starts)}, starts},
	} {
		f, err := os.Create(filepath.Join(dir, a.name))
		if err != nil {
			b.Fatal(err)
		}
		if err := NewNPYWriter(f).WriteArray(a.shape, a.data); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
