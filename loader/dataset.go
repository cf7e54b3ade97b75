package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"sort"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/sourcegraph/conc/pool"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"
)

// LogReturn is "log_return", the built-in column ln(close[t] / close[t-1])
// that transform.LogReturns appends. A file that has no column of this name
// gets it computed from its close column, as that transform computes it;
// its first row is null.
const LogReturn = transform.LogReturnColumn

// DatasetConfig chooses what a Dataset loads and how it is cut into splits.
type DatasetConfig struct {
	// Features are the columns of X, in this order. Default: [LogReturn].
	Features []string
	// Target is the column of Y. Default: LogReturn, so that the label of a
	// window with Horizon 1 is the next day's log return.
	Target string

	// TrainEnd is the last date of the training split; zero means no
	// splits: every row belongs to the training split.
	//
	// Over an intraday dataset (see [Dataset.Intraday]) a boundary is
	// compared with each bar's instant. One at midnight in its own
	// location is a date, as over daily bars: the split holds the bars of
	// that whole day, through its end in the exchange's zone (the
	// timestamp column's). Any other boundary is an instant: the split
	// holds the bars stamped at or before it.
	TrainEnd time.Time
	// ValEnd is the last date of the validation split; the test split is
	// what follows it. Zero means the validation split runs to the end and
	// there is no test split. It is read as TrainEnd is.
	ValEnd time.Time
	// Embargo is the number of rows (bars: trading days for daily bars,
	// weeks or months for weekly or monthly ones, intervals for intraday
	// ones) after each split boundary that belong to no split, so that
	// rows close to the boundary on either side cannot inform each other.
	Embargo int
	// Normalize z-scores every feature per symbol with the mean and
	// standard deviation of that symbol's training rows only, so no
	// statistic of validation or test data leaks into training. The target
	// is left in its own units. A symbol without training rows has no
	// statistics and yields no windows.
	Normalize bool

	// Allocator is used while decoding files; default memory.DefaultAllocator.
	Allocator memory.Allocator

	// The rest apply to datasets on object storage (see [OpenContext]).

	// ReadAhead is how many objects are read at once, ahead of their
	// decoding (default 16): an object store answers each request after a
	// round trip, so reading one object per core would leave the cores
	// idle.
	ReadAhead int
	// CacheDir, if set, keeps a local copy of every object read, and
	// CacheLimit bounds its size in bytes (0: no bound), evicting the
	// least recently used copies first. Several processes may share one
	// directory, as the ranks of one machine do.
	CacheDir   string
	CacheLimit int64
}

// Split selects the rows a Loader draws windows from.
type Split int

// The splits of a Dataset. All ignores the split dates.
const (
	All Split = iota
	Train
	Val
	Test
)

var splitNames = [...]string{"all", "train", "val", "test"}

// String returns "all", "train", "val" or "test".
func (s Split) String() string {
	if s < 0 || int(s) >= len(splitNames) {
		return fmt.Sprintf("Split(%d)", int(s))
	}
	return splitNames[s]
}

// ParseSplit parses the name String returns.
func ParseSplit(name string) (Split, error) {
	if i := slices.Index(splitNames[:], name); i >= 0 {
		return Split(i), nil
	}
	return 0, fmt.Errorf("loader: unknown split %q (want all, train, val or test)", name)
}

// Dataset holds the chosen columns of a set of files in memory, one series
// per symbol, sorted by time. It is immutable and safe for concurrent use;
// any number of Loaders may share it.
type Dataset struct {
	cfg         DatasetConfig
	series      []series
	files       []string
	fingerprint string
	rows        int
	// zone is the time zone of an intraday dataset's timestamps; nil for
	// a dataset of dates.
	zone *time.Location
}

// series is one symbol's rows.
type series struct {
	symbol string
	// times are the rows' instants in microseconds since 1970-01-01 UTC,
	// strictly increasing: a date's UTC midnight, or an intraday bar's
	// timestamp.
	times []int64
	x     []float32 // rows × features, row-major
	y     []float32 // target per row
	// featBad[i] and targetBad[i] count the rows before i whose features,
	// respectively target, hold a null or NaN: a range is clean when the
	// counts at its ends are equal.
	featBad, targetBad []int32
	// bounds[split] is the [lo, hi) row range of each split.
	bounds [4][2]int
}

// Open loads the files at path — one Parquet or Arrow IPC file, or every such
// file below a directory — into memory. Each file needs a time column — a
// date column, or an intraday series' timestamp column (then the dataset
// is intraday, and every file must have one) — and the configured feature
// and target columns (numeric; nulls allowed). Rows
// are grouped by the symbol column, or, without one, by the file's hive
// directory "symbol=X" or its base name.
//
// path may also be an object-store URL, s3://BUCKET/PREFIX (or one object
// under it): see [OpenContext].
func Open(path string, cfg DatasetConfig) (*Dataset, error) {
	return OpenContext(context.Background(), path, cfg)
}

// OpenContext is Open with a context that bounds the reading of the files.
//
// An object-store URL needs its driver linked in (import _
// "github.com/seed-c7c8f39b/loader/dataset/store/s3store" for s3://, as
// the loader command does). Objects are read ReadAhead at a time, ahead
// of their decoding: a Parquet object larger than a few MiB by ranged
// reads (its footer, then only the column chunks the configuration needs,
// neighbouring ones in one request), a smaller one or an Arrow object in
// one request. With CacheDir set, every object is read once into that
// directory and from there afterwards, for as long as its ETag does not
// change. The fingerprint that guards [Loader.Restore] then identifies
// every object by its key, size and ETag instead of hashing its bytes.
func OpenContext(ctx context.Context, path string, cfg DatasetConfig) (*Dataset, error) {
	if len(cfg.Features) == 0 {
		cfg.Features = []string{LogReturn}
	}
	if cfg.Target == "" {
		cfg.Target = LogReturn
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.Embargo < 0 {
		return nil, fmt.Errorf("loader: embargo %d is negative", cfg.Embargo)
	}
	if !cfg.ValEnd.IsZero() && cfg.TrainEnd.IsZero() {
		return nil, errors.New("loader: a validation end needs a training end")
	}
	if !cfg.ValEnd.IsZero() && !cfg.ValEnd.After(cfg.TrainEnd) {
		return nil, fmt.Errorf("loader: validation end %s is not after training end %s",
			cfg.ValEnd.Format(time.DateOnly), cfg.TrainEnd.Format(time.DateOnly))
	}
	if cfg.ReadAhead < 0 || cfg.CacheLimit < 0 {
		return nil, fmt.Errorf("loader: read-ahead %d and cache limit %d must not be negative", cfg.ReadAhead, cfg.CacheLimit)
	}
	src, err := openFiles(ctx, path, cfg)
	if err != nil {
		return nil, err
	}
	defer src.close()
	files := src.names()

	names := append(slices.Clone(cfg.Features), cfg.Target)
	slices.Sort(names)
	names = slices.Compact(names)
	acc := newAccumulator(names)
	columns := acc.columns()
	// Files are decoded in parallel, each into its own accumulator, and
	// merged in file order so that the result does not depend on timing.
	parts := make([]*accumulator, len(files))
	ids := make([]string, len(files))
	p := pool.New().WithErrors().WithFirstError().WithMaxGoroutines(src.workers())
	for i := range files {
		p.Go(func() error {
			part := newAccumulator(names)
			id, err := src.read(ctx, i, columns, cfg.Allocator, part.add)
			if err != nil {
				return err
			}
			ids[i], parts[i] = id, part
			return nil
		})
	}
	if err := p.Wait(); err != nil {
		return nil, err
	}
	sum := sha256.New()
	for i, f := range files {
		sum.Write([]byte(ids[i]))
		if err := acc.merge(parts[i]); err != nil {
			return nil, fmt.Errorf("loader: read %s: %w", f, err)
		}
	}

	ds := &Dataset{cfg: cfg, files: files, fingerprint: "sha256:" + hex.EncodeToString(sum.Sum(nil)[:16]), zone: acc.zone}
	for _, sym := range slices.Sorted(maps.Keys(acc.raws)) {
		s, err := acc.raws[sym].build(sym, names, cfg, acc.zone)
		if err != nil {
			return nil, fmt.Errorf("loader: %s: %w", sym, err)
		}
		ds.series = append(ds.series, s)
		ds.rows += len(s.times)
	}
	return ds, nil
}

// Intraday reports whether the dataset's rows are intraday bars, stamped
// by the instant in a timestamp column, rather than by their date. Then
// the Dates of a batch are those instants, in the exchange's zone.
func (ds *Dataset) Intraday() bool { return ds.zone != nil }

// Symbols returns the symbols of the dataset, sorted.
func (ds *Dataset) Symbols() []string {
	out := make([]string, len(ds.series))
	for i, s := range ds.series {
		out[i] = s.symbol
	}
	return out
}

// Rows returns the number of rows loaded, over all symbols.
func (ds *Dataset) Rows() int { return ds.rows }

// Features returns the feature column names, in the order of X's last axis.
func (ds *Dataset) Features() []string { return slices.Clone(ds.cfg.Features) }

// Target returns the target column name.
func (ds *Dataset) Target() string { return ds.cfg.Target }

// Files returns the files read, sorted.
func (ds *Dataset) Files() []string { return slices.Clone(ds.files) }

// Fingerprint identifies the bytes of every file read and their names
// relative to the opened path; any change to a file changes it.
func (ds *Dataset) Fingerprint() string { return ds.fingerprint }

// accumulator gathers the rows of every file per symbol.
type accumulator struct {
	names []string
	raws  map[string]*raw
	// axis is the time column of the files added: 0 before the first,
	// axisDate or axisTimestamp; zone is the timestamps' time zone.
	axis int8
	zone *time.Location
}

// The time columns a file may have.
const (
	axisDate int8 = 1 + iota
	axisTimestamp
)

// raw is one symbol's rows as read, in file order.
type raw struct {
	times []int64
	vals  [][]float64 // per name
	close []float64   // only when LogReturn is derived
	// derive records whether LogReturn comes from the files (1) or from
	// close (2); 0 before the first file.
	derive int8
}

// columns returns the columns add reads.
func (a *accumulator) columns() []string {
	return append([]string{sources.ColSymbol, sources.ColDate, sources.ColTimestamp, sources.ColClose}, a.names...)
}

func newAccumulator(names []string) *accumulator {
	return &accumulator{names: names, raws: map[string]*raw{}}
}

func (a *accumulator) add(rec arrow.RecordBatch, fileSymbol string) error {
	schema := rec.Schema()
	index := func(name string) int {
		if idx := schema.FieldIndices(name); len(idx) > 0 {
			return idx[0]
		}
		return -1
	}
	axis, timeIdx := axisDate, index(sources.ColDate)
	if idx := index(sources.ColTimestamp); idx >= 0 {
		axis, timeIdx = axisTimestamp, idx
	}
	if timeIdx < 0 {
		return &ColumnError{sources.ColDate, "missing (nor is there a " + sources.ColTimestamp + " column)"}
	}
	if err := a.setAxis(axis, rec.Column(timeIdx)); err != nil {
		return err
	}
	var times []int64
	var err error
	if axis == axisTimestamp {
		times, err = timestampValues(nil, rec.Column(timeIdx))
	} else {
		times, err = dateValues(nil, rec.Column(timeIdx))
	}
	if err != nil {
		return err
	}
	derive := int8(1)
	cols := make([][]float64, len(a.names))
	for i, name := range a.names {
		idx := index(name)
		if idx < 0 && name == LogReturn {
			derive = 2
			continue
		}
		if idx < 0 {
			return &ColumnError{name, "missing"}
		}
		if cols[i], err = floatValues(nil, rec.Column(idx), name); err != nil {
			return err
		}
	}
	var closes []float64
	if derive == 2 {
		idx := index(sources.ColClose)
		if idx < 0 {
			return &ColumnError{sources.ColClose, "missing, and " + LogReturn + " is computed from it"}
		}
		if closes, err = floatValues(nil, rec.Column(idx), sources.ColClose); err != nil {
			return err
		}
	}

	symIdx := index(sources.ColSymbol)
	var symCol arrow.Array
	if symIdx >= 0 {
		symCol = rec.Column(symIdx)
	}
	var cur *raw
	curSym := ""
	for row := range int(rec.NumRows()) {
		sym := fileSymbol
		if symCol != nil && symCol.IsValid(row) {
			sym = stringAt(symCol, row)
		}
		if cur == nil || sym != curSym {
			cur, curSym = a.raws[sym], sym
			if cur == nil {
				cur = &raw{vals: make([][]float64, len(a.names)), derive: derive}
				a.raws[sym] = cur
			}
			if cur.derive != derive {
				return fmt.Errorf("%s: %s is a column in some files and not in others", sym, LogReturn)
			}
		}
		cur.times = append(cur.times, times[row])
		for i, c := range cols {
			if c == nil {
				cur.vals[i] = append(cur.vals[i], math.NaN())
			} else {
				cur.vals[i] = append(cur.vals[i], c[row])
			}
		}
		if closes != nil {
			cur.close = append(cur.close, closes[row])
		}
	}
	return nil
}

// setAxis records that a file's time column is axis, col: every file of
// a dataset must have the same one.
func (a *accumulator) setAxis(axis int8, col arrow.Array) error {
	var zone *time.Location
	if axis == axisTimestamp {
		typ, ok := col.DataType().(*arrow.TimestampType)
		if !ok {
			return &ColumnError{sources.ColTimestamp, fmt.Sprintf("type %s is not a timestamp", col.DataType())}
		}
		var err error
		if zone, err = typ.GetZone(); err != nil {
			return &ColumnError{sources.ColTimestamp, err.Error()}
		}
	}
	return a.join(axis, zone)
}

// join checks that the time column axis (with zone) is that of the files
// before.
func (a *accumulator) join(axis int8, zone *time.Location) error {
	switch {
	case a.axis == 0:
		a.axis, a.zone = axis, zone
	case a.axis != axis:
		return fmt.Errorf("intraday files (a %s column) and daily ones (a %s column) cannot be one dataset", sources.ColTimestamp, sources.ColDate)
	case axis == axisTimestamp && zone.String() != a.zone.String():
		return fmt.Errorf("column %s: time zone %s, and %s in other files", sources.ColTimestamp, zone, a.zone)
	}
	return nil
}

// merge appends the rows of part after those of a.
func (a *accumulator) merge(part *accumulator) error {
	if part.axis != 0 {
		if err := a.join(part.axis, part.zone); err != nil {
			return err
		}
	}
	for sym, r := range part.raws {
		dst := a.raws[sym]
		if dst == nil {
			a.raws[sym] = r
			continue
		}
		if dst.derive != r.derive {
			return fmt.Errorf("%s: %s is a column in some files and not in others", sym, LogReturn)
		}
		dst.times = append(dst.times, r.times...)
		for i := range dst.vals {
			dst.vals[i] = append(dst.vals[i], r.vals[i]...)
		}
		dst.close = append(dst.close, r.close...)
	}
	return nil
}

// build sorts r by time and turns it into a series; zone is the time
// zone of intraday rows, nil for dates.
func (r *raw) build(sym string, names []string, cfg DatasetConfig, zone *time.Location) (series, error) {
	n := len(r.times)
	order := make([]int, n)
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(i, j int) bool { return r.times[order[i]] < r.times[order[j]] })
	s := series{symbol: sym, times: make([]int64, n)}
	for i, o := range order {
		s.times[i] = r.times[o]
		if i > 0 && s.times[i] == s.times[i-1] {
			if zone != nil {
				return series{}, fmt.Errorf("timestamp %s appears twice", timeOf(s.times[i], zone).Format(time.RFC3339))
			}
			return series{}, fmt.Errorf("date %s appears twice", timeOf(s.times[i], nil).Format(time.DateOnly))
		}
	}
	column := func(name string) []float64 {
		src := r.vals[slices.Index(names, name)]
		out := make([]float64, n)
		if name == LogReturn && r.derive == 2 {
			out[0] = math.NaN()
			for i := 1; i < n; i++ {
				out[i], _ = transform.LogReturn(r.close[order[i-1]], r.close[order[i]])
			}
			return out
		}
		for i, o := range order {
			out[i] = src[o]
		}
		return out
	}

	s.bounds = splitBounds(s.times, cfg, zone)
	nf := len(cfg.Features)
	s.x = make([]float32, n*nf)
	s.featBad = make([]int32, n+1)
	bad := make([]bool, n)
	for f, name := range cfg.Features {
		vals := column(name)
		scale, shift := 1.0, 0.0
		if cfg.Normalize {
			mean, std, ok := meanStd(vals[:s.bounds[Train][1]])
			if !ok {
				// No training statistics: no window of this symbol may be used.
				for i := range bad {
					bad[i] = true
				}
			}
			scale, shift = 1/std, -mean/std
		}
		for i, v := range vals {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				bad[i] = true
			}
			s.x[i*nf+f] = float32(v*scale + shift)
		}
	}
	for i, b := range bad {
		s.featBad[i+1] = s.featBad[i] + boolInt(b)
	}
	s.y = make([]float32, n)
	s.targetBad = make([]int32, n+1)
	for i, v := range column(cfg.Target) {
		s.y[i] = float32(v)
		s.targetBad[i+1] = s.targetBad[i] + boolInt(math.IsNaN(v) || math.IsInf(v, 0))
	}
	return s, nil
}

// splitBounds returns the row range of every split of times; zone is the
// time zone of intraday rows, nil for dates.
func splitBounds(times []int64, cfg DatasetConfig, zone *time.Location) [4][2]int {
	n := len(times)
	var b [4][2]int
	b[All] = [2]int{0, n}
	if cfg.TrainEnd.IsZero() {
		b[Train] = [2]int{0, n}
		return b
	}
	after := func(t time.Time) int {
		last := lastOf(t, zone)
		return sort.Search(n, func(i int) bool { return times[i] > last })
	}
	trainHi := after(cfg.TrainEnd)
	valHi := n
	if !cfg.ValEnd.IsZero() {
		valHi = after(cfg.ValEnd)
	}
	valLo := min(trainHi+cfg.Embargo, valHi)
	testLo := min(valHi+cfg.Embargo, n)
	if cfg.ValEnd.IsZero() {
		testLo = n
	}
	b[Train] = [2]int{0, trainHi}
	b[Val] = [2]int{valLo, valHi}
	b[Test] = [2]int{testLo, n}
	return b
}

// lastOf returns the last instant, in microseconds, a split ending at
// boundary t holds: of dates (zone nil) the UTC midnight of t's UTC date;
// of intraday bars in zone, the last microsecond of t's date in zone when
// t is a midnight in its own location, else t itself (see
// DatasetConfig.TrainEnd).
func lastOf(t time.Time, zone *time.Location) int64 {
	if zone == nil {
		return t.Unix() / 86_400 * 86_400 * 1e6
	}
	if h, m, sec := t.Clock(); h == 0 && m == 0 && sec == 0 && t.Nanosecond() == 0 {
		y, mo, d := t.Date()
		return time.Date(y, mo, d+1, 0, 0, 0, 0, zone).UnixMicro() - 1
	}
	return t.UnixMicro()
}

// meanStd returns the mean and standard deviation of the finite values of
// vals; ok is false when there are none. A zero deviation becomes 1.
func meanStd(vals []float64) (mean, std float64, ok bool) {
	var sum, sq float64
	n := 0
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sum += v
		n++
	}
	if n == 0 {
		return 0, 1, false
	}
	mean = sum / float64(n)
	for _, v := range vals {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			continue
		}
		sq += (v - mean) * (v - mean)
	}
	std = math.Sqrt(sq / float64(n))
	if std == 0 {
		std = 1
	}
	return mean, std, true
}

func boolInt(b bool) int32 {
	if b {
		return 1
	}
	return 0
}

// timeOf converts microseconds since 1970-01-01 UTC to a time in zone, or
// for a date (zone nil) to its UTC midnight.
func timeOf(micros int64, zone *time.Location) time.Time {
	if zone == nil {
		return time.UnixMicro(micros).UTC()
	}
	return time.UnixMicro(micros).In(zone)
}
