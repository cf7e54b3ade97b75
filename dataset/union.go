package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// ShardManifestName is the manifest of shard k of n (`loader fetch --shard
// K/N`): "_manifest.shard-K-of-N.json". Each shard keeps its own, so N
// processes writing one dataset at once never overwrite each other's
// records; readers see the union ([LoadUnion]).
func ShardManifestName(k, n int) string {
	return fmt.Sprintf("_manifest.shard-%d-of-%d.json", k, n)
}

// IsManifest reports whether key names a manifest at the top of a
// dataset: ManifestName or "_manifest.NAME.json".
func IsManifest(key string) bool {
	if key == ManifestName {
		return true
	}
	mid, ok := strings.CutPrefix(key, "_manifest.")
	if !ok {
		return false
	}
	mid, ok = strings.CutSuffix(mid, ".json")
	return ok && mid != "" && !strings.ContainsAny(mid, "/\\")
}

// Union is what every manifest of a dataset says together: a dataset
// written by N shards at once has N manifests, each complete for its own
// symbols. Where manifests disagree about a symbol, the latest run that
// finished with it wins: an entry ok or failed in the run that started
// last. A pending or skipped entry (the run never got to the symbol)
// stands only where no manifest has a result.
type Union struct {
	st        store.Store
	names     []string
	manifests []*Manifest // those read, the run that started first first
	entries   []Entry
	index     map[string]int
	listed    map[string]store.Object // the store's objects, listed once for Resumable
}

// LoadUnion reads every manifest in st. A dataset without one gives an
// empty Union; a corrupt manifest fails it, naming the manifest.
func LoadUnion(ctx context.Context, st store.Store) (*Union, error) {
	objs, err := st.List(ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	u := &Union{st: st, index: map[string]int{}, listed: map[string]store.Object{}}
	for _, o := range objs {
		u.listed[o.Key] = o
		if IsManifest(o.Key) {
			u.names = append(u.names, o.Key)
		}
	}
	var ms []*Manifest
	for _, name := range u.names {
		m, err := LoadManifestAt(ctx, st, name)
		if errors.Is(err, fs.ErrNotExist) {
			continue // replaced by its writer between the listing and the read
		}
		if err != nil {
			return nil, err
		}
		ms = append(ms, m)
	}
	slices.SortStableFunc(ms, func(a, b *Manifest) int { return a.run.Started.Compare(b.run.Started) })
	u.manifests = ms
	for _, m := range ms {
		for _, e := range m.entries {
			i, seen := u.index[e.Symbol]
			switch {
			case !seen:
				u.index[e.Symbol] = len(u.entries)
				u.entries = append(u.entries, e)
			case e.Status == StatusOK || e.Status == StatusFailed,
				u.entries[i].Status == StatusPending || u.entries[i].Status == StatusSkipped:
				u.entries[i] = e
			}
		}
	}
	return u, nil
}

// ErrManifestsDiffer marks a dataset whose manifests record different
// settings, such as one a `loader fetch --overwrite` with new settings
// stopped replacing: no one run can bring it up to date.
var ErrManifestsDiffer = errors.New("its manifests record different settings")

// Settings returns the settings every manifest of the union records: the
// dataset's. A union of no manifest fails with an error matching
// ErrNoDataset, one whose manifests disagree with an error matching
// ErrManifestsDiffer that names two of them and their differences.
func (u *Union) Settings() (Settings, error) {
	if len(u.manifests) == 0 {
		return Settings{}, fmt.Errorf("%s: %w", u.st, ErrNoDataset)
	}
	latest := u.manifests[len(u.manifests)-1]
	for _, m := range u.manifests {
		if diffs := m.Settings().Diff(latest.Settings()); len(diffs) > 0 {
			parts := make([]string, len(diffs))
			for i, d := range diffs {
				parts[i] = fmt.Sprintf("%s: %s has %s, %s has %s", d.Flag, m.Name(), d.Dataset, latest.Name(), d.Run)
			}
			return Settings{}, fmt.Errorf("%s: %w: %s", u.st, ErrManifestsDiffer, strings.Join(parts, "; "))
		}
	}
	return latest.Settings(), nil
}

// state returns what the union says as one manifest named name, to plan a
// run on the whole dataset (`loader update`) with: the union's entries and
// settings, the latest run, and the oldest manifest version among them
// (so that a version 1 manifest's entries are fetched whole). It is never
// saved. A union of no manifest gives nil: no dataset.
func (u *Union) state(name string) (*Manifest, error) {
	if len(u.manifests) == 0 {
		return nil, nil
	}
	settings, err := u.Settings()
	if err != nil {
		return nil, err
	}
	latest := u.manifests[len(u.manifests)-1]
	m := &Manifest{st: u.st, key: name, path: manifestPath(u.st, name), loadedVersion: manifestVersion, run: latest.Run(), index: map[string]int{}}
	m.run.Settings = settings
	for _, read := range u.manifests {
		m.loadedVersion = min(m.loadedVersion, read.loadedVersion)
	}
	for _, e := range u.entries {
		m.put(e)
	}
	return m, nil
}

// Names returns the manifests read, sorted.
func (u *Union) Names() []string { return slices.Clone(u.names) }

// Entry returns the entry of symbol. A nil Union has none.
func (u *Union) Entry(symbol string) (Entry, bool) {
	if u == nil {
		return Entry{}, false
	}
	i, ok := u.index[symbol]
	if !ok {
		return Entry{}, false
	}
	return u.entries[i], true
}

// Entries returns every entry, in the order the manifests first list them.
func (u *Union) Entries() []Entry { return slices.Clone(u.entries) }

// Totals sums the entries.
func (u *Union) Totals() Totals {
	m := Manifest{entries: u.entries}
	return m.totals()
}

// Resumable is [Manifest.Resumable] over the union: it compares each object
// as one listing of the store found it, so resuming N symbols on an object
// store costs no request per symbol when the manifests recorded ETags.
func (u *Union) Resumable(ctx context.Context, symbol, file string) (Entry, bool) {
	e, ok := u.Entry(symbol)
	if !ok {
		return Entry{}, false
	}
	obj, listed := u.listed[file]
	if !listed || !intact(ctx, u.st, e, file, &obj) {
		return Entry{}, false
	}
	return e, true
}

// LockObjectName is the lock object that guards the manifest named manifest on
// an object store: "_lock.json" for ManifestName, "_lock.shard-K-of-N.json"
// for a shard's. Only writers of the same manifest exclude each other.
func LockObjectName(manifest string) string {
	if rest, ok := strings.CutPrefix(manifest, "_manifest"); ok {
		return "_lock" + rest
	}
	return "_lock." + manifest
}
