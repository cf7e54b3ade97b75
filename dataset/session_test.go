package dataset_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// makeDataset writes symbols into dir as a run with settings would, the
// i-th symbol with 10+i rows fetched i hours after started, and returns
// the manifest's entries.
func makeDataset(t *testing.T, dir string, settings dataset.Settings, symbols ...string) {
	t.Helper()
	mem := fixture.NewMem(t)
	s, err := dataset.Begin(dir, dataset.BeginOptions{Settings: &settings, Symbols: symbols, Run: dataset.Run{Started: started}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	st := s.Settings()
	w, err := sinks.New(sinks.Options{Dir: dir, Format: st.Format, Layout: st.Layout, Compression: st.Compression, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	for i, sym := range s.Symbols() {
		rec := fixture.DailyBars(mem, sym, 10+i)
		f, err := w.Write(context.Background(), sources.Series{Symbol: sym, Record: rec})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		f.FetchedAt = started.Add(time.Duration(i) * time.Hour)
		if err := s.Manifest().RecordOK(sym, f, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(w.Close(), s.Manifest().Finish(started)); err != nil {
		t.Fatal(err)
	}
}

// begin starts a session in dir and closes it at the test's end.
func begin(t *testing.T, dir string, opts dataset.BeginOptions) *dataset.Session {
	t.Helper()
	s, err := dataset.Begin(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// states returns each entry's status, with "+carried" for one carried over.
func states(m *dataset.Manifest) map[string]string {
	out := map[string]string{}
	for _, e := range m.Entries() {
		out[e.Symbol] = string(e.Status)
		if e.CarriedOver {
			out[e.Symbol] += "+carried"
		}
	}
	return out
}

func TestBeginPlansByMode(t *testing.T) {
	tests := []struct {
		name    string
		mode    dataset.Mode
		symbols []string
		// spoil changes the dataset (AAPL, MSFT, IBM) before the run.
		spoil   func(t *testing.T, dir string)
		order   []string
		entries map[string]string
	}{
		{"update: complete files stay ok, new symbols pend", dataset.Update, []string{"IBM", "NEW", "AAPL"}, nil,
			[]string{"NEW", "AAPL", "IBM"}, // missing first, then the stalest
			map[string]string{"AAPL": "ok", "MSFT": "ok", "IBM": "ok", "NEW": "pending"}},
		{"update: a missing file is fetched", dataset.Update, []string{"AAPL", "MSFT"}, func(t *testing.T, dir string) {
			os.Remove(filepath.Join(dir, "MSFT.parquet"))
		}, []string{"MSFT", "AAPL"}, map[string]string{"AAPL": "ok", "MSFT": "pending", "IBM": "ok"}},
		{"update: a file that does not match its hash is still updated", dataset.Update, []string{"AAPL"}, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "AAPL.parquet"), []byte("newer"), 0o644)
		}, []string{"AAPL"}, map[string]string{"AAPL": "ok", "MSFT": "ok", "IBM": "ok"}},
		{"resume: intact files are carried over", dataset.Resume, []string{"AAPL", "MSFT", "NEW"}, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, "MSFT.parquet"), []byte("junk"), 0o644)
		}, []string{"MSFT", "NEW", "AAPL"}, map[string]string{"AAPL": "ok+carried", "MSFT": "pending", "NEW": "pending", "IBM": "ok"}},
		{"overwrite: only the run's symbols, all pending", dataset.Overwrite, []string{"MSFT", "NEW"}, nil,
			[]string{"MSFT", "NEW"}, map[string]string{"MSFT": "pending", "NEW": "pending"}},
		{"overwrite: a corrupt manifest does not stand in the way", dataset.Overwrite, []string{"AAPL"}, func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte("{garbage"), 0o644)
		}, []string{"AAPL"}, map[string]string{"AAPL": "pending"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			makeDataset(t, dir, base, "AAPL", "MSFT", "IBM") // AAPL is the stalest, IBM the freshest
			if tt.spoil != nil {
				tt.spoil(t, dir)
			}
			s := begin(t, dir, dataset.BeginOptions{Settings: &base, Symbols: tt.symbols, Mode: tt.mode, Run: dataset.Run{Started: started}})
			if got := s.Symbols(); !slices.Equal(got, tt.order) {
				t.Errorf("Symbols = %v, want %v", got, tt.order)
			}
			on, err := dataset.LoadManifest(dir)
			if err != nil {
				t.Fatal(err)
			}
			if got := states(on); !equalMaps(got, tt.entries) {
				t.Errorf("manifest on disk = %v, want %v", got, tt.entries)
			}
		})
	}
}

func equalMaps(a, b map[string]string) bool {
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

func TestBeginOrdersUpdatesByStaleness(t *testing.T) {
	dir := t.TempDir()
	makeDataset(t, dir, base, "A", "B", "C", "D") // last dates grow with the position
	m, err := dataset.LoadManifest(dir)
	if err != nil {
		t.Fatal(err)
	}
	// D failed in a later run: it has no complete file any more.
	m.RecordFailure("D", 4, errors.New("HTTP 503"))
	m.Flush()
	s := begin(t, dir, dataset.BeginOptions{Symbols: []string{"E"}, Run: dataset.Run{Started: started}})
	if got, want := s.Symbols(), []string{"D", "E", "A", "B", "C"}; !slices.Equal(got, want) {
		t.Errorf("update order = %v, want %v: no complete file first, then the stalest", got, want)
	}
	if s.Settings() != base.Normalized() {
		t.Errorf("settings = %+v, want the dataset's %+v", s.Settings(), base.Normalized())
	}
}

func TestBeginRefuses(t *testing.T) {
	v1, err := os.ReadFile("testdata/manifest_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	other := base
	other.Transform, other.Format = "sma:5", dataset.FormatCSV
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string)
		opts  dataset.BeginOptions
		is    error
		want  string
	}{
		{"other settings", func(t *testing.T, dir string) { makeDataset(t, dir, base, "AAPL") },
			dataset.BeginOptions{Settings: &other, Symbols: []string{"AAPL"}}, dataset.ErrSettingsDiffer,
			"--transform: the dataset has none, this run asks for sma:5; --format: the dataset has parquet, this run asks for csv"},
		{"update without a dataset", func(*testing.T, string) {}, dataset.BeginOptions{}, dataset.ErrNoDataset, "has no _manifest.json"},
		{"update of a version 1 dataset", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), v1, 0o644)
		}, dataset.BeginOptions{}, dataset.ErrSettingsUnknown, "version 1"},
		{"a corrupt manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`{"manifest_version": 2, "symbols": [`), 0o644)
		}, dataset.BeginOptions{Settings: &base}, dataset.ErrCorruptManifest, dataset.ManifestName},
		{"a newer manifest", func(t *testing.T, dir string) {
			os.WriteFile(filepath.Join(dir, dataset.ManifestName), []byte(`{"manifest_version": 3}`), 0o644)
		}, dataset.BeginOptions{Settings: &base}, dataset.ErrNewerManifest, "manifest_version 3"},
		{"a locked dataset", func(t *testing.T, dir string) {
			l, err := dataset.Acquire(dir, dataset.Holder{PID: 77, Command: "loader update", Started: started})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Release() })
		}, dataset.BeginOptions{Settings: &base}, dataset.ErrLocked, "pid 77 (loader update)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			tt.setup(t, dir)
			before, _ := os.ReadFile(filepath.Join(dir, dataset.ManifestName))
			s, err := dataset.Begin(dir, tt.opts)
			if err == nil {
				s.Close()
			}
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Begin = %v, want %v containing %q", err, tt.is, tt.want)
			}
			if after, _ := os.ReadFile(filepath.Join(dir, dataset.ManifestName)); string(after) != string(before) {
				t.Error("a refused run changed the manifest")
			}
			if !errors.Is(tt.is, dataset.ErrLocked) {
				l, err := dataset.Acquire(dir, dataset.ThisProcess())
				if err != nil {
					t.Fatalf("a refused run left the lock held: %v", err)
				}
				l.Release()
			}
		})
	}
}

// TestBeginVersion1 fetches into a dataset of the first manifest version:
// the settings it recorded must match, the rest are taken from the run,
// and its files are trusted only by --resume.
func TestBeginVersion1(t *testing.T) {
	v1, err := os.ReadFile("testdata/manifest_v1.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		mode dataset.Mode
		aapl string
	}{{dataset.Update, "pending"}, {dataset.Resume, "pending"}} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, dataset.ManifestName), v1, 0o644)
		run := base
		run.Transform = "returns"
		s := begin(t, dir, dataset.BeginOptions{Settings: &run, Symbols: []string{"AAPL"}, Mode: tt.mode})
		if got := states(s.Manifest()); got["AAPL"] != tt.aapl || got["BRK.B"] != "ok" {
			t.Errorf("mode %d: entries %v", tt.mode, got)
		}
		if s.Manifest().Version() != 2 || s.Settings().Transform != "returns" {
			t.Errorf("the run's manifest: version %d, settings %+v", s.Manifest().Version(), s.Settings())
		}
		s.Close()
		csv := run
		csv.Format = dataset.FormatCSV
		os.WriteFile(filepath.Join(dir, dataset.ManifestName), v1, 0o644)
		if _, err := dataset.Begin(dir, dataset.BeginOptions{Settings: &csv}); !errors.Is(err, dataset.ErrSettingsDiffer) {
			t.Errorf("a version 1 parquet dataset took a csv run: %v", err)
		}
	}
}

func TestBeginSingleLayoutRewritesAll(t *testing.T) {
	dir := t.TempDir()
	single := base
	single.Layout = dataset.LayoutSingle
	makeDataset(t, dir, single, "AAPL", "MSFT")
	s := begin(t, dir, dataset.BeginOptions{Settings: &single, Symbols: []string{"MSFT"}})
	if got := states(s.Manifest()); !equalMaps(got, map[string]string{"MSFT": "pending"}) {
		t.Errorf("entries = %v: the single file of this run holds MSFT alone", got)
	}
	s.Close()
	if _, err := dataset.Begin(dir, dataset.BeginOptions{Settings: &single, Mode: dataset.Resume}); err == nil || !strings.Contains(err.Error(), "cannot resume") {
		t.Errorf("resume of the single layout: %v", err)
	}
}

func TestFilesFollowTheManifest(t *testing.T) {
	dir := t.TempDir()
	makeDataset(t, dir, base, "AAPL", "MSFT", "IBM")
	for _, name := range []string{"OLD.csv", "symbol=X/part-0.parquet"} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte("stale"), 0o644)
	}
	m, _ := dataset.LoadManifest(dir)
	m.RecordFailure("IBM", 1, errors.New("later failure"))
	m.Flush()

	rel := func(paths []string) []string {
		out := []string{}
		for _, p := range paths {
			r, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(r))
		}
		return out
	}
	files, err := dataset.Files(dir)
	if got, want := rel(files), []string{"AAPL.parquet", "MSFT.parquet"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Files = %v, %v; want %v", got, err, want)
	}
	unlisted, err := dataset.Unlisted(dir)
	if got, want := rel(unlisted), []string{"IBM.parquet", "OLD.csv", "symbol=X/part-0.parquet"}; err != nil || !slices.Equal(got, want) {
		t.Errorf("Unlisted = %v, %v; want %v", got, err, want)
	}
	removed, err := dataset.RemoveUnlisted(dir)
	if err != nil || len(removed) != 3 {
		t.Errorf("RemoveUnlisted = %v, %v", removed, err)
	}
	if got, want := fixture.ListFiles(t, dir), []string{"AAPL.parquet", "MSFT.parquet", "_lock", "_manifest.json"}; !slices.Equal(got, want) {
		t.Errorf("after RemoveUnlisted: %v, want %v (the empty partition gone)", got, want)
	}

	plain := t.TempDir()
	os.WriteFile(filepath.Join(plain, "A.csv"), nil, 0o644)
	if files, err := dataset.Files(plain); err != nil || len(files) != 1 {
		t.Errorf("Files of a directory without a manifest = %v, %v; want its one data file", files, err)
	}
	if un, err := dataset.Unlisted(plain); err != nil || un != nil {
		t.Errorf("Unlisted without a manifest = %v, %v", un, err)
	}
	os.WriteFile(filepath.Join(plain, dataset.ManifestName), []byte("{"), 0o644)
	if _, err := dataset.Files(plain); !errors.Is(err, dataset.ErrCorruptManifest) {
		t.Errorf("Files with a corrupt manifest: %v", err)
	}
	if _, err := dataset.Files(filepath.Join(plain, "nope")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Files of a missing directory: %v", err)
	}
}
