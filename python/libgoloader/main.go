// Command libgoloader is the C ABI of the Python package goloader: built with
//
//	go build -buildmode=c-shared -o python/goloader/libgoloader.so ./python/libgoloader
//
// it runs package loader inside the Python process, which loads it with
// ctypes. It only marshals: options arrive as JSON, datasets, loaders and
// batches leave as integer handles, and every error leaves as a C string
// "Type: message", Type naming the Python exception to raise, which the
// caller frees with goloader_free.
//
// A batch's X and Y stay in the Go memory its workers filled: goloader_next
// pins them and hands their addresses to Python, which wraps them without a
// copy; goloader_release unpins them and gives them back to the loader's
// pool. C code may keep those addresses until then, and no longer.
//
// Functions taking a loader handle may be called from any thread, one at a
// time per loader (each loader has a lock); goloader_release from any thread
// at any time. A handle must not be used after goloader_close.
package main

/*
#include <stdint.h>
#include <stdlib.h>

// goloader_batch describes a batch that goloader_next returned: x holds
// size*window*features floats, y size*horizon, both C-ordered, valid until
// goloader_release(handle).
typedef struct {
	uintptr_t handle;
	float *x, *y;
	int64_t size, window, features, horizon, padded, epoch, index;
} goloader_batch;
*/
import "C"

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"runtime"
	"runtime/cgo"
	"slices"
	"strings"
	"sync"
	"time"
	"unsafe"

	// s3:// paths, as `loader batches --in` takes them.
	_ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
	"github.com/seed-c7c8f39b/loader/loader"
)

func main() {}

// datasetOptions are the JSON options of goloader_open: loader.DatasetConfig
// and the path.
type datasetOptions struct {
	Path      string   `json:"path"`
	Features  []string `json:"features"`
	Target    string   `json:"target"`
	TrainEnd  string   `json:"train_end"` // empty or as loader.ParseBoundary takes it
	ValEnd    string   `json:"val_end"`
	Embargo   int      `json:"embargo"`
	Normalize bool     `json:"normalize"`
}

// loaderOptions are the JSON options of goloader_new: loader.Config.
type loaderOptions struct {
	Split     string `json:"split"`
	Window    int    `json:"window"`
	Horizon   int    `json:"horizon"`
	Stride    int    `json:"stride"`
	BatchSize int    `json:"batch_size"`
	DropLast  bool   `json:"drop_last"`
	Shuffle   bool   `json:"shuffle"`
	Seed      uint64 `json:"seed"`
	Workers   int    `json:"workers"`
	Prefetch  int    `json:"prefetch"`
	Rank      int    `json:"rank"`
	WorldSize int    `json:"world_size"`
}

// dataset is what a dataset handle holds.
type dataset struct {
	ds  *loader.Dataset
	cfg loader.DatasetConfig
}

// loaderRef is what a loader handle holds.
type loaderRef struct {
	mu       sync.Mutex
	l        *loader.Loader
	symbols  map[string]int32 // index of each symbol in the dataset's sorted list
	intraday bool             // the dataset's Intraday
}

// batchRef is what a batch handle holds: the batch and the pins that let C
// keep the addresses of its X and Y.
type batchRef struct {
	b        *loader.Batch
	pins     runtime.Pinner
	symbols  map[string]int32
	intraday bool
}

// decode unmarshals the JSON options s into v, refusing unknown fields.
func decode(s *C.char, v any) error {
	dec := json.NewDecoder(strings.NewReader(C.GoString(s)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("goloader: options: %w", err)
	}
	return nil
}

// exception returns err in the form "Type: message" (Type a Python
// exception class) as a C string for the caller to free. A message that
// goes back to an option starts with the option's name.
func exception(err error, cfg *loader.DatasetConfig) *C.char {
	var ce *loader.ColumnError
	kind, arg := "GoError", ""
	switch {
	case errors.Is(err, fs.ErrNotExist):
		kind, arg = "FileNotFoundError", "path"
	case errors.As(err, &ce):
		kind, arg = "ValueError", "path" // a column every file needs
		if cfg != nil && slices.Contains(cfg.Features, ce.Column) {
			arg = "features"
		} else if cfg != nil && ce.Column == cfg.Target {
			arg = "target"
		}
	case errors.Is(err, loader.ErrNoWindows):
		kind, arg = "ValueError", "window"
	case errors.Is(err, loader.ErrFilesChanged):
		kind = "FilesChangedError"
	case errors.Is(err, loader.ErrStateMismatch):
		kind = "StateMismatchError"
	}
	msg := err.Error()
	if arg != "" {
		msg = arg + ": " + msg
	}
	return C.CString(kind + ": " + msg)
}

// jsonOut stores v as a JSON C string in *out, for the caller to free.
func jsonOut(v any, out **C.char) *C.char {
	data, err := json.Marshal(v)
	if err != nil {
		return exception(err, nil)
	}
	*out = C.CString(string(data))
	return nil
}

func parseBoundary(name, s string) (time.Time, error) {
	t, err := loader.ParseBoundary(s)
	if err != nil {
		return t, fmt.Errorf("%s must be a date or a time: %w", name, err)
	}
	return t, nil
}

// goloader_open loads the dataset the JSON datasetOptions describe and
// stores its handle in *out.
//
//export goloader_open
func goloader_open(options *C.char, out *C.uintptr_t) *C.char {
	var o datasetOptions
	if err := decode(options, &o); err != nil {
		return exception(err, nil)
	}
	cfg := loader.DatasetConfig{Features: o.Features, Target: o.Target, Embargo: o.Embargo, Normalize: o.Normalize}
	var err error
	if cfg.TrainEnd, err = parseBoundary("train_end", o.TrainEnd); err != nil {
		return C.CString("ValueError: " + err.Error())
	}
	if cfg.ValEnd, err = parseBoundary("val_end", o.ValEnd); err != nil {
		return C.CString("ValueError: " + err.Error())
	}
	if !cfg.ValEnd.IsZero() && !cfg.ValEnd.After(cfg.TrainEnd) {
		return C.CString(fmt.Sprintf("ValueError: val_end %s must be after train_end %s", o.ValEnd, o.TrainEnd))
	}
	ds, err := loader.Open(o.Path, cfg)
	if err != nil {
		return exception(err, &cfg)
	}
	*out = C.uintptr_t(cgo.NewHandle(&dataset{ds: ds, cfg: cfg}))
	return nil
}

// goloader_dataset_info stores in *out a JSON object describing the
// dataset: symbols, features, target, rows, files, fingerprint, and
// intraday: whether its rows are intraday bars, whose batch info times are
// microseconds rather than days (see goloader_batch_info).
//
//export goloader_dataset_info
func goloader_dataset_info(h C.uintptr_t, out **C.char) *C.char {
	ds := cgo.Handle(h).Value().(*dataset).ds
	return jsonOut(map[string]any{
		"symbols":     ds.Symbols(),
		"features":    ds.Features(),
		"target":      ds.Target(),
		"rows":        ds.Rows(),
		"files":       ds.Files(),
		"fingerprint": ds.Fingerprint(),
		"intraday":    ds.Intraday(),
	}, out)
}

// goloader_new creates a loader over the dataset of handle h with the JSON
// loaderOptions, and stores its handle in *out.
//
//export goloader_new
func goloader_new(h C.uintptr_t, options *C.char, out *C.uintptr_t) *C.char {
	d := cgo.Handle(h).Value().(*dataset)
	var o loaderOptions
	if err := decode(options, &o); err != nil {
		return exception(err, nil)
	}
	split, err := loader.ParseSplit(o.Split)
	if err != nil {
		return C.CString("ValueError: split: " + err.Error())
	}
	l, err := loader.New(d.ds, loader.Config{
		Split: split, Window: o.Window, Horizon: o.Horizon, Stride: o.Stride, BatchSize: o.BatchSize,
		DropLast: o.DropLast, Shuffle: o.Shuffle, Seed: o.Seed, Workers: o.Workers, Prefetch: o.Prefetch,
		Rank: o.Rank, WorldSize: o.WorldSize,
	})
	if err != nil {
		return exception(err, &d.cfg)
	}
	symbols := map[string]int32{}
	for i, s := range d.ds.Symbols() {
		symbols[s] = int32(i)
	}
	*out = C.uintptr_t(cgo.NewHandle(&loaderRef{l: l, symbols: symbols, intraday: d.ds.Intraday()}))
	return nil
}

func loaderOf(h C.uintptr_t) *loaderRef { return cgo.Handle(h).Value().(*loaderRef) }

// goloader_info stores in *out a JSON object with the loader's batches per
// epoch (len), windows (samples), batch buffers ever allocated, and its
// configuration with every default filled in.
//
//export goloader_info
func goloader_info(h C.uintptr_t, out **C.char) *C.char {
	r := loaderOf(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	c := r.l.Config()
	return jsonOut(map[string]any{
		"len": r.l.Len(), "samples": r.l.Samples(), "batches_allocated": r.l.BatchesAllocated(),
		"workers": c.Workers, "prefetch": c.Prefetch, "rank": c.Rank, "world_size": c.WorldSize,
	}, out)
}

// goloader_next waits up to timeoutMs milliseconds for the next batch. It
// returns 0 with the batch in *b, 1 at the end of an epoch (the next call
// starts the next one), 2 when the time ran out first (call again: nothing
// is lost), or -1 with the error in *err.
//
//export goloader_next
func goloader_next(h C.uintptr_t, timeoutMs C.int, b *C.goloader_batch, err **C.char) C.int {
	r := loaderOf(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Duration(timeoutMs)*time.Millisecond)
	defer cancel()
	batch, e := r.l.Next(ctx)
	switch {
	case e == io.EOF:
		return 1
	case errors.Is(e, context.DeadlineExceeded):
		return 2
	case e != nil:
		*err = exception(e, nil)
		return -1
	}
	ref := &batchRef{b: batch, symbols: r.symbols, intraday: r.intraday}
	ref.pins.Pin(&batch.X[0])
	ref.pins.Pin(&batch.Y[0])
	*b = C.goloader_batch{
		handle: C.uintptr_t(cgo.NewHandle(ref)),
		x:      (*C.float)(unsafe.Pointer(&batch.X[0])),
		y:      (*C.float)(unsafe.Pointer(&batch.Y[0])),
		size:   C.int64_t(batch.Size), window: C.int64_t(batch.Window), features: C.int64_t(batch.Features),
		horizon: C.int64_t(batch.Horizon), padded: C.int64_t(batch.Padded),
		epoch: C.int64_t(batch.Epoch), index: C.int64_t(batch.Index),
	}
	return 0
}

// goloader_batch_info fills symbols[i] with the index of sample i's symbol
// in the dataset's symbols, and times[i] with the time of its window's last
// row, for the size samples of batch h: the days from 1970-01-01 to its
// date, or over an intraday dataset the microseconds from 1970-01-01 UTC
// to its bar's timestamp (numpy's datetime64[D] and datetime64[us]).
//
//export goloader_batch_info
func goloader_batch_info(h C.uintptr_t, symbols *C.int32_t, times *C.int64_t) {
	ref := cgo.Handle(h).Value().(*batchRef)
	n := ref.b.Size
	syms, tt := unsafe.Slice((*int32)(unsafe.Pointer(symbols)), n), unsafe.Slice((*int64)(unsafe.Pointer(times)), n)
	for i := range n {
		syms[i] = ref.symbols[ref.b.Symbols[i]]
		if ref.intraday {
			tt[i] = ref.b.Dates[i].UnixMicro()
		} else {
			tt[i] = ref.b.Dates[i].Unix() / 86_400
		}
	}
}

// goloader_release gives batch h back to its loader; its X and Y addresses
// must not be used after.
//
//export goloader_release
func goloader_release(h C.uintptr_t) {
	hd := cgo.Handle(h)
	ref := hd.Value().(*batchRef)
	hd.Delete()
	ref.pins.Unpin()
	ref.b.Release()
}

// goloader_state stores in *out the loader's loader.State as JSON.
//
//export goloader_state
func goloader_state(h C.uintptr_t, out **C.char) *C.char {
	r := loaderOf(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	return jsonOut(r.l.State(), out)
}

// goloader_restore restores the loader to the JSON loader.State st.
//
//export goloader_restore
func goloader_restore(h C.uintptr_t, st *C.char) *C.char {
	r := loaderOf(h)
	var state loader.State
	if err := decode(st, &state); err != nil {
		return C.CString("ValueError: state_dict: " + err.Error())
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.l.Restore(state); err != nil {
		return exception(err, nil)
	}
	return nil
}

// goloader_set_epoch moves the loader to the start of epoch.
//
//export goloader_set_epoch
func goloader_set_epoch(h C.uintptr_t, epoch C.int64_t) *C.char {
	r := loaderOf(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.l.SetEpoch(int(epoch)); err != nil {
		return C.CString("ValueError: epoch: " + err.Error())
	}
	return nil
}

// goloader_pause stops the loader's workers, keeping its position.
//
//export goloader_pause
func goloader_pause(h C.uintptr_t) {
	r := loaderOf(h)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.l.Pause()
}

// goloader_close closes the loader or dataset of handle h and deletes the
// handle. Batches not yet released stay valid; a dataset's memory is freed
// once no loader uses it.
//
//export goloader_close
func goloader_close(h C.uintptr_t) {
	hd := cgo.Handle(h)
	if r, ok := hd.Value().(*loaderRef); ok {
		r.mu.Lock()
		r.l.Close()
		r.mu.Unlock()
	}
	hd.Delete()
}

// goloader_goroutines returns the number of goroutines, for tests that
// check that closed loaders leave none behind.
//
//export goloader_goroutines
func goloader_goroutines() C.int { return C.int(runtime.NumGoroutine()) }

// goloader_free frees a string this library returned.
//
//export goloader_free
func goloader_free(s *C.char) { C.free(unsafe.Pointer(s)) }
