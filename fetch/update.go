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
	if e, ok := r.updates[sym]; ok {
		return r.update(ctx, sym, e)
	}
	s, err := r.request(ctx, sym, "")
	if err != nil {
		return job{}, err
	}
	return job{Series: s, outcome: Fetched}, nil
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
		s, err := r.request(ctx, sym, "")
		if err != nil {
			return job{}, err
		}
		return job{Series: s, outcome: Refetched, why: "the sink cannot read back what it stored"}, nil
	}
	var size sources.OutputSize
	if _, sized := r.cfg.Source.(sources.SizedSource); sized && r.size != sources.Compact && withinCompact(e.LastDate, r.cfg.Now()) {
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
	from, why := overlap(stored, s.Record)
	if why != "" {
		stored.Release()
		return r.refetch(ctx, s, size, why)
	}
	if from == int(s.Record.NumRows()) {
		stored.Release()
		s.Record.Release()
		s.Record = nil
		return job{Series: s, outcome: Unchanged, file: file}, nil
	}
	rec, err := merged(stored, s.Record, from, r.cfg.Allocator)
	days := int(s.Record.NumRows()) - from
	s.Record.Release()
	if err != nil {
		stored.Release()
		return job{}, fmt.Errorf("update %s: %w", sym, err)
	}
	s.Record = rec
	s.Meta = withOutputSize(s.Meta, r.size)
	j := job{Series: s, outcome: Appended, days: days, file: file}
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
		out := job{Series: j.Series, outcome: Appended, days: days, file: j.file}
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
		r.finish(res)
		return nil
	}
	defer j.Record.Release()
	f, err := r.cfg.Sink.Write(ctx, j.Series)
	if err != nil {
		return err
	}
	f.FetchedAt = fetchedAt
	res.File = f
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
