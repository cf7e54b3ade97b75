package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/seed-c7c8f39b/loader/sinks"
)

var started = time.Date(2026, time.January, 2, 3, 4, 5, 0, time.UTC)

func TestManifestConcurrentUpdates(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	const n = 64
	symbols := make([]string, n)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("S%02d", i)
	}
	m, err := dataset.NewManifest(dir, dataset.Run{Started: started, Settings: dataset.Settings{Source: "sample"}}, symbols)
	if err != nil {
		t.Fatal(err)
	}

	// A reader loads the manifest while it is being replaced: every load
	// must see a whole file.
	stop := make(chan struct{})
	var loads sync.WaitGroup
	loads.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := dataset.LoadManifest(dir); err != nil {
				t.Errorf("load during updates: %v", err)
				return
			}
		}
	})

	var wg sync.WaitGroup
	for i, s := range symbols {
		wg.Go(func() {
			var err error
			switch i % 3 {
			case 0:
				err = m.RecordOK(s, dataset.File{Path: s + ".parquet", Rows: 10, Bytes: 100, SHA256: "ab",
					FirstDate: fixture.FirstDay, LastDate: fixture.FirstDay.AddDate(0, 0, 9)}, 1)
			case 1:
				err = m.RecordFailure(s, 4, errors.New("HTTP 503"))
			default:
				err = m.RecordSkip(s, "no rows")
			}
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	close(stop)
	loads.Wait()
	if err := m.Finish(started.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}

	got, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := dataset.Totals{Symbols: n, OK: 22, Failed: 21, Skipped: 21, Rows: 220, Bytes: 2200}
	if tot := got.Totals(); tot != want {
		t.Errorf("totals = %+v, want %+v", tot, want)
	}
	for i, e := range got.Entries() {
		if e.Symbol != symbols[i] {
			t.Fatalf("entry %d is %s, want %s", i, e.Symbol, symbols[i])
		}
	}
	if e, _ := got.Entry("S00"); e.FirstDate != "2024-01-02" || e.LastDate != "2024-01-11" || e.File != "S00.parquet" {
		t.Errorf("S00 = %+v", e)
	}
	if e, _ := got.Entry("S01"); e.Status != dataset.StatusFailed || e.Reason != "HTTP 503" || e.Attempts != 4 {
		t.Errorf("S01 = %+v", e)
	}
	if run := got.Run(); run.Finished == nil || !run.Finished.Equal(started.Add(time.Minute)) || run.Settings.Source != "sample" {
		t.Errorf("run = %+v", run)
	}
	if files := fixture.ListFiles(t, dir); len(files) != 1 || files[0] != dataset.ManifestName {
		t.Errorf("files = %v, want only the manifest", files)
	}
}

func TestNewManifestSavesPending(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	if _, err := dataset.NewManifest(dir, dataset.Run{Started: started}, []string{"AAPL", "MSFT"}); err != nil {
		t.Fatal(err)
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	if tot := m.Totals(); tot.Symbols != 2 || tot.Pending != 2 {
		t.Errorf("totals = %+v, want 2 pending", tot)
	}
}

func TestLoadManifestErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string // "" for no file
		is      error
	}{
		{"missing", "", fs.ErrNotExist},
		{"not json", "{not json", dataset.ErrCorruptManifest},
		{"truncated", `{"manifest_version": 1, "symbols": [`, dataset.ErrCorruptManifest},
		{"newer version", `{"manifest_version": 7}`, dataset.ErrNewerManifest},
		{"no version", `{"symbols": []}`, dataset.ErrCorruptManifest},
		{"version 2 without settings", `{"manifest_version": 2, "symbols": []}`, dataset.ErrCorruptManifest},
		{"unknown format", `{"manifest_version": 2, "settings": {"format": "xls", "layout": "files", "schema_version": 1}}`, dataset.ErrCorruptManifest},
		{"bad start date", `{"manifest_version": 2, "settings": {"format": "csv", "layout": "files", "start": "2020-13-01", "schema_version": 1}}`, dataset.ErrCorruptManifest},
		{"unknown output size", `{"manifest_version": 2, "settings": {"format": "csv", "layout": "files", "output_size": "huge", "schema_version": 1}}`, dataset.ErrCorruptManifest},
		{"file outside the dataset", `{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "ok", "file": "../../etc/passwd"}]}`, dataset.ErrCorruptManifest},
		{"absolute file", `{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "ok", "file": "/etc/passwd"}]}`, dataset.ErrCorruptManifest},
		{"bad fetched_at", `{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "ok", "fetched_at": "yesterday"}]}`, dataset.ErrCorruptManifest},
		{"negative rows", `{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "ok", "rows": -1}]}`, dataset.ErrCorruptManifest},
		{"entry without symbol", `{"manifest_version": 1, "symbols": [{"status": "ok"}]}`, dataset.ErrCorruptManifest},
		{"unknown status", `{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "done"}]}`, dataset.ErrCorruptManifest},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.content != "" {
				if err := os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(tt.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			_, err := dataset.LoadManifest(dir)
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), filepath.Join(dir, dataset.ManifestName)) {
				t.Errorf("LoadManifest = %v, want %v naming the file", err, tt.is)
			}
		})
	}
}

func TestResumable(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	rec := fixture.DailyBars(mem, "AAPL", 20)
	defer rec.Release()

	tests := []struct {
		name string
		// spoil changes the finished run's directory or manifest.
		spoil func(t *testing.T, dir string, m *dataset.Manifest)
		path  string // the path the new run would write
		want  bool
	}{
		{"intact", nil, "AAPL.parquet", true},
		{"missing file", func(t *testing.T, dir string, _ *dataset.Manifest) {
			os.Remove(filepath.Join(dir, "AAPL.parquet"))
		}, "AAPL.parquet", false},
		{"changed byte", func(t *testing.T, dir string, _ *dataset.Manifest) {
			p := filepath.Join(dir, "AAPL.parquet")
			data, err := os.ReadFile(p)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 1
			os.WriteFile(p, data, 0o644)
		}, "AAPL.parquet", false},
		{"wrong size", func(t *testing.T, dir string, _ *dataset.Manifest) {
			f, err := os.OpenFile(filepath.Join(dir, "AAPL.parquet"), os.O_APPEND|os.O_WRONLY, 0)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte{0})
			f.Close()
		}, "AAPL.parquet", false},
		{"replaced by a directory", func(t *testing.T, dir string, _ *dataset.Manifest) {
			p := filepath.Join(dir, "AAPL.parquet")
			os.Remove(p)
			os.Mkdir(p, 0o755)
		}, "AAPL.parquet", false},
		{"failed later", func(t *testing.T, _ string, m *dataset.Manifest) {
			m.RecordFailure("AAPL", 1, errors.New("boom"))
			if err := m.Flush(); err != nil {
				t.Fatal(err)
			}
		}, "AAPL.parquet", false},
		{"other format", nil, "AAPL.csv", false},
		{"other layout", nil, "symbol=AAPL/part-0.parquet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			m, err := dataset.NewManifest(dir, dataset.Run{Started: started}, []string{"AAPL"})
			if err != nil {
				t.Fatal(err)
			}
			f, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec})
			if err != nil {
				t.Fatal(err)
			}
			if err := m.RecordOK("AAPL", f, 2); err != nil {
				t.Fatal(err)
			}
			if err := m.Flush(); err != nil {
				t.Fatal(err)
			}
			if tt.spoil != nil {
				tt.spoil(t, dir, m)
			}
			prev, err := dataset.LoadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			e, ok := prev.Resumable("AAPL", tt.path)
			if ok != tt.want {
				t.Fatalf("Resumable = %v, want %v", ok, tt.want)
			}
			if ok && (e.SHA256 != f.SHA256 || e.Attempts != 2) {
				t.Errorf("Resumable entry = %+v", e)
			}
		})
	}
}

func TestSingleLayoutIsNotResumable(t *testing.T) {
	t.Parallel()
	mem := fixture.NewMem(t)
	dir := t.TempDir()
	if dataset.LayoutSingle.SupportsResume() || !dataset.LayoutHive.SupportsResume() || !dataset.LayoutFiles.SupportsResume() {
		t.Error("SupportsResume: want only the single layout to refuse")
	}
	w, err := sinks.New(sinks.Options{Allocator: mem, Dir: dir, Layout: dataset.LayoutSingle})
	if err != nil {
		t.Fatal(err)
	}
	m, err := dataset.NewManifest(dir, dataset.Run{Started: started, Settings: dataset.Settings{Layout: dataset.LayoutSingle}}, []string{"AAPL"})
	if err != nil {
		t.Fatal(err)
	}
	rec := fixture.DailyBars(mem, "AAPL", 3)
	defer rec.Release()
	f, err := w.Write(context.Background(), sources.Series{Symbol: "AAPL", Record: rec})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := m.RecordOK("AAPL", f, 1); err != nil {
		t.Fatal(err)
	}
	if _, ok := m.Resumable("AAPL", f.Path); ok {
		t.Error("an entry of the single layout is resumable")
	}
}

// TestResumeEndsWithSameFiles interrupts a run, resumes it, and compares
// its files with those of a run that was never interrupted.
func TestResumeEndsWithSameFiles(t *testing.T) {
	t.Parallel()
	symbols := []string{"AAPL", "GOOGL", "MSFT", "BRK.B", "IBM"}
	for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutHive} {
		t.Run(string(layout), func(t *testing.T) {
			mem := fixture.NewMem(t)
			opts := sinks.Options{Allocator: mem, Layout: layout, Metadata: map[string]string{"source": "sample"}}
			run := dataset.Run{Started: started, Settings: dataset.Settings{Layout: layout}}

			// fetch writes every symbol the previous manifest cannot vouch
			// for; an interrupted run stops after stopAfter symbols.
			fetch := func(dir string, prev *dataset.Manifest, stopAfter int) *dataset.Manifest {
				opts.Dir = dir
				w, err := sinks.New(opts)
				if err != nil {
					t.Fatal(err)
				}
				kept := map[string]bool{}
				var keptEntries []dataset.Entry
				for _, s := range symbols {
					p, err := w.Path(s)
					if err != nil {
						t.Fatal(err)
					}
					if e, ok := prev.Resumable(s, p); ok {
						kept[s] = true
						keptEntries = append(keptEntries, e)
					}
				}
				m, err := dataset.NewManifest(dir, run, symbols, keptEntries...)
				if err != nil {
					t.Fatal(err)
				}
				for i, s := range symbols {
					if i == stopAfter {
						// A killed run leaves a temporary file behind.
						os.WriteFile(filepath.Join(dir, "."+s+".parquet.tmp-42"), []byte("half"), 0o644)
						if err := m.Flush(); err != nil {
							t.Fatal(err)
						}
						return m
					}
					if kept[s] {
						continue
					}
					rec := fixture.DailyBars(mem, s, 10+i)
					f, err := w.Write(context.Background(), sources.Series{Symbol: s, Record: rec})
					rec.Release()
					if err != nil {
						t.Fatal(err)
					}
					if err := m.RecordOK(s, f, 1); err != nil {
						t.Fatal(err)
					}
				}
				if err := w.Close(); err != nil {
					t.Fatal(err)
				}
				// A killed run leaves the manifest at most SaveInterval
				// behind; this one was killed after it caught up.
				if err := m.Flush(); err != nil {
					t.Fatal(err)
				}
				return m
			}

			whole := t.TempDir()
			fetch(whole, nil, -1)

			resumed := t.TempDir()
			fetch(resumed, nil, 2)
			// Spoil one finished file: resume must rewrite it.
			spoilt, _ := dataset.FileName("GOOGL")
			if layout == dataset.LayoutHive {
				spoilt = "symbol=" + spoilt + "/part-0"
			}
			if err := os.WriteFile(filepath.Join(resumed, spoilt+".parquet"), []byte("junk"), 0o644); err != nil {
				t.Fatal(err)
			}
			prev, err := dataset.LoadManifest(resumed)
			if err != nil {
				t.Fatal(err)
			}
			m := fetch(resumed, prev, -1)

			if got, want := fixture.FileSums(t, resumed), fixture.FileSums(t, whole); !maps.Equal(got, want) {
				t.Errorf("resumed run files:\n%v\nuninterrupted run files:\n%v", got, want)
			}
			tot := m.Totals()
			if tot.OK != len(symbols) || tot.CarriedOver != 1 {
				t.Errorf("totals = %+v, want %d ok, 1 carried over (AAPL)", tot, len(symbols))
			}
			if e, _ := m.Entry("AAPL"); !e.CarriedOver {
				t.Errorf("AAPL = %+v, want carried over", e)
			}
		})
	}
}

func TestNilManifestVouchesForNothing(t *testing.T) {
	t.Parallel()
	var prev *dataset.Manifest
	if _, ok := prev.Resumable("AAPL", "AAPL.parquet"); ok {
		t.Error("a nil manifest vouches for AAPL")
	}
}

// TestLoadManifestV1 reads a manifest of the first version, as written by
// an earlier run, and saves it back unchanged.
func TestLoadManifestV1(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data, err := os.ReadFile("testdata/manifest_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, dataset.ManifestName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	run := m.Run()
	if run.Settings.Source != "alphavantage" || run.Settings.Format != dataset.FormatParquet || run.Settings.Layout != dataset.LayoutFiles ||
		run.LoaderVersion != "v0.1.0" || run.Finished == nil {
		t.Errorf("run = %+v", run)
	}
	want := dataset.Totals{Symbols: 4, OK: 2, Failed: 1, Skipped: 1, CarriedOver: 1, Rows: 200, Bytes: 14250}
	if got := m.Totals(); got != want {
		t.Errorf("totals = %+v, want %+v", got, want)
	}
	if e, _ := m.Entry("BRK.B"); !e.CarriedOver || e.Attempts != 2 || e.File != "BRK.B.parquet" {
		t.Errorf("BRK.B = %+v", e)
	}
	if m.Version() != 1 || run.Settings.Function != "TIME_SERIES_DAILY" || run.Settings.Compression != dataset.CompressionZstd ||
		run.Settings.SchemaVersion != 1 || run.Settings.OutputSize != "" || run.Settings.Transform != "" {
		t.Errorf("version %d, settings %+v: want version 1 with only what it recorded", m.Version(), run.Settings)
	}
	// Saved, it stays version 1: as version 2 it would claim settings it
	// does not know.
	if err := m.Finish(*run.Finished); err != nil {
		t.Fatal(err)
	}
	saved, err := os.ReadFile(filepath.Join(dir, dataset.ManifestName))
	if err != nil {
		t.Fatal(err)
	}
	if string(saved) != string(data) {
		t.Errorf("saved manifest differs from the one loaded:\n%s", saved)
	}
}

// FuzzLoadManifest checks that any file either fails to load with
// ErrCorruptManifest or ErrNewerManifest, or loads and survives a save and
// a reload unchanged, settings and version included.
func FuzzLoadManifest(f *testing.F) {
	seed, err := os.ReadFile("testdata/manifest_v1.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(seed)
	f.Add([]byte(`{"manifest_version": 1}`))
	f.Add([]byte(`{"manifest_version": 1, "symbols": [{"symbol": "A", "status": "ok"}, {"symbol": "A", "status": "failed"}]}`))
	f.Add([]byte(`[]`))
	f.Add([]byte(`{"manifest_version": 2, "settings": {"source": "sample", "format": "csv", "layout": "hive",
		"transform": "sma:5", "start": "2020-01-02", "schema_version": 1},
		"symbols": [{"symbol": "A", "status": "ok", "file": "symbol=A/part-0.csv", "fetched_at": "2026-01-02T03:04:05Z"}]}`))
	f.Add([]byte(`{"manifest_version": 3}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, dataset.ManifestName), data, 0o644); err != nil {
			t.Fatal(err)
		}
		m, err := dataset.LoadManifest(dir)
		if err != nil {
			if !errors.Is(err, dataset.ErrCorruptManifest) && !errors.Is(err, dataset.ErrNewerManifest) {
				t.Fatalf("LoadManifest = %v, want ErrCorruptManifest or ErrNewerManifest", err)
			}
			return
		}
		if err := m.RecordSkip("ZZZZ", "fuzz"); err != nil {
			t.Fatal(err)
		}
		back, err := dataset.LoadManifest(dir)
		if err != nil {
			t.Fatalf("reload: %v", err)
		}
		if !slices.Equal(back.Entries(), m.Entries()) || back.Totals() != m.Totals() ||
			back.Settings() != m.Settings() || back.Version() != m.Version() {
			t.Fatalf("reload differs:\n%+v\n%+v", back.Entries(), m.Entries())
		}
	})
}

// TestManifestCoalescesSaves shows that a burst of changes costs a few saves,
// not one per change, and that every change reaches the disk within
// SaveInterval even without Flush.
func TestManifestCoalescesSaves(t *testing.T) {
	dir := t.TempDir()
	symbols := make([]string, 2000)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("S%04d", i)
	}
	m, err := dataset.NewManifest(dir, dataset.Run{}, symbols)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range symbols {
		if err := m.RecordSkip(s, "stopped"); err != nil {
			t.Fatal(err)
		}
	}
	// Generous, so that a loaded machine cannot fail it: the scheduled save
	// normally lands within SaveInterval.
	deadline := time.Now().Add(30 * time.Second)
	for {
		loaded, err := dataset.LoadManifest(dir)
		if err != nil {
			t.Fatal(err)
		}
		if loaded.Totals().Skipped == len(symbols) {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 30s the manifest on disk has %+v", loaded.Totals())
		}
		time.Sleep(dataset.SaveInterval / 5)
	}
}

// TestLoadManifestRefusesHugeFile refuses a manifest larger than any
// dataset needs without reading it: the file is sparse, 1 GiB.
func TestLoadManifestRefusesHugeFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, dataset.ManifestName)
	f, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(f.Truncate(1<<30), f.Close()); err != nil {
		t.Fatal(err)
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err = dataset.LoadManifest(dir)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, dataset.ErrCorruptManifest) || !strings.Contains(err.Error(), p) {
		t.Fatalf("LoadManifest of 1 GiB = %v, want ErrCorruptManifest naming the file", err)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing it allocated %d bytes", grew)
	}
}

// TestManifestRecordKept shows the record of an ok symbol a run did not
// bring up to date: its entry stays but for the reason, and a symbol that
// is not ok is left alone.
func TestManifestRecordKept(t *testing.T) {
	dir := t.TempDir()
	m, err := dataset.NewManifest(dir, dataset.Run{Started: started}, []string{"A", "B"})
	if err != nil {
		t.Fatal(err)
	}
	fetched := started.Add(-24 * time.Hour)
	f := dataset.File{Path: "A.parquet", Rows: 3, Bytes: 30, SHA256: "ab", FirstDate: fixture.FirstDay, LastDate: fixture.FirstDay.AddDate(0, 0, 2), FetchedAt: fetched}
	if err := m.RecordOK("A", f, 1); err != nil {
		t.Fatal(err)
	}
	if err := errors.Join(m.RecordKept("A", "update failed: HTTP 503"), m.RecordKept("B", "not fetched"), m.Flush()); err != nil {
		t.Fatal(err)
	}
	back, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := back.Entry("A")
	b, _ := back.Entry("B")
	want := dataset.Entry{Symbol: "A", Status: dataset.StatusOK, Rows: 3, FirstDate: "2024-01-02", LastDate: "2024-01-04",
		File: "A.parquet", Bytes: 30, SHA256: "ab", Attempts: 1, FetchedAt: "2026-01-01T03:04:05Z", Reason: "update failed: HTTP 503"}
	if a != want {
		t.Errorf("A after RecordKept = %+v\nwant %+v", a, want)
	}
	if b.Status != dataset.StatusPending || b.Reason != "" {
		t.Errorf("B, pending, changed: %+v", b)
	}
}
