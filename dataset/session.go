package dataset

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// Mode is what a writing run does with the symbols that already have a
// complete file.
type Mode int

// The modes.
const (
	// Update brings them up to date and fetches the symbols without one:
	// `loader fetch` into an existing dataset, and `loader update`.
	Update Mode = iota
	// Resume keeps them as they are, if their files are intact, and
	// fetches only the symbols without one: `loader fetch --resume`.
	Resume
	// Overwrite replaces the dataset: every symbol is fetched, the earlier
	// manifest is not read (so a corrupt one does not stand in the way),
	// and the files that no longer belong are left for RemoveUnlisted.
	Overwrite
)

// Errors of Begin, matched with errors.Is, besides ErrLocked,
// ErrSettingsDiffer and those of LoadManifest.
var (
	// ErrNoDataset marks a directory without a manifest where a run
	// without settings of its own needs a dataset's.
	ErrNoDataset = errors.New("not a dataset: it has no " + ManifestName)
	// ErrSettingsUnknown marks a dataset whose manifest, of version 1,
	// does not record the settings a run without its own needs.
	ErrSettingsUnknown = errors.New("its manifest, of version 1, does not record the dataset's output size, transforms, dates or row group size")
)

// BeginOptions configure Begin.
type BeginOptions struct {
	// Settings are the run's. Nil means the dataset's own, which it must
	// have (`loader update`).
	Settings *Settings
	// Symbols are the run's symbols, without repeats. With nil Settings
	// they are added to the dataset's.
	Symbols []string
	Mode    Mode
	// Run describes the run; Begin sets its Settings.
	Run Run
	// Holder is recorded in the lock; zero means ThisProcess().
	Holder Holder
	// Store is where the dataset lives; nil means the local directory dir.
	// On a store other than a local directory (an object-store prefix) the
	// lock is a lock object with a lease (store.AcquireLease) named after
	// the manifest (LockObjectName) instead of the directory's flock.
	Store store.Store
	// Manifest is the run's manifest name: ManifestName if empty, or a
	// shard's ShardManifestName. The dataset's earlier manifest is read
	// from the same name.
	Manifest string
}

// Session is one writing run's hold on a dataset directory: the lock, the
// settings and the run's manifest. Close it when the run is done.
type Session struct {
	dir      string
	st       store.Store
	lock     *Lock
	leases   []*store.Lease // on an object store: the run's lock object first
	others   []string       // the other manifests a run on the whole dataset locked
	mode     Mode
	manifest *Manifest
	symbols  []string
}

// Begin starts a writing run on the dataset in dir, creating dir if
// needed. It takes the directory's lock first, or fails at once with a
// *LockedError; then it reads the dataset's manifest (unless opts.Mode is
// Overwrite), refuses with a *SettingsError a run whose settings differ
// from the dataset's, and saves the run's manifest, all before the run
// makes any request.
//
// The run's manifest lists the dataset's symbols as they were and the
// run's: a symbol with a complete file (an ok entry whose file, at the
// path the settings give it, exists) keeps its entry, to be brought up to
// date (Update) or, if its file is intact, carried over (Resume); every
// other run symbol is pending. Entries of a version 1 manifest, which does
// not say which settings made their files, are brought up to date by no
// run: Update fetches them whole. The single layout, whose one file every
// run rewrites, keeps no symbol outside the run.
//
// On an object store a run without settings of its own (`loader update`)
// takes the dataset's state from all its manifests together ([LoadUnion]),
// as N shards may have written it, and saves its own manifest, ManifestName,
// which lists every symbol of the dataset. Such a run, and an Overwrite
// (which a shard's manifest cannot have: it replaces the whole dataset),
// also takes the lock object of every other manifest it finds, so that no
// shard writes the dataset meanwhile. An Overwrite ends with RemoveStale.
//
// A session holds the lock until Close; the OS releases it if the process
// dies first (a lock object's lease runs out).
func Begin(dir string, opts BeginOptions) (*Session, error) {
	h := opts.Holder
	if h == (Holder{}) {
		h = ThisProcess()
	}
	if opts.Manifest == "" {
		opts.Manifest = ManifestName
	}
	if _, local := opts.Store.(*store.Dir); opts.Store == nil || local {
		if opts.Store == nil {
			opts.Store = store.NewDir(dir)
		}
		lock, err := Acquire(dir, h)
		if err != nil {
			return nil, err
		}
		s, err := begin(dir, opts)
		if err != nil {
			lock.Release()
			return nil, err
		}
		s.lock = lock
		return s, nil
	}
	leases, others, err := acquireLeases(opts)
	if err != nil {
		return nil, err
	}
	s, err := begin(dir, opts)
	if err != nil {
		releaseLeases(leases)
		return nil, err
	}
	s.leases, s.others = leases, others
	return s, nil
}

// wholeDataset reports whether a run of opts writes the whole dataset
// rather than its own manifest's symbols: an update with the dataset's own
// settings (`loader update`), and an overwrite.
func (opts BeginOptions) wholeDataset() bool { return opts.Settings == nil || opts.Mode == Overwrite }

// acquireLeases takes the lock object of the run's manifest on an object
// store and, for a run on the whole dataset, the lock object of every other
// manifest there, so that no shard writes while the run updates or
// replaces its symbols. It returns the leases and the other manifests.
// A shard that starts later with a manifest of its own is not excluded:
// loader coordinates no more than its lock objects.
func acquireLeases(opts BeginOptions) ([]*store.Lease, []string, error) {
	ctx := context.Background()
	if opts.Mode == Overwrite && opts.Manifest != ManifestName {
		return nil, nil, fmt.Errorf("%s: an overwrite replaces the whole dataset, which the run of manifest %s (a shard) cannot: run it without a shard", opts.Store, opts.Manifest)
	}
	lock := func(manifest string) (*store.Lease, error) {
		lease, err := store.AcquireLease(ctx, opts.Store, LockObjectName(manifest), 0)
		if errors.Is(err, store.ErrLocked) {
			return nil, &leaseLockedError{err}
		}
		return lease, err
	}
	own, err := lock(opts.Manifest)
	if err != nil {
		return nil, nil, err
	}
	leases := []*store.Lease{own}
	if !opts.wholeDataset() {
		return leases, nil, nil
	}
	others, err := manifestsBut(ctx, opts.Store, opts.Manifest)
	if err != nil {
		releaseLeases(leases)
		return nil, nil, err
	}
	for _, name := range others {
		l, err := lock(name)
		if err != nil {
			releaseLeases(leases)
			return nil, nil, err
		}
		leases = append(leases, l)
	}
	return leases, others, nil
}

// manifestsBut lists the manifests in st other than name.
func manifestsBut(ctx context.Context, st store.Store, name string) ([]string, error) {
	objs, err := st.List(ctx)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("read manifests: %w", err)
	}
	var names []string
	for _, o := range objs {
		if IsManifest(o.Key) && o.Key != name {
			names = append(names, o.Key)
		}
	}
	return names, nil
}

// releaseLeases releases leases, the last taken first.
func releaseLeases(leases []*store.Lease) error {
	var errs []error
	for _, l := range slices.Backward(leases) {
		errs = append(errs, l.Release(context.Background()))
	}
	return errors.Join(errs...)
}

// leaseLockedError is a lock object's refusal (store.LockedError), matching
// ErrLocked as the directory's LockedError does.
type leaseLockedError struct{ err error }

func (e *leaseLockedError) Error() string        { return ErrLocked.Error() + ": " + e.err.Error() }
func (e *leaseLockedError) Unwrap() error        { return e.err }
func (e *leaseLockedError) Is(target error) bool { return target == ErrLocked }

func begin(dir string, opts BeginOptions) (*Session, error) {
	ctx := context.Background()
	st := opts.Store
	var (
		prev   *Manifest
		loaded *Union // every manifest's, when the state came from them
	)
	_, local := st.(*store.Dir)
	switch {
	case opts.Mode == Overwrite:
	case !local && opts.Settings == nil:
		// On an object store the dataset's state is what all its
		// manifests say together: N shards may have written it.
		var err error
		if loaded, err = LoadUnion(ctx, st); err != nil {
			return nil, err
		}
		if prev, err = loaded.state(opts.Manifest); err != nil {
			return nil, err
		}
	default:
		m, err := LoadManifestAt(ctx, st, opts.Manifest)
		switch {
		case err == nil:
			prev = m
		case !errors.Is(err, fs.ErrNotExist):
			return nil, err
		}
	}
	settings, err := runSettings(dir, prev, opts.Settings)
	if err != nil {
		return nil, err
	}
	if opts.Mode == Resume && !settings.Layout.SupportsResume() {
		return nil, fmt.Errorf("%s: layout %s cannot resume: its single file is rewritten whole by every run", dir, settings.Layout)
	}
	symbols := opts.Symbols
	if opts.Settings == nil {
		symbols = nil
		for _, e := range prev.Entries() {
			symbols = append(symbols, e.Symbol)
		}
		for _, sym := range opts.Symbols {
			if _, ok := prev.Entry(sym); !ok {
				symbols = append(symbols, sym)
			}
		}
	}

	var union *Union
	if opts.Mode == Resume && (!local || opts.Manifest != ManifestName) {
		// Resume keeps what any manifest of the dataset vouches for,
		// however the universe was split before.
		if union = loaded; union == nil {
			if union, err = LoadUnion(ctx, st); err != nil {
				return nil, fmt.Errorf("resume: %w", err)
			}
		}
	}
	p := planner{st: st, prev: prev, union: union, settings: settings, mode: opts.Mode}
	entries, ordered := p.plan(symbols)
	run := opts.Run
	run.Settings = settings
	m, err := newManifest(st, opts.Manifest, run, entries)
	if err != nil {
		return nil, err
	}
	return &Session{dir: dir, st: st, mode: opts.Mode, manifest: m, symbols: ordered}, nil
}

// runSettings returns the settings of a run asking for run (nil for the
// dataset's own) on the dataset of prev (nil for none).
func runSettings(dir string, prev *Manifest, run *Settings) (Settings, error) {
	if run == nil {
		switch {
		case prev == nil:
			return Settings{}, fmt.Errorf("%s: %w", dir, ErrNoDataset)
		case prev.Version() == 1:
			return Settings{}, fmt.Errorf("%s: %w", dir, ErrSettingsUnknown)
		}
		return prev.Settings(), nil
	}
	want := run.Normalized()
	if err := want.validate(); err != nil {
		return Settings{}, fmt.Errorf("%s: settings: %w", dir, err)
	}
	if prev == nil {
		return want, nil
	}
	have := prev.Settings()
	if prev.Version() == 1 {
		have = recordedByV1(have, want)
	}
	if diffs := have.Diff(want); len(diffs) > 0 {
		return Settings{}, &SettingsError{Dir: dir, Differences: diffs}
	}
	return want, nil
}

// recordedByV1 returns want with the settings a version 1 manifest
// recorded (source, function, format, layout, compression, each when not
// empty) replaced by those of have: the settings it left out cannot
// differ.
func recordedByV1(have, want Settings) Settings {
	out := want
	if have.Source != "" {
		out.Source = have.Source
	}
	if have.Function != "" {
		out.Function = have.Function
	}
	out.Format, out.Layout = have.Format, have.Layout
	if have.Compression != "" {
		out.Compression = have.Compression
	}
	out.SchemaVersion = have.SchemaVersion
	return out
}

// planner decides what a run does with each symbol.
type planner struct {
	st       store.Store
	union    *Union // every manifest of the dataset, for Resume of a shard or on an object store
	prev     *Manifest
	settings Settings
	mode     Mode
}

type task int

const (
	taskFetch task = iota
	taskUpdate
	taskKeep
)

// plan returns the entries of the run's manifest, the dataset's order
// first, and the run's symbols ordered by need: those without a complete
// file first, in the order given, then those to bring up to date, the
// stalest first, then those carried over.
func (p planner) plan(symbols []string) ([]Entry, []string) {
	inRun := make(map[string]bool, len(symbols))
	for _, s := range symbols {
		inRun[s] = true
	}
	type planned struct {
		sym   string
		task  task
		entry Entry
		order int
	}
	var entries []Entry
	seen := make(map[string]bool)
	if p.prev != nil {
		for _, e := range p.prev.Entries() {
			if !inRun[e.Symbol] && p.settings.Layout == LayoutSingle {
				continue
			}
			e.CarriedOver = false
			entries = append(entries, e)
			seen[e.Symbol] = true
		}
	}
	for _, s := range symbols {
		if !seen[s] {
			entries = append(entries, Entry{Symbol: s, Status: StatusPending})
		}
	}
	index := make(map[string]int, len(entries))
	for i, e := range entries {
		index[e.Symbol] = i
	}

	runs := make([]planned, 0, len(symbols))
	for i, s := range symbols {
		e := &entries[index[s]]
		t := p.task(*e)
		switch t {
		case taskFetch:
			*e = Entry{Symbol: s, Status: StatusPending}
		case taskUpdate:
			e.Reason = ""
		case taskKeep:
			if p.union != nil {
				*e, _ = p.union.Entry(s)
			}
			e.CarriedOver = true
		}
		runs = append(runs, planned{sym: s, task: t, entry: *e, order: i})
	}
	slices.SortStableFunc(runs, func(a, b planned) int {
		if c := cmp.Compare(a.task, b.task); c != 0 || a.task != taskUpdate {
			return c
		}
		return cmp.Or(cmp.Compare(a.entry.LastDate, b.entry.LastDate), cmp.Compare(a.entry.FetchedAt, b.entry.FetchedAt))
	})
	ordered := make([]string, len(runs))
	for i, r := range runs {
		ordered[i] = r.sym
	}
	return entries, ordered
}

// task decides what the run does with the symbol of e.
func (p planner) task(e Entry) task {
	if p.union != nil && p.mode == Resume && p.settings.Layout != LayoutSingle {
		path, err := p.settings.Layout.Path(e.Symbol, p.settings.Format)
		if err != nil {
			return taskFetch
		}
		if _, ok := p.union.Resumable(context.Background(), e.Symbol, path); ok {
			return taskKeep
		}
		return taskFetch
	}
	if p.prev == nil || p.mode == Overwrite || p.settings.Layout == LayoutSingle || e.Status != StatusOK {
		return taskFetch
	}
	path, err := p.settings.Layout.Path(e.Symbol, p.settings.Format)
	if err != nil || e.File != path {
		return taskFetch
	}
	if p.mode == Resume {
		if _, ok := p.prev.Resumable(e.Symbol, path); ok {
			return taskKeep
		}
		return taskFetch
	}
	if p.prev.Version() != manifestVersion {
		return taskFetch
	}
	// The file need not match its hash: a run killed between renaming a
	// new file into place and saving the manifest leaves a complete file
	// the manifest does not describe yet, and an update checks every
	// stored day against the source anyway.
	if d, ok := p.st.(*store.Dir); ok {
		if st, err := os.Stat(filepath.Join(d.Path(), filepath.FromSlash(path))); err != nil || !st.Mode().IsRegular() {
			return taskFetch
		}
	} else if _, err := p.st.Stat(context.Background(), path); err != nil {
		return taskFetch
	}
	return taskUpdate
}

// Dir returns the dataset's directory.
func (s *Session) Dir() string { return s.dir }

// Settings returns the run's settings, which are the dataset's.
func (s *Session) Settings() Settings { return s.manifest.Settings() }

// Manifest returns the run's manifest. A symbol of the run whose entry is
// ok and not carried over is one to bring up to date (see fetch.Run).
func (s *Session) Manifest() *Manifest { return s.manifest }

// Symbols returns the run's symbols, ordered by need: those without a
// complete file first, then the stalest.
func (s *Session) Symbols() []string { return slices.Clone(s.symbols) }

// Store returns where the dataset lives.
func (s *Session) Store() store.Store { return s.st }

// RemoveStale ends a run that replaced the dataset (Overwrite), after its
// manifest was finished: it removes what no longer belongs to the dataset
// and returns the locations it removed. On a local directory that is what
// RemoveUnlisted removes.
//
// On an object store readers read the objects as they are, so the order
// keeps a readable dataset under the prefix at every moment, a crash
// included. While the run went on, each object it wrote replaced the old
// one of its key in one step, and the old objects of other keys stayed.
// Once the finished manifest is saved, RemoveStale removes first the other
// manifests (those of shards, which the session has held locked since
// Begin), so that no manifest vouches for what is about to go, then every
// data object the run's manifest does not list as an ok symbol's (other
// symbols, formats and layouts). A crash between the two leaves objects no
// manifest lists; another overwrite removes them. A manifest that
// appeared during the run, whose writer the session did not lock, stops
// RemoveStale before it removes anything.
func (s *Session) RemoveStale(ctx context.Context) ([]string, error) {
	if s.mode != Overwrite {
		return nil, fmt.Errorf("%s: only a run that replaces the dataset removes what no longer belongs", s.dir)
	}
	if s.manifest.Run().Finished == nil {
		return nil, fmt.Errorf("%s: the run's manifest is not finished: the dataset is not replaced yet", s.dir)
	}
	if s.lock != nil {
		return RemoveUnlisted(s.dir)
	}
	objs, err := s.st.List(ctx)
	if err != nil {
		return nil, fmt.Errorf("remove what no longer belongs to %s: %w", s.dir, err)
	}
	var stale, data []string
	for _, o := range objs {
		switch {
		case IsManifest(o.Key) && o.Key != s.manifest.Name():
			if !slices.Contains(s.others, o.Key) {
				return nil, fmt.Errorf("%s: %s appeared while this run replaced the dataset: another writer is at work; nothing was removed, run the overwrite again when it has finished",
					s.dir, store.Join(s.st.String(), o.Key))
			}
			stale = append(stale, o.Key)
		case IsDataKey(o.Key):
			data = append(data, o.Key)
		}
	}
	keep := map[string]bool{}
	for _, e := range s.manifest.Entries() {
		if e.Status == StatusOK && e.File != "" {
			keep[e.File] = true
		}
	}
	var removed []string
	for _, key := range stale {
		if err := s.st.Delete(ctx, key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("remove the stale manifest: %w", err)
		}
		removed = append(removed, store.Join(s.st.String(), key))
	}
	var errs []error
	for _, key := range data {
		if keep[key] {
			continue
		}
		if err := s.st.Delete(ctx, key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
			continue
		}
		removed = append(removed, store.Join(s.st.String(), key))
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("remove objects that no longer belong to %s: %w", s.dir, err)
	}
	return removed, nil
}

// Close releases the lock (or the lock object). Later calls do nothing.
func (s *Session) Close() error {
	if s.lock == nil {
		leases := s.leases
		s.leases = nil
		return releaseLeases(leases)
	}
	return s.lock.Release()
}
