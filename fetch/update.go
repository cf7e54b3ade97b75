package fetch

import (
	"context"
	"fmt"
	"maps"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Reader is implemented by a Sink that can read back what it stored, which
// bringing a symbol up to date needs (sinks.Writer is one). A Sink without
// it has its symbols fetched whole every time.
type Reader interface {
	// Read returns the record stored for symbol, as Write was given it,
	// built with mem, and the description of what holds it, as Write
	// returned it. The caller releases the record.
	Read(ctx context.Context, symbol string, mem memory.Allocator) (arrow.RecordBatch, dataset.File, error)
}

// job is one symbol on its way through the stages: the series to write
// (none when Unchanged, whose file is stored), what the run does with it,
// and for an append whose transforms still have to run, the stored record
// to keep.
type job struct {
	sources.Series
	outcome Outcome
	days    int
	why     string
	stored  arrow.RecordBatch
	file    dataset.File
	// staged are the keys of the staged months the series was merged
	// from, removed once it is written.
	staged []string
}

// release frees what j holds: the pipeline's discard function.
func (j job) release() {
	if j.Record != nil {
		j.Record.Release()
	}
	if j.stored != nil {
		j.stored.Release()
	}
}

// fetch is the fetch stage: it fetches sym whole, or brings it up to date
// when the manifest lists it ok.
func (r *run) fetch(ctx context.Context, sym string) (job, error) {
	e, ok := r.updates[sym]
	switch {
	case ok && r.cfg.Kind.IsIntraday():
		return r.updateMonths(ctx, sym)
	case ok:
		return r.update(ctx, sym, e)
	}
	return r.fetchWhole(ctx, sym)
}

// fetchWhole fetches sym's whole history in the dataset's size: its
// range's months for a ranged intraday dataset, else one request.
func (r *run) fetchWhole(ctx context.Context, sym string) (job, error) {
	if r.cfg.Kind.IsIntraday() && !r.cfg.Range.Start.IsZero() {
		s, keys, err := r.fetchMonths(ctx, sym, r.cfg.Range.months(r.cfg.Now()))
		if err != nil {
			return job{}, err
		}
		return job{Series: s, outcome: Fetched, staged: keys}, nil
	}
	s, err := r.request(ctx, sym, "")
	if err != nil {
		return job{}, err
	}
	return job{Series: s, outcome: Fetched}, nil
}

// refetchWhole is fetchWhole of a symbol being brought up to date whose
// stored history could not be: why says why, attempts are the requests
// the update already made.
func (r *run) refetchWhole(ctx context.Context, sym, why string, attempts int) (job, error) {
	j, err := r.fetchWhole(ctx, sym)
	if err != nil {
		return job{}, &attemptsError{err: err, extra: attempts}
	}
	j.Attempts += attempts
	j.outcome, j.why = Refetched, why
	return j, nil
}

// request fetches sym in size, or in the source's own size (the
// dataset's) when size is empty.
func (r *run) request(ctx context.Context, sym string, size sources.OutputSize) (sources.Series, error) {
	var s sources.Series
	var err error
	if sized, ok := r.cfg.Source.(sources.SizedSource); ok && size != "" {
		s, err = sized.FetchSize(ctx, sym, size, r.cfg.Allocator)
	} else {
		s, err = r.cfg.Source.Fetch(ctx, sym, r.cfg.Allocator)
	}
	if err == nil {
		s.Meta = withFetchTime(s.Meta)
	}
	return s, err
}

// update brings sym, whose stored state is e, up to date: a compact request
// when its history ends within the compact window (else one in the
// dataset's size), the overlap checked against the stored file, the new
// days appended; any difference refetches it whole in the dataset's size.
func (r *run) update(ctx context.Context, sym string, e dataset.Entry) (job, error) {
	reader, ok := r.cfg.Sink.(Reader)
	if !ok {
		return r.refetchWhole(ctx, sym, "the sink cannot read back what it stored", 0)
	}
	var size sources.OutputSize
	if _, sized := r.cfg.Source.(sources.SizedSource); sized && !r.cfg.Kind.IsPeriod() && r.size != sources.Compact && withinCompact(e.LastDate, r.cfg.Now()) {
		size = sources.Compact
	}
	s, err := r.request(ctx, sym, size)
	if err != nil {
		return job{}, err
	}
	stored, file, err := reader.Read(ctx, sym, r.cfg.Allocator)
	if err != nil {
		return r.refetch(ctx, s, size, fmt.Sprintf("the stored file cannot be read (%v)", err))
	}
	// The newest weekly or monthly bar was that of the then current
	// period, which has gone on since: it is replaced, not compared.
	var current arrow.RecordBatch
	if n := stored.NumRows(); r.cfg.Kind.IsPeriod() && n > 1 {
		current = stored.NewSlice(n-1, n)
		head := stored.NewSlice(0, n-1)
		stored.Release()
		stored = head
		defer current.Release()
	}
	from, why := overlap(stored, s.Record)
	if why != "" {
		stored.Release()
		return r.refetch(ctx, s, size, why)
	}
	news := int(s.Record.NumRows()) - from
	unchanged := news == 0 || current != nil && news == 1 && sameRow(current, 0, s.Record, int64(from))
	j, err := r.appended(sym, stored, s, from, unchanged, file, nil)
	if err == nil && j.outcome == Appended {
		j.Series.Meta = withOutputSize(j.Series.Meta, r.size)
	}
	return j, err
}

// updateMonths brings sym, an intraday symbol with a complete file, up
// to date: the months from that of its last stored bar through the
// current one (or the range's last), the bars they share with the stored
// history checked, the new ones appended; any difference refetches its
// whole range.
func (r *run) updateMonths(ctx context.Context, sym string) (job, error) {
	reader, ok := r.cfg.Sink.(Reader)
	if !ok {
		return r.refetchWhole(ctx, sym, "the sink cannot read back what it stored", 0)
	}
	stored, file, err := reader.Read(ctx, sym, r.cfg.Allocator)
	if err != nil {
		return r.refetchWhole(ctx, sym, fmt.Sprintf("the stored file cannot be read (%v)", err), 0)
	}
	if file.LastDate.IsZero() {
		file.FirstDate, file.LastDate = span(stored)
	}
	a, err := timeAxis(stored)
	if err == nil && len(a.keys) == 0 {
		err = fmt.Errorf("it has no rows")
	}
	if err != nil {
		stored.Release()
		return r.refetchWhole(ctx, sym, fmt.Sprintf("the stored file: %v", err), 0)
	}
	months := r.monthsSince(arrow.Timestamp(a.keys[len(a.keys)-1]).ToTime(sources.TimestampType.Unit))
	if len(months) == 0 {
		stored.Release()
		return job{Series: sources.Series{Symbol: sym, Meta: withFetchTime(nil)}, outcome: Unchanged, file: file}, nil
	}
	s, keys, err := r.fetchMonths(ctx, sym, months)
	if err != nil {
		stored.Release()
		return job{}, err
	}
	from, why := overlap(stored, s.Record)
	if why != "" {
		stored.Release()
		s.Record.Release()
		j, err := r.refetchWhole(ctx, sym, why, s.Attempts)
		if err != nil {
			return job{}, err
		}
		j.staged = append(j.staged, keys...)
		return j, nil
	}
	return r.appended(sym, stored, s, from, from == int(s.Record.NumRows()), file, keys)
}

// appended returns the job of sym once the answer s has been found to
// continue its stored history from its row from on: Unchanged when
// unchanged, else Appended with the merged record, stored kept for the
// transform if there is one. It takes ownership of stored and s.Record.
func (r *run) appended(sym string, stored arrow.RecordBatch, s sources.Series, from int, unchanged bool, file dataset.File, staged []string) (job, error) {
	if unchanged {
		stored.Release()
		s.Record.Release()
		s.Record = nil
		return job{Series: s, outcome: Unchanged, file: file, staged: staged}, nil
	}
	rec, err := merged(stored, s.Record, from, r.cfg.Allocator)
	days := int(s.Record.NumRows()) - from
	s.Record.Release()
	if err != nil {
		stored.Release()
		return job{}, fmt.Errorf("update %s: %w", sym, err)
	}
	s.Record = rec
	j := job{Series: s, outcome: Appended, days: days, file: file, staged: staged}
	if r.cfg.Transform != nil {
		j.stored = stored
	} else {
		stored.Release()
	}
	return j, nil
}

// refetch returns the job of a symbol whose history changed, given the
// answer s to a request in size: s itself when it was in the dataset's
// size, else a new request in the dataset's size.
func (r *run) refetch(ctx context.Context, s sources.Series, size sources.OutputSize, why string) (job, error) {
	if size == "" {
		return job{Series: s, outcome: Refetched, why: why}, nil
	}
	s.Record.Release()
	whole, err := r.request(ctx, s.Symbol, "")
	if err != nil {
		return job{}, &attemptsError{err: err, extra: s.Attempts}
	}
	whole.Attempts += s.Attempts
	return job{Series: whole, outcome: Refetched, why: why}, nil
}

// transform is the transform stage: it runs the transforms over the series,
// or over the merged series of an append, keeping the stored rows.
func (r *run) transform(_ context.Context, j job) (job, error) {
	switch {
	case j.outcome == Unchanged:
		return j, nil
	case j.stored != nil:
		defer j.release()
		rec, days, err := spliced(j.stored, j.Record, r.cfg.Transform, r.cfg.Allocator)
		if err != nil {
			return job{}, fmt.Errorf("transform %s: %w", j.Symbol, err)
		}
		out := job{Series: j.Series, outcome: Appended, days: days, file: j.file, staged: j.staged}
		out.Record = rec
		if rec == nil {
			out.outcome = Unchanged
		}
		return out, nil
	}
	defer j.Record.Release()
	rec, err := r.cfg.Transform(j.Record, r.cfg.Allocator)
	if err != nil {
		return job{}, fmt.Errorf("transform %s: %w", j.Symbol, err)
	}
	j.Record = rec
	return j, nil
}

// write is the write stage.
func (r *run) write(ctx context.Context, j job) error {
	res := Result{Symbol: j.Symbol, Status: dataset.StatusOK, Attempts: j.Attempts, Outcome: j.outcome, Days: j.days, Why: j.why}
	fetchedAt, _ := time.Parse(time.RFC3339, j.Meta["fetched_at"])
	if j.outcome == Unchanged {
		// The file as it is, which the entry may not describe yet: a run
		// killed after writing it, before saving the manifest.
		res.File = j.file
		res.File.FetchedAt = fetchedAt
		r.unstage(ctx, j.staged)
		r.finish(res)
		return nil
	}
	defer j.Record.Release()
	f, err := r.cfg.Sink.Write(ctx, j.Series)
	if err != nil {
		return err
	}
	f.FetchedAt = fetchedAt
	if f.LastDate.IsZero() {
		// A sink that dates a file by its date column alone: intraday
		// bars are dated by their exchange day.
		f.FirstDate, f.LastDate = span(j.Record)
	}
	res.File = f
	r.unstage(ctx, j.staged)
	r.finish(res)
	return nil
}

// withOutputSize returns meta with "output_size" set to size, unless size
// is empty: an appended file holds the dataset's history, not a compact
// answer's.
func withOutputSize(meta map[string]string, size sources.OutputSize) map[string]string {
	if size == "" {
		return meta
	}
	out := make(map[string]string, len(meta)+1)
	maps.Copy(out, meta)
	out["output_size"] = string(size)
	return out
}

// fileOf describes the file of a manifest entry.
func fileOf(e dataset.Entry) dataset.File {
	f := dataset.File{Path: e.File, Bytes: e.Bytes, Rows: e.Rows, SHA256: e.SHA256}
	f.FirstDate, _ = time.Parse(time.DateOnly, e.FirstDate)
	f.LastDate, _ = time.Parse(time.DateOnly, e.LastDate)
	return f
}

// unstage removes the staged months of a series that is written.
func (r *run) unstage(ctx context.Context, keys []string) {
	if len(keys) > 0 {
		staging{st: r.cfg.Staging, kind: r.cfg.Kind}.remove(ctx, keys)
	}
}
