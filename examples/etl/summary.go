package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/seed-c7c8f39b/loader/sinks"
)

// summaryFile is the JSON-lines file summarySink keeps next to the data.
const summaryFile = "summary.jsonl"

// summarySink is the example's own fetch.Sink: it writes each series as a
// Parquet file through sinks.Writer, appends one JSON line describing it to
// DIR/summary.jsonl and hands the summary to its callback. It is safe for
// concurrent use.
type summarySink struct {
	files   *sinks.Writer
	smaCol  string
	written func(summary) // called under mu
	mu      sync.Mutex    // one JSON line and callback at a time
	jsonl   *os.File
	enc     *json.Encoder
}

// summary is one line of summary.jsonl. A value that every row leaves null
// (an SMA window longer than the series) is omitted.
type summary struct {
	Symbol    string   `json:"symbol"`
	Rows      int64    `json:"rows"`
	First     string   `json:"first"`
	Last      string   `json:"last"`
	LastClose *float64 `json:"last_close,omitempty"`
	LastSMA   *float64 `json:"last_sma,omitempty"`
	MeanRange *float64 `json:"mean_range,omitempty"`
	File      string   `json:"file"`
	Bytes     int64    `json:"bytes"`
}

// newSummarySink writes Parquet files and summary.jsonl into dir, creating
// it, and calls written with every summary. The records it writes must
// hold the smaCol and rangeColumn columns.
func newSummarySink(dir, smaCol string, written func(summary)) (*summarySink, error) {
	files, err := sinks.New(sinks.Options{Dir: dir, Metadata: map[string]string{"written_by": "examples/etl"}})
	if err != nil {
		return nil, err
	}
	jsonl, err := os.Create(filepath.Join(dir, summaryFile))
	if err != nil {
		files.Abort()
		return nil, err
	}
	return &summarySink{files: files, smaCol: smaCol, written: written, jsonl: jsonl, enc: json.NewEncoder(jsonl)}, nil
}

// Write writes s and its summary line. The caller keeps ownership of
// s.Record.
func (k *summarySink) Write(ctx context.Context, s sources.Series) (dataset.File, error) {
	f, err := k.files.Write(ctx, s)
	if err != nil {
		return dataset.File{}, err
	}
	sum := summary{
		Symbol:    s.Symbol,
		Rows:      f.Rows,
		First:     f.FirstDate.Format("2006-01-02"),
		Last:      f.LastDate.Format("2006-01-02"),
		LastClose: last(s.Record, sources.ColClose),
		LastSMA:   last(s.Record, k.smaCol),
		MeanRange: mean(s.Record, rangeColumn),
		File:      f.Path,
		Bytes:     f.Bytes,
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if err := k.enc.Encode(sum); err != nil {
		return dataset.File{}, fmt.Errorf("write %s summary: %w", s.Symbol, err)
	}
	k.written(sum)
	return f, nil
}

// Close finishes the Parquet files and summary.jsonl.
func (k *summarySink) Close() error {
	return errors.Join(k.files.Close(), k.jsonl.Close())
}

// Abort removes the Parquet files being written, for a cancelled run; the
// files already complete and their summary lines stay.
func (k *summarySink) Abort() {
	k.files.Abort()
	k.jsonl.Close()
}

// floats returns rec's float64 column name, or nil if there is none.
func floats(rec arrow.RecordBatch, name string) *array.Float64 {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) == 0 {
		return nil
	}
	col, _ := rec.Column(idx[0]).(*array.Float64)
	return col
}

// last returns the last value of the float64 column name, nil if it is
// missing or null.
func last(rec arrow.RecordBatch, name string) *float64 {
	col := floats(rec, name)
	if col == nil || col.Len() == 0 || col.IsNull(col.Len()-1) {
		return nil
	}
	v := col.Value(col.Len() - 1)
	return &v
}

// mean returns the mean of the valid values of the float64 column name, nil
// if there are none.
func mean(rec arrow.RecordBatch, name string) *float64 {
	col := floats(rec, name)
	if col == nil || col.Len() == col.NullN() {
		return nil
	}
	sum := 0.0
	for i := range col.Len() {
		if col.IsValid(i) {
			sum += col.Value(i)
		}
	}
	v := sum / float64(col.Len()-col.NullN())
	return &v
}
