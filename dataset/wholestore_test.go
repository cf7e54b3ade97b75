package dataset_test

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
)

// writeRun begins a run of opts on the object store st, writes every one
// of its symbols as an object, records them ok and finishes the manifest;
// it returns the session, still open.
func writeRun(t *testing.T, st store.Store, opts dataset.BeginOptions) *dataset.Session {
	t.Helper()
	mem := fixture.NewMem(t)
	opts.Store = st
	s, err := dataset.Begin(st.String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	set := s.Settings()
	w, err := sinks.New(sinks.Options{Store: st, Format: set.Format, Layout: set.Layout, Compression: set.Compression, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	for _, sym := range s.Symbols() {
		rec := fixture.DailyBars(mem, sym, 10)
		f, err := w.Write(context.Background(), sources.Series{Symbol: sym, Record: rec})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Manifest().RecordOK(sym, f, 1); err != nil {
			t.Fatal(err)
		}
	}
	if err := errors.Join(w.Close(), s.Manifest().Finish(opts.Run.Started)); err != nil {
		t.Fatal(err)
	}
	return s
}

// shardedStore is an in-memory prefix that two shards wrote: A and C by
// shard 0/2, B and D by shard 1/2, as Parquet files.
func shardedStore(t *testing.T, settings dataset.Settings) store.Store {
	t.Helper()
	st := memStore(t)
	for k, syms := range [][]string{{"A", "C"}, {"B", "D"}} {
		writeRun(t, st, dataset.BeginOptions{Settings: &settings, Symbols: syms, Manifest: dataset.ShardManifestName(k, 2),
			Run: dataset.Run{Started: started.Add(time.Duration(k) * time.Minute)}}).Close()
	}
	return st
}

func keys(t *testing.T, st store.Store) []string {
	t.Helper()
	objs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, o := range objs {
		out = append(out, o.Key)
	}
	return out
}

var parquetFiles = dataset.Settings{Source: "sample", Format: dataset.FormatParquet, Layout: dataset.LayoutFiles}

// TestUpdateOfShardsOnObjectStore: an update with the dataset's own
// settings plans every symbol of every shard's manifest, saves one
// manifest listing them all, and holds the shards' lock objects meanwhile.
func TestUpdateOfShardsOnObjectStore(t *testing.T) {
	st := shardedStore(t, parquetFiles)
	s, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Symbols: []string{"E"}, Run: dataset.Run{Started: started.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"A": "ok", "B": "ok", "C": "ok", "D": "ok", "E": "pending"}
	if got := states(s.Manifest()); !equalMaps(got, want) || s.Manifest().Name() != dataset.ManifestName {
		t.Errorf("the update's manifest %s: %v, want %v", s.Manifest().Name(), got, want)
	}
	if got := s.Symbols(); len(got) != 5 || got[0] != "E" {
		t.Errorf("Symbols = %q, want E (no file) first, then the four to update", got)
	}
	if s.Settings().Diff(parquetFiles) != nil {
		t.Errorf("Settings = %+v, want the shards'", s.Settings())
	}
	// A shard cannot write while the update holds its lock object.
	_, err = dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Settings: &parquetFiles, Symbols: []string{"B"}, Manifest: dataset.ShardManifestName(1, 2)})
	if !errors.Is(err, dataset.ErrLocked) {
		t.Errorf("a shard beside the update: %v, want ErrLocked", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys(t, st) {
		if !dataset.IsManifest(k) && !dataset.IsDataKey(k) {
			t.Errorf("%s is left after Close", k)
		}
	}
	// And an update cannot start while a shard writes.
	shard := begin(t, st.String(), dataset.BeginOptions{Store: st, Settings: &parquetFiles, Symbols: []string{"B"}, Manifest: dataset.ShardManifestName(1, 2)})
	if _, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st}); !errors.Is(err, dataset.ErrLocked) {
		t.Errorf("an update beside a shard: %v, want ErrLocked", err)
	}
	shard.Close()
}

func TestUpdateOnObjectStoreRefuses(t *testing.T) {
	if _, err := dataset.Begin("s3://x", dataset.BeginOptions{Store: memStore(t)}); !errors.Is(err, dataset.ErrNoDataset) {
		t.Errorf("an update of an empty prefix: %v, want ErrNoDataset", err)
	}
	st := shardedStore(t, parquetFiles)
	csv := dataset.Settings{Source: "sample", Format: dataset.FormatCSV, Layout: dataset.LayoutFiles}
	writeRun(t, st, dataset.BeginOptions{Settings: &csv, Symbols: []string{"E"}, Manifest: dataset.ShardManifestName(0, 3),
		Run: dataset.Run{Started: started.Add(time.Hour)}}).Close()
	before := keys(t, st)
	_, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st})
	if !errors.Is(err, dataset.ErrManifestsDiffer) {
		t.Fatalf("an update of manifests with other settings: %v, want ErrManifestsDiffer", err)
	}
	t.Log(err)
	if after := keys(t, st); !slices.Equal(after, before) {
		t.Errorf("a refused update changed the prefix: %q, was %q", after, before)
	}
}

// TestOverwriteOnObjectStore: an overwrite replaces a dataset two shards
// wrote. Until its manifest is finished nothing of the old dataset is
// removed; then RemoveStale removes the shards' manifests and the objects
// of the old format and of the symbols left out, and nothing else.
func TestOverwriteOnObjectStore(t *testing.T) {
	st := shardedStore(t, parquetFiles)
	old := keys(t, st)
	csv := dataset.Settings{Source: "sample", Format: dataset.FormatCSV, Layout: dataset.LayoutHive}
	mem := fixture.NewMem(t)
	s, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Settings: &csv, Symbols: []string{"A", "B", "E"}, Mode: dataset.Overwrite,
		Run: dataset.Run{Started: started.Add(time.Hour)}})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	w, err := sinks.New(sinks.Options{Store: st, Format: csv.Format, Layout: csv.Layout, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	for _, sym := range s.Symbols() {
		rec := fixture.DailyBars(mem, sym, 10)
		f, err := w.Write(context.Background(), sources.Series{Symbol: sym, Record: rec})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		s.Manifest().RecordOK(sym, f, 1)
	}
	w.Close()
	if _, err := s.RemoveStale(context.Background()); err == nil {
		t.Error("RemoveStale before the manifest is finished succeeded")
	}
	for _, k := range old {
		if !slices.Contains(keys(t, st), k) {
			t.Errorf("%s of the old dataset is gone before the new manifest is finished", k)
		}
	}
	if err := s.Manifest().Finish(started.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	removed, err := s.RemoveStale(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(removed) != 6 {
		t.Errorf("removed %q, want the two shard manifests and four Parquet objects", removed)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	want := []string{"_manifest.json", "symbol=A/part-0.csv", "symbol=B/part-0.csv", "symbol=E/part-0.csv"}
	if got := keys(t, st); !slices.Equal(got, want) {
		t.Errorf("after the overwrite the prefix holds %q, want %q", got, want)
	}
	u, err := dataset.LoadUnion(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	if tot := u.Totals(); tot.Symbols != 3 || tot.OK != 3 {
		t.Errorf("the manifests say %+v, want 3 symbols ok", tot)
	}
}

func TestOverwriteOnObjectStoreRefuses(t *testing.T) {
	st := shardedStore(t, parquetFiles)
	_, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Settings: &parquetFiles, Symbols: []string{"A"}, Mode: dataset.Overwrite,
		Manifest: dataset.ShardManifestName(0, 2)})
	if err == nil {
		t.Error("a shard's overwrite began")
	}
	// A shard that starts during the overwrite, with a manifest the
	// overwrite did not lock, stops RemoveStale before it removes anything.
	s := writeRun(t, st, dataset.BeginOptions{Settings: &parquetFiles, Symbols: []string{"A"}, Mode: dataset.Overwrite, Run: dataset.Run{Started: started.Add(time.Hour)}})
	defer s.Close()
	writeRun(t, st, dataset.BeginOptions{Settings: &parquetFiles, Symbols: []string{"F"}, Manifest: dataset.ShardManifestName(0, 5), Run: dataset.Run{Started: started.Add(2 * time.Hour)}}).Close()
	before := keys(t, st)
	if removed, err := s.RemoveStale(context.Background()); err == nil || len(removed) > 0 {
		t.Errorf("RemoveStale beside a new shard: removed %q, %v; want an error and nothing removed", removed, err)
	}
	if after := keys(t, st); !slices.Equal(after, before) {
		t.Errorf("the prefix changed: %q, was %q", after, before)
	}
}
