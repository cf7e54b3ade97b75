package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// ManifestName is the manifest's file name in the output directory.
const ManifestName = "_manifest.json"

// manifestVersion is the version of the manifest's JSON shape.
const manifestVersion = 1

// dateLayout formats the dates of an Entry.
const dateLayout = "2006-01-02"

// ErrCorruptManifest marks a manifest file that is not valid manifest JSON.
var ErrCorruptManifest = errors.New("corrupt manifest")

// Status is the state of one symbol in a manifest.
type Status string

// The statuses of a symbol.
const (
	// StatusPending: requested, not finished (yet). A manifest left by a
	// killed run shows what never finished.
	StatusPending Status = "pending"
	// StatusOK: the symbol's file is complete.
	StatusOK Status = "ok"
	// StatusFailed: fetching or writing failed; Reason says why.
	StatusFailed Status = "failed"
	// StatusSkipped: deliberately not written (for example no rows);
	// Reason says why.
	StatusSkipped Status = "skipped"
)

// Entry is the manifest's record of one symbol.
type Entry struct {
	Symbol string `json:"symbol"`
	Status Status `json:"status"`
	Rows   int64  `json:"rows"`
	// FirstDate and LastDate are YYYY-MM-DD.
	FirstDate string `json:"first_date,omitempty"`
	LastDate  string `json:"last_date,omitempty"`
	// File is relative to the output directory, with '/' separators.
	File  string `json:"file,omitempty"`
	Bytes int64  `json:"bytes,omitempty"`
	// SHA256 is the hex SHA-256 of File, empty in the single layout.
	SHA256 string `json:"sha256,omitempty"`
	// ETag is the object store's entity tag of File, which resume compares
	// instead of reading the object back; empty for a local file.
	ETag     string `json:"etag,omitempty"`
	Attempts int    `json:"attempts"`
	// Reason explains a failure or a skip.
	Reason string `json:"reason,omitempty"`
	// CarriedOver marks an entry kept from an earlier run by --resume;
	// its file was verified, not rewritten.
	CarriedOver bool `json:"carried_over,omitempty"`
}

// Run describes a whole run in the manifest. The caller fills it in; the
// manifest only adds Finished.
type Run struct {
	Started time.Time `json:"started"`
	// Finished is nil until Finish: a manifest without it comes from a
	// run that is still going or was killed.
	Finished *time.Time `json:"finished,omitempty"`
	// Source and Function say where the data came from ("alphavantage",
	// "TIME_SERIES_DAILY").
	Source   string `json:"source,omitempty"`
	Function string `json:"function,omitempty"`
	// Format, Layout and Compression are those of the files.
	Format        Format      `json:"format,omitempty"`
	Layout        Layout      `json:"layout,omitempty"`
	Compression   Compression `json:"compression,omitempty"`
	LoaderVersion string      `json:"loader_version,omitempty"`
}

// File describes a data file a writer finished (or, in the single layout,
// the part one symbol added to the shared file).
type File struct {
	// Path is relative to the output directory, with '/' separators.
	Path string
	// Bytes is the file size. In the single layout it is what this
	// symbol's rows added to the shared file.
	Bytes int64
	// Rows is the number of rows written.
	Rows int64
	// FirstDate and LastDate are the smallest and largest value of the
	// date column (UTC midnight), zero when there is none.
	FirstDate, LastDate time.Time
	// SHA256 is the hex SHA-256 of the file; empty in the single layout,
	// whose file is not final until Close.
	SHA256 string
	// ETag is the object store's entity tag of the object written; empty
	// for a local file.
	ETag string
}

// Totals sums a manifest's entries.
type Totals struct {
	Symbols     int   `json:"symbols"`
	OK          int   `json:"ok"`
	Failed      int   `json:"failed"`
	Skipped     int   `json:"skipped"`
	Pending     int   `json:"pending"`
	CarriedOver int   `json:"carried_over"`
	Rows        int64 `json:"rows"`
	Bytes       int64 `json:"bytes"`
}

// document is the manifest's JSON shape.
type document struct {
	Version int `json:"manifest_version"`
	Run
	Totals  Totals  `json:"totals"`
	Symbols []Entry `json:"symbols"`
}

// SaveInterval is the longest a change to a Manifest waits before it is on
// disk. Saving rewrites the whole file, so saving on every change of a run
// of thousands of symbols would cost time quadratic in their number.
const SaveInterval = 250 * time.Millisecond

// Manifest is DIR/_manifest.json (or a shard's own manifest, see
// [ShardManifestName]): one Entry per requested symbol and the run around
// them. Every save is atomic (temporary file, fsync, rename; a single PUT
// on an object store), so the manifest is always whole. A change is saved at once when the last
// save is older than SaveInterval, and otherwise by a save scheduled for
// then, so a killed run leaves a manifest at most SaveInterval behind;
// Flush and Finish save at once. It is safe for concurrent use.
type Manifest struct {
	st   store.Store
	key  string // the manifest's name in st
	path string // st and key, for messages

	mu      sync.Mutex
	run     Run
	entries []Entry
	index   map[string]int // symbol to position in entries
	version int            // changes made

	saveMu   sync.Mutex // guards the fields below
	saved    int        // the version on disk
	lastSave time.Time
	pending  *time.Timer // a scheduled save, if any
	asyncErr error       // the error of the last scheduled save that failed
}

// NewManifest starts the manifest of a run in dir with every symbol
// pending, in the order given, except those in kept: entries of an earlier
// run whose files are intact (see Resumable), marked CarriedOver. It saves
// at once, replacing an earlier manifest in one atomic step, so a run killed
// at any moment never forgets work an earlier run finished. To resume, load
// the earlier manifest with LoadManifest first.
func NewManifest(dir string, run Run, symbols []string, kept ...Entry) (*Manifest, error) {
	return NewManifestAt(store.NewDir(dir), ManifestName, run, symbols, kept...)
}

// NewManifestAt is NewManifest for the manifest named name (ManifestName,
// or a shard's [ShardManifestName]) in st, a local directory or an
// object-store prefix.
func NewManifestAt(st store.Store, name string, run Run, symbols []string, kept ...Entry) (*Manifest, error) {
	m := &Manifest{st: st, key: name, path: store.Join(st.String(), name), run: run, index: make(map[string]int)}
	for _, s := range symbols {
		m.put(Entry{Symbol: s, Status: StatusPending})
	}
	for _, e := range kept {
		e.CarriedOver = true
		m.put(e)
	}
	m.version++
	if err := m.save(); err != nil {
		return nil, err
	}
	return m, nil
}

// LoadManifest reads DIR/_manifest.json. A missing file gives an error
// matching fs.ErrNotExist; a corrupt one an error matching
// ErrCorruptManifest that names the file. Changes to the loaded manifest
// are saved to the same file.
func LoadManifest(dir string) (*Manifest, error) {
	return LoadManifestAt(context.Background(), store.NewDir(dir), ManifestName)
}

// LoadManifestAt is LoadManifest for the manifest named name in st.
func LoadManifestAt(ctx context.Context, st store.Store, name string) (*Manifest, error) {
	p := store.Join(st.String(), name)
	data, err := st.ReadFile(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var doc document
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCorruptManifest, p, err)
	}
	if doc.Version != manifestVersion {
		return nil, fmt.Errorf("%w %s: manifest_version %d, want %d", ErrCorruptManifest, p, doc.Version, manifestVersion)
	}
	m := &Manifest{st: st, key: name, path: p, run: doc.Run, index: make(map[string]int)}
	for _, e := range doc.Symbols {
		if e.Symbol == "" {
			return nil, fmt.Errorf("%w %s: an entry has no symbol", ErrCorruptManifest, p)
		}
		switch e.Status {
		case StatusPending, StatusOK, StatusFailed, StatusSkipped:
		default:
			return nil, fmt.Errorf("%w %s: %s: unknown status %q", ErrCorruptManifest, p, e.Symbol, e.Status)
		}
		m.put(e)
	}
	return m, nil
}

// Path returns the manifest's file path, or its URL on an object store.
func (m *Manifest) Path() string { return m.path }

// Name returns the manifest's name in its store: ManifestName or a
// shard's [ShardManifestName].
func (m *Manifest) Name() string { return m.key }

// Run returns the run-level fields.
func (m *Manifest) Run() Run {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.run
}

// Entry returns the entry of symbol. A nil Manifest has none.
func (m *Manifest) Entry(symbol string) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	i, ok := m.index[symbol]
	if !ok {
		return Entry{}, false
	}
	return m.entries[i], true
}

// Entries returns every entry, requested symbols first in their order.
func (m *Manifest) Entries() []Entry {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Entry(nil), m.entries...)
}

// Totals sums the entries.
func (m *Manifest) Totals() Totals {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.totals()
}

// RecordOK marks symbol ok, written as f after attempts requests, and
// saves.
func (m *Manifest) RecordOK(symbol string, f File, attempts int) error {
	e := Entry{
		Symbol:   symbol,
		Status:   StatusOK,
		Rows:     f.Rows,
		File:     f.Path,
		Bytes:    f.Bytes,
		SHA256:   f.SHA256,
		ETag:     f.ETag,
		Attempts: attempts,
	}
	if !f.FirstDate.IsZero() {
		e.FirstDate, e.LastDate = f.FirstDate.Format(dateLayout), f.LastDate.Format(dateLayout)
	}
	return m.update(func() { m.put(e) })
}

// RecordFailure marks symbol failed after attempts requests, with the
// text of reason, and saves. The manifest is a file users share: reason
// must not contain a secret.
func (m *Manifest) RecordFailure(symbol string, attempts int, reason error) error {
	e := Entry{Symbol: symbol, Status: StatusFailed, Attempts: attempts}
	if reason != nil {
		e.Reason = reason.Error()
	}
	return m.update(func() { m.put(e) })
}

// RecordSkip marks symbol skipped for reason and saves.
func (m *Manifest) RecordSkip(symbol, reason string) error {
	return m.update(func() { m.put(Entry{Symbol: symbol, Status: StatusSkipped, Reason: reason}) })
}

// Finish records the end of the run at t and saves at once.
func (m *Manifest) Finish(t time.Time) error {
	m.mu.Lock()
	m.run.Finished = &t
	m.version++
	m.mu.Unlock()
	return m.Flush()
}

// Flush saves every change now, cancelling a scheduled save.
func (m *Manifest) Flush() error {
	m.saveMu.Lock()
	if m.pending != nil {
		m.pending.Stop()
		m.pending = nil
	}
	m.saveMu.Unlock()
	return m.save()
}

// Start begins the manifest of a run in dir that will write symbols in
// layout and format. With resume, the symbols an earlier run's manifest
// lists as ok whose files are intact (see Resumable) are carried over;
// without an earlier manifest there is nothing to carry over.
func Start(dir string, run Run, symbols []string, resume bool) (*Manifest, error) {
	return StartAt(context.Background(), store.NewDir(dir), ManifestName, run, symbols, resume)
}

// StartAt is Start for the manifest named name in st. Resume reads every
// manifest of the dataset (see [LoadUnion]), so a shard keeps what any
// earlier run wrote, however the universe was split then.
func StartAt(ctx context.Context, st store.Store, name string, run Run, symbols []string, resume bool) (*Manifest, error) {
	var kept []Entry
	if resume {
		prev, err := LoadUnion(ctx, st)
		if err != nil {
			return nil, fmt.Errorf("resume: %w", err)
		}
		for _, sym := range symbols {
			path, err := run.Layout.Path(sym, run.Format)
			if err != nil {
				continue
			}
			if e, ok := prev.Resumable(ctx, sym, path); ok {
				kept = append(kept, e)
			}
		}
	}
	return NewManifestAt(st, name, run, symbols, kept...)
}

// Resumable returns symbol's entry and true when a new run may keep it
// instead of fetching and writing symbol again: the entry is ok, its file
// is file (the path the new run would write, from Writer.Path, so a
// different format or layout never matches), and the file in the
// manifest's directory has the recorded size and SHA-256 (on an object
// store: the recorded size and ETag). Entries of the single layout have no
// hash and are never resumable. A nil Manifest (no earlier run) vouches
// for nothing.
func (m *Manifest) Resumable(symbol, file string) (Entry, bool) {
	if m == nil {
		return Entry{}, false
	}
	e, ok := m.Entry(symbol)
	if !ok || !intact(context.Background(), m.st, e, file, nil) {
		return Entry{}, false
	}
	return e, true
}

// intact reports whether e is an ok entry for file whose object in st is
// the one e records: the same size and ETag when both are known (obj, if
// not nil, is the object as listed), else the same size and SHA-256, which
// reads the object.
func intact(ctx context.Context, st store.Store, e Entry, file string, obj *store.Object) bool {
	if e.Status != StatusOK || e.File != file || e.SHA256 == "" {
		return false
	}
	if obj == nil || (obj.ETag == "" && e.ETag != "") {
		o, err := st.Stat(ctx, file)
		if err != nil {
			return false
		}
		obj = &o
	}
	if obj.Size != e.Bytes {
		return false
	}
	if e.ETag != "" && obj.ETag != "" {
		return e.ETag == obj.ETag
	}
	r, err := st.Open(ctx, file)
	if err != nil {
		return false
	}
	defer r.Close()
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, 0, r.Size())); err != nil || hex.EncodeToString(h.Sum(nil)) != e.SHA256 {
		return false
	}
	return true
}

// put sets e as the entry of its symbol. m.mu must be held.
func (m *Manifest) put(e Entry) {
	if i, ok := m.index[e.Symbol]; ok {
		m.entries[i] = e
		return
	}
	m.index[e.Symbol] = len(m.entries)
	m.entries = append(m.entries, e)
}

// update applies change and saves it within SaveInterval. It returns the
// error of this save, or of the last scheduled one if it failed, so a
// failing disk is reported by the next change (once per failed save).
func (m *Manifest) update(change func()) error {
	m.mu.Lock()
	change()
	m.version++
	m.mu.Unlock()

	m.saveMu.Lock()
	wait := SaveInterval - time.Since(m.lastSave)
	if wait > 0 {
		if m.pending == nil {
			m.pending = time.AfterFunc(wait, m.scheduledSave)
		}
		err := m.asyncErr
		m.asyncErr = nil // reported once, by this change
		m.saveMu.Unlock()
		return err
	}
	m.saveMu.Unlock()
	return m.save()
}

// scheduledSave is the save that update scheduled.
func (m *Manifest) scheduledSave() {
	m.saveMu.Lock()
	m.pending = nil
	m.saveMu.Unlock()
	err := m.save()
	m.saveMu.Lock()
	m.asyncErr = err
	m.saveMu.Unlock()
}

// save writes the current state unless a save that began after the last
// change already did: callers that queue behind one save find their change
// written by it.
func (m *Manifest) save() error {
	m.saveMu.Lock()
	defer m.saveMu.Unlock()
	m.mu.Lock()
	version := m.version
	if version == m.saved {
		m.mu.Unlock()
		return nil
	}
	data, err := json.MarshalIndent(document{
		Version: manifestVersion,
		Run:     m.run,
		Totals:  m.totals(),
		Symbols: m.entries,
	}, "", "  ")
	m.mu.Unlock()
	if err != nil {
		return fmt.Errorf("encode manifest: %w", err)
	}
	err = m.st.WriteFile(context.Background(), m.key, append(data, '\n'))
	// A failed save counts as a save for SaveInterval too: a failing disk
	// or store, whose every attempt may take seconds of retries, must not
	// make every change wait for one.
	m.lastSave = time.Now()
	if err != nil {
		return fmt.Errorf("save manifest %s: %w", m.path, err)
	}
	m.saved = version
	return nil
}

// totals sums the entries. m.mu must be held.
func (m *Manifest) totals() Totals {
	t := Totals{Symbols: len(m.entries)}
	for _, e := range m.entries {
		switch e.Status {
		case StatusOK:
			t.OK++
		case StatusFailed:
			t.Failed++
		case StatusSkipped:
			t.Skipped++
		case StatusPending:
			t.Pending++
		}
		if e.CarriedOver {
			t.CarriedOver++
		}
		t.Rows += e.Rows
		t.Bytes += e.Bytes
	}
	return t
}
