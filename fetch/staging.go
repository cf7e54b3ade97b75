package fetch

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// StagingDir is the directory of a dataset where a run that fetches
// intraday history month by month keeps each month it fetched, complete,
// as StagingDir/<SYMBOL>/<YYYY-MM>.arrow (SYMBOL a dataset.FileName),
// until every month of its symbol is in and the symbol's file is written.
// Its name starts with '_', so it is not data: dataset.List, Files,
// Unlisted and RemoveUnlisted, and every reader, pass it by.
const StagingDir = "_months"

// The metadata of a staged month: when it was fetched, by the run's
// clock, and the kind of series it holds.
const (
	stagedAtKey   = "loader_staged_at"
	stagedKindKey = "loader_kind"
)

// staging is the staging area of a dataset's store, for series of kind.
type staging struct {
	st   store.Store
	kind sources.Kind
}

func (s staging) key(sym string, m sources.Month) (string, error) {
	name, err := dataset.FileName(sym)
	if err != nil {
		return "", err
	}
	return path.Join(StagingDir, name, m.String()+".arrow"), nil
}

// put stages series, sym's bars of m fetched at now, in one atomic
// step: the month is there whole or not at all.
func (s staging) put(ctx context.Context, sym string, m sources.Month, series sources.Series, now time.Time) error {
	key, err := s.key(sym, m)
	if err != nil {
		return fmt.Errorf("stage %s %s: %w", sym, m, err)
	}
	md := arrow.MetadataFrom(map[string]string{stagedAtKey: now.UTC().Format(time.RFC3339Nano), stagedKindKey: s.kind.String()})
	schema := arrow.NewSchema(series.Record.Schema().Fields(), &md)
	rec := array.NewRecordBatch(schema, series.Record.Columns(), series.Record.NumRows())
	defer rec.Release()
	up, err := s.st.Create(ctx, key)
	if err != nil {
		return fmt.Errorf("stage %s %s: %w", sym, m, err)
	}
	defer up.Abort()
	w, err := ipc.NewFileWriter(up, ipc.WithSchema(schema))
	if err != nil {
		return fmt.Errorf("stage %s %s: %w", sym, m, err)
	}
	if err := errors.Join(w.Write(rec), w.Close()); err != nil {
		return fmt.Errorf("stage %s %s: %w", sym, m, err)
	}
	if _, err := up.Commit(); err != nil {
		return fmt.Errorf("stage %s %s: %w", sym, m, err)
	}
	return nil
}

// has reports whether sym's month m is staged, of the staging's kind,
// fetched at needBy or later: complete for the run.
func (s staging) has(ctx context.Context, sym string, m sources.Month, needBy time.Time) bool {
	key, err := s.key(sym, m)
	if err != nil {
		return false
	}
	r, err := s.st.Open(ctx, key)
	if err != nil {
		return false
	}
	defer r.Close()
	fr, err := ipc.NewFileReader(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		return false
	}
	defer fr.Close()
	md := fr.Schema().Metadata()
	stamp, _ := md.GetValue(stagedAtKey)
	kind, _ := md.GetValue(stagedKindKey)
	at, err := time.Parse(time.RFC3339Nano, stamp)
	return err == nil && kind == s.kind.String() && !at.Before(needBy) && sameColumns(fr.Schema(), s.kind.Schema())
}

// merge returns sym's staged months, in the order given, as one record
// built with mem, and the keys they are staged under.
func (s staging) merge(ctx context.Context, sym string, months []sources.Month, mem memory.Allocator) (arrow.RecordBatch, []string, error) {
	var recs []arrow.RecordBatch
	keys := make([]string, 0, len(months))
	for _, m := range months {
		key, err := s.key(sym, m)
		if err != nil {
			return nil, nil, err
		}
		f, err := s.read(ctx, key, mem)
		if err != nil {
			return nil, nil, fmt.Errorf("the staged month %s: %w", m, err)
		}
		defer f.Release()
		recs = append(recs, f.Records...)
		keys = append(keys, key)
	}
	rec, err := tablefile.Concat(s.kind.Schema(), recs, mem)
	if err != nil {
		return nil, nil, fmt.Errorf("merge the months of %s: %w", sym, err)
	}
	return rec, keys, nil
}

// read returns the staged month at key, read whole by the one reader of
// written files.
func (s staging) read(ctx context.Context, key string, mem memory.Allocator) (*tablefile.File, error) {
	data, err := s.st.ReadFile(ctx, key)
	if err != nil {
		return nil, err
	}
	f, err := tablefile.ReadBytes(ctx, key, data, mem)
	if err != nil {
		return nil, err
	}
	if !sameColumns(f.Schema, s.kind.Schema()) {
		f.Release()
		return nil, fmt.Errorf("%s: columns %s, want %s's", key, f.Schema, s.kind)
	}
	return f, nil
}

// remove deletes the staged months at keys, and on a local directory the
// staging directories they leave empty. A month it cannot delete stays
// behind harmlessly: a later run takes a staged month only where it was
// fetched after the end of what that run needs of it.
func (s staging) remove(ctx context.Context, keys []string) {
	for _, key := range keys {
		s.st.Delete(ctx, key)
	}
	d, ok := s.st.(*store.Dir)
	if !ok || len(keys) == 0 {
		return
	}
	symDir := filepath.Join(d.Path(), filepath.FromSlash(path.Dir(keys[0])))
	os.Remove(symDir)               // only if empty
	os.Remove(filepath.Dir(symDir)) // StagingDir, only if empty
}
