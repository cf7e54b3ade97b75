package dataset

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// ManifestName is the manifest's file name in the output directory.
const ManifestName = "_manifest.json"

// manifestVersion is the version of the manifest's JSON shape. Version 1
// kept source, function, format, layout and compression at the top and
// nothing else of the settings; version 2 records every setting under
// "settings" and each symbol's fetched_at.
const manifestVersion = 2

// MaxManifestBytes bounds the size of a manifest LoadManifest reads: a
// larger file is refused, not read, since no dataset needs one (a symbol
// takes about 300 bytes).
const MaxManifestBytes = 64 << 20

// dateLayout formats the dates of an Entry.
const dateLayout = "2006-01-02"

// Errors of LoadManifest, matched with errors.Is.
var (
	// ErrCorruptManifest marks a manifest file that is not valid manifest
	// JSON, or too large to be one.
	ErrCorruptManifest = errors.New("corrupt manifest")
	// ErrNewerManifest marks a manifest written by a newer loader, in a
	// version this one cannot read.
	ErrNewerManifest = errors.New("manifest of a newer loader")
)

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
	// FetchedAt is when the symbol's data was last fetched, and found to
	// be as stored or stored anew (RFC 3339, UTC).
	FetchedAt string `json:"fetched_at,omitempty"`
	// Reason explains a failure or a skip, or for an ok symbol why the
	// last run did not bring it up to date (its file is as before).
	Reason string `json:"reason,omitempty"`
	// CarriedOver marks an entry kept from an earlier run by --resume;
	// its file was verified, not rewritten.
	CarriedOver bool `json:"carried_over,omitempty"`
}

// Run describes the last run that wrote the dataset, and the settings of
// the dataset. The caller fills it in; the manifest only adds Finished.
type Run struct {
	Started time.Time
	// Finished is nil until Finish: a manifest without it comes from a
	// run that is still going or was killed.
	Finished      *time.Time
	LoaderVersion string
	// Settings are those that made the dataset's files.
	Settings Settings
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
	// FetchedAt is when the data was fetched, zero if unknown. The writer
	// leaves it to its caller.
	FetchedAt time.Time
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
	Version       int        `json:"manifest_version"`
	Started       time.Time  `json:"started"`
	Finished      *time.Time `json:"finished,omitempty"`
	LoaderVersion string     `json:"loader_version,omitempty"`
	Settings      Settings   `json:"settings"`
	Totals        Totals     `json:"totals"`
	Symbols       []Entry    `json:"symbols"`
}

// documentV1 is the JSON shape of version 1, in which a manifest loaded
// from such a file is saved again: saved as the current version, it would
// claim to record settings it does not know.
type documentV1 struct {
	Version       int         `json:"manifest_version"`
	Started       time.Time   `json:"started"`
	Finished      *time.Time  `json:"finished,omitempty"`
	Source        string      `json:"source,omitempty"`
	Function      string      `json:"function,omitempty"`
	Format        Format      `json:"format,omitempty"`
	Layout        Layout      `json:"layout,omitempty"`
	Compression   Compression `json:"compression,omitempty"`
	LoaderVersion string      `json:"loader_version,omitempty"`
	Totals        Totals      `json:"totals"`
	Symbols       []Entry     `json:"symbols"`
}

// anyDocument is what LoadManifest reads: a document of either version.
type anyDocument struct {
	Version       int        `json:"manifest_version"`
	Started       time.Time  `json:"started"`
	Finished      *time.Time `json:"finished"`
	LoaderVersion string     `json:"loader_version"`
	Settings      *Settings  `json:"settings"`
	Symbols       []Entry    `json:"symbols"`
	// Version 1 kept these at the top, and no other setting.
	Source      string      `json:"source"`
	Function    string      `json:"function"`
	Format      Format      `json:"format"`
	Layout      Layout      `json:"layout"`
	Compression Compression `json:"compression"`
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
	// loadedVersion is the manifest_version of the file it was loaded
	// from, manifestVersion for a new one.
	loadedVersion int

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

	room *reserve // disk space for the last save, given back by Finish
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
	entries := make([]Entry, 0, len(symbols)+len(kept))
	for _, s := range symbols {
		entries = append(entries, Entry{Symbol: s, Status: StatusPending})
	}
	for _, e := range kept {
		e.CarriedOver = true
		entries = append(entries, e)
	}
	return newManifest(st, name, run, entries)
}

// newManifest saves a manifest of entries named name in st, a later entry
// of a symbol replacing an earlier one in its place.
func newManifest(st store.Store, name string, run Run, entries []Entry) (*Manifest, error) {
	run.Settings = run.Settings.Normalized()
	m := &Manifest{st: st, key: name, path: manifestPath(st, name), loadedVersion: manifestVersion, run: run, index: make(map[string]int)}
	for _, e := range entries {
		m.put(e)
	}
	m.version++
	if err := m.save(); err != nil {
		return nil, err
	}
	if d, ok := st.(*store.Dir); ok {
		m.room = reserveSpace(d.Path(), len(m.entries))
	}
	return m, nil
}

// manifestPath names the manifest name of st in messages: a file path for
// a local directory, a URL on an object store.
func manifestPath(st store.Store, name string) string {
	if d, ok := st.(*store.Dir); ok {
		return filepath.Join(d.Path(), name)
	}
	return store.Join(st.String(), name)
}

// LoadManifest reads DIR/_manifest.json, of the current version or
// version 1 (whose settings are only source, function, format, layout and
// compression: see Version; it is saved again as version 1). A missing file gives an error matching
// fs.ErrNotExist; a corrupt one, or one over MaxManifestBytes, an error
// matching ErrCorruptManifest, and one of a newer loader an error matching
// ErrNewerManifest, each naming the file. It never reads more than
// MaxManifestBytes. Changes to the loaded manifest are saved to the same
// file.
func LoadManifest(dir string) (*Manifest, error) {
	return LoadManifestAt(context.Background(), store.NewDir(dir), ManifestName)
}

// LoadManifestAt is LoadManifest for the manifest named name in st.
func LoadManifestAt(ctx context.Context, st store.Store, name string) (*Manifest, error) {
	p := manifestPath(st, name)
	data, err := readManifest(ctx, st, name, p)
	if err != nil {
		return nil, err
	}
	var doc anyDocument
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCorruptManifest, p, err)
	}
	run := Run{Started: doc.Started, Finished: doc.Finished, LoaderVersion: doc.LoaderVersion}
	switch {
	case doc.Version > manifestVersion:
		return nil, fmt.Errorf("%w %s: manifest_version %d; this loader reads versions 1 to %d", ErrNewerManifest, p, doc.Version, manifestVersion)
	case doc.Version == 1:
		run.Settings = Settings{Source: doc.Source, Function: doc.Function, Format: doc.Format, Layout: doc.Layout,
			Compression: doc.Compression, SchemaVersion: 1}
		if run.Settings.Format == "" {
			run.Settings.Format = FormatParquet
		}
		if run.Settings.Layout == "" {
			run.Settings.Layout = LayoutFiles
		}
	case doc.Version == manifestVersion && doc.Settings != nil:
		run.Settings = *doc.Settings
	case doc.Version == manifestVersion:
		return nil, fmt.Errorf("%w %s: no settings", ErrCorruptManifest, p)
	default:
		return nil, fmt.Errorf("%w %s: manifest_version %d, want 1 to %d", ErrCorruptManifest, p, doc.Version, manifestVersion)
	}
	if err := run.Settings.validate(); err != nil {
		return nil, fmt.Errorf("%w %s: settings: %w", ErrCorruptManifest, p, err)
	}
	run.Settings = run.Settings.Normalized()
	m := &Manifest{st: st, key: name, path: p, loadedVersion: doc.Version, run: run, index: make(map[string]int)}
	for _, e := range doc.Symbols {
		if err := e.validate(); err != nil {
			return nil, fmt.Errorf("%w %s: %w", ErrCorruptManifest, p, err)
		}
		m.put(e)
	}
	return m, nil
}

// validate reports what in e no loader could have written.
func (e Entry) validate() error {
	if e.Symbol == "" {
		return errors.New("an entry has no symbol")
	}
	switch e.Status {
	case StatusPending, StatusOK, StatusFailed, StatusSkipped:
	default:
		return fmt.Errorf("%s: unknown status %q", e.Symbol, e.Status)
	}
	if e.File != "" && (!filepath.IsLocal(filepath.FromSlash(e.File)) || filepath.ToSlash(filepath.Clean(filepath.FromSlash(e.File))) != e.File) {
		return fmt.Errorf("%s: file %q is not a clean path inside the dataset", e.Symbol, e.File)
	}
	if e.Rows < 0 || e.Bytes < 0 || e.Attempts < 0 {
		return fmt.Errorf("%s: negative rows, bytes or attempts", e.Symbol)
	}
	for _, d := range []string{e.FirstDate, e.LastDate} {
		if _, err := parseDay(d); err != nil {
			return fmt.Errorf("%s: %w", e.Symbol, err)
		}
	}
	if e.FetchedAt != "" {
		if _, err := time.Parse(time.RFC3339, e.FetchedAt); err != nil {
			return fmt.Errorf("%s: fetched_at %q: want an RFC 3339 time", e.Symbol, e.FetchedAt)
		}
	}
	return nil
}

// Version returns the manifest_version of the file m was loaded from, or
// the current version for a new manifest. A version 1 manifest records
// only source, function, format, layout and compression of its Settings.
func (m *Manifest) Version() int { return m.loadedVersion }

// Settings returns the settings that made the dataset's files.
func (m *Manifest) Settings() Settings {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.run.Settings
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
	if !f.FetchedAt.IsZero() {
		e.FetchedAt = f.FetchedAt.UTC().Format(time.RFC3339)
	}
	return m.update(func() { m.put(e) })
}

// RecordKept records why symbol, ok, was not brought up to date by this
// run (its update failed, or the run stopped first): its file and entry
// stay as they were, with reason. The manifest is a file users share:
// reason must not contain a secret. It saves.
func (m *Manifest) RecordKept(symbol, reason string) error {
	return m.update(func() {
		if i, ok := m.index[symbol]; ok && m.entries[i].Status == StatusOK {
			m.entries[i].Reason, m.entries[i].CarriedOver = reason, false
		}
	})
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

// Finish records the end of the run at t and saves at once. A manifest
// from NewManifest holds disk space for this save from its start, so that
// a run that filled the disk still ends with a true manifest.
func (m *Manifest) Finish(t time.Time) error {
	m.room.release()
	m.room = nil
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
	var doc any = document{
		Version:       manifestVersion,
		Started:       m.run.Started,
		Finished:      m.run.Finished,
		LoaderVersion: m.run.LoaderVersion,
		Settings:      m.run.Settings,
		Totals:        m.totals(),
		Symbols:       m.entries,
	}
	if m.loadedVersion == 1 {
		st := m.run.Settings
		doc = documentV1{
			Version:       1,
			Started:       m.run.Started,
			Finished:      m.run.Finished,
			Source:        st.Source,
			Function:      st.Function,
			Format:        st.Format,
			Layout:        st.Layout,
			Compression:   st.Compression,
			LoaderVersion: m.run.LoaderVersion,
			Totals:        m.totals(),
			Symbols:       m.entries,
		}
	}
	data, err := json.MarshalIndent(doc, "", "  ")
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

// readManifest reads the manifest name of st, never more than
// MaxManifestBytes; p names it in errors.
func readManifest(ctx context.Context, st store.Store, name, p string) ([]byte, error) {
	if d, ok := st.(*store.Dir); ok {
		return readManifestFile(filepath.Join(d.Path(), name), p)
	}
	obj, err := st.Stat(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if obj.Size > MaxManifestBytes {
		return nil, fmt.Errorf("%w %s: larger than %d MiB, more than any dataset needs", ErrCorruptManifest, p, MaxManifestBytes>>20)
	}
	data, err := st.ReadFile(ctx, name)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	if len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("%w %s: larger than %d MiB, more than any dataset needs", ErrCorruptManifest, p, MaxManifestBytes>>20)
	}
	return data, nil
}

// readManifestFile reads the manifest file path, never more than
// MaxManifestBytes.
func readManifestFile(path, p string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read manifest: %w", err)
	}
	var data []byte
	if st.Size() <= MaxManifestBytes {
		// Limited all the same: the size of a special file says nothing.
		if data, err = io.ReadAll(io.LimitReader(f, MaxManifestBytes+1)); err != nil {
			return nil, fmt.Errorf("read manifest: %w", err)
		}
	}
	if st.Size() > MaxManifestBytes || len(data) > MaxManifestBytes {
		return nil, fmt.Errorf("%w %s: larger than %d MiB, more than any dataset needs", ErrCorruptManifest, p, MaxManifestBytes>>20)
	}
	return data, nil
}
