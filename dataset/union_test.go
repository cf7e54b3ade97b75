package dataset_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"gocloud.dev/blob/memblob"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/symbols"
)

func memStore(t *testing.T) store.Store {
	st := store.NewBucket(memblob.OpenBucket(nil), "prices/", "mem://test/prices/", store.BucketOptions{})
	t.Cleanup(func() { st.Close() })
	return st
}

func TestIsManifest(t *testing.T) {
	for key, want := range map[string]bool{
		"_manifest.json":                  true,
		"_manifest.shard-0-of-3.json":     true,
		"_manifest..json":                 false,
		"_manifest.json.tmp":              false,
		"symbol=A/_manifest.shard-1.json": false,
		"._manifest.json.tmp-12":          false,
		"manifest.json":                   false,
	} {
		if got := dataset.IsManifest(key); got != want {
			t.Errorf("IsManifest(%q) = %v, want %v", key, got, want)
		}
	}
}

// TestShardsWritingAtOnce: three shards record their symbols into their own
// manifests at the same time, in one object-store prefix; the union holds
// every symbol once, as ok.
func TestShardsWritingAtOnce(t *testing.T) {
	st := memStore(t)
	var universe []string
	for i := range 30 {
		universe = append(universe, fmt.Sprintf("S%02d", i))
	}
	var wg sync.WaitGroup
	for k := range 3 {
		wg.Go(func() {
			mine := symbols.Shard(universe, k, 3)
			m, err := dataset.NewManifestAt(st, dataset.ShardManifestName(k, 3), dataset.Run{Started: started}, mine)
			if err != nil {
				t.Error(err)
				return
			}
			for _, s := range mine {
				if err := m.RecordOK(s, dataset.File{Path: s + ".parquet", Rows: 5, Bytes: 50, SHA256: "ab", ETag: `"e"`}, 1); err != nil {
					t.Error(err)
				}
			}
			if err := m.Finish(started.Add(time.Second)); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	u, err := dataset.LoadUnion(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"_manifest.shard-0-of-3.json", "_manifest.shard-1-of-3.json", "_manifest.shard-2-of-3.json"}
	if !slices.Equal(u.Names(), want) {
		t.Errorf("Names = %q, want %q", u.Names(), want)
	}
	if tot := u.Totals(); tot.Symbols != 30 || tot.OK != 30 || tot.Rows != 150 {
		t.Errorf("Totals = %+v, want 30 symbols ok, 150 rows", tot)
	}
	for _, s := range universe {
		if e, ok := u.Entry(s); !ok || e.Status != dataset.StatusOK || e.ETag != `"e"` {
			t.Errorf("%s: %+v, %v", s, e, ok)
		}
	}
}

// TestUnionLatestResultWins: where manifests disagree, the result of the
// run that started last wins, but a newer run that never got to a symbol
// does not hide an older result.
func TestUnionLatestResultWins(t *testing.T) {
	st := memStore(t)
	old, err := dataset.NewManifestAt(st, dataset.ShardManifestName(0, 2), dataset.Run{Started: started}, []string{"A", "B", "C"})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"A", "B", "C"} {
		old.RecordOK(s, dataset.File{Path: s + ".parquet", Rows: 1, SHA256: "x"}, 1)
	}
	old.Finish(started)
	newer, err := dataset.NewManifestAt(st, dataset.ShardManifestName(0, 3), dataset.Run{Started: started.Add(time.Hour)}, []string{"A", "B", "D"})
	if err != nil {
		t.Fatal(err)
	}
	newer.RecordFailure("A", 3, errors.New("HTTP 503"))
	newer.RecordSkip("B", "run stopped")
	newer.Finish(started.Add(time.Hour))

	u, err := dataset.LoadUnion(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	for sym, want := range map[string]dataset.Status{"A": dataset.StatusFailed, "B": dataset.StatusOK, "C": dataset.StatusOK, "D": dataset.StatusPending} {
		if e, _ := u.Entry(sym); e.Status != want {
			t.Errorf("%s: %s, want %s", sym, e.Status, want)
		}
	}
}

func TestUnionRefusesACorruptManifest(t *testing.T) {
	st := memStore(t)
	st.WriteFile(context.Background(), "_manifest.shard-1-of-2.json", []byte("{not json"))
	_, err := dataset.LoadUnion(context.Background(), st)
	if !errors.Is(err, dataset.ErrCorruptManifest) || !strings.Contains(err.Error(), "mem://test/prices/_manifest.shard-1-of-2.json") {
		t.Errorf("LoadUnion = %v, want ErrCorruptManifest naming the object", err)
	}
	u, err := dataset.LoadUnion(context.Background(), memStore(t))
	if err != nil || len(u.Names()) != 0 || len(u.Entries()) != 0 {
		t.Errorf("LoadUnion of an empty store = %v, %v; want an empty union", u, err)
	}
}

// TestResumeOnObjectStore: resuming against an object store keeps the
// objects whose size and ETag match the manifest, and refetches one that
// was overwritten since, without reading any object back.
func TestResumeOnObjectStore(t *testing.T) {
	ctx := context.Background()
	mem := fixture.NewMem(t)
	st := memStore(t)
	w, err := sinks.New(sinks.Options{Store: st, Allocator: mem})
	if err != nil {
		t.Fatal(err)
	}
	settings := dataset.Settings{Source: "sample", Format: dataset.FormatParquet, Layout: dataset.LayoutFiles}
	syms := []string{"AAPL", "MSFT", "IBM"}
	s1, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Manifest: dataset.ShardManifestName(1, 2), Settings: &settings, Symbols: syms, Run: dataset.Run{Started: started}})
	if err != nil {
		t.Fatal(err)
	}
	m := s1.Manifest()
	for _, s := range syms[:2] {
		rec := fixture.DailyBars(mem, s, 20)
		f, err := w.Write(ctx, sources.Series{Symbol: s, Record: rec})
		rec.Release()
		if err != nil {
			t.Fatal(err)
		}
		if f.ETag == "" {
			t.Errorf("%s: Write returned no ETag", s)
		}
		m.RecordOK(s, f, 1)
	}
	m.Finish(started)
	w.Close()
	s1.Close()
	// MSFT's object is replaced behind the manifest's back.
	if err := st.WriteFile(ctx, "MSFT.parquet", []byte("not the same")); err != nil {
		t.Fatal(err)
	}

	s2, err := dataset.Begin(st.String(), dataset.BeginOptions{Store: st, Manifest: dataset.ShardManifestName(1, 2), Settings: &settings, Symbols: syms, Mode: dataset.Resume, Run: dataset.Run{Started: started.Add(time.Minute)}})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	next := s2.Manifest()
	var kept []string
	for _, e := range next.Entries() {
		if e.CarriedOver {
			kept = append(kept, e.Symbol)
		}
	}
	if !slices.Equal(kept, []string{"AAPL"}) {
		t.Errorf("resume kept %q, want only AAPL", kept)
	}
}
