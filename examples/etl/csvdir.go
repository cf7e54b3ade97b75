package main

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// csvDir is a sources.Source over a local directory holding one CSV file
// per symbol, DIR/SYMBOL.csv, with the columns date,open,high,low,close,volume.
// Implementing the interface is all it takes for loader's pipeline, sinks
// and transforms to work on a user's own data.
type csvDir struct{ dir string }

var _ sources.Source = csvDir{}

// Name returns "csvdir".
func (csvDir) Name() string { return "csvdir" }

// Close does nothing: each Fetch opens and closes its own file.
func (csvDir) Close() error { return nil }

// Symbols returns the symbols the directory holds, sorted: the names of
// its .csv files.
func (c csvDir) Symbols() ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(c.dir, "*.csv"))
	if err != nil {
		return nil, err
	}
	symbols := make([]string, len(paths))
	for i, p := range paths {
		symbols[i] = strings.TrimSuffix(filepath.Base(p), ".csv")
	}
	slices.Sort(symbols)
	return symbols, nil
}

// Fetch reads DIR/SYMBOL.csv. A local file needs no cancellation point:
// it is read in one go.
func (c csvDir) Fetch(_ context.Context, symbol string, mem memory.Allocator) (sources.Series, error) {
	path := filepath.Join(c.dir, symbol+".csv")
	f, err := os.Open(path)
	if err != nil {
		return sources.Series{}, fmt.Errorf("read %s: %w", symbol, err)
	}
	defer f.Close()
	rec, err := readCSV(f, symbol, mem)
	if err != nil {
		return sources.Series{}, fmt.Errorf("read %s: %w", path, err)
	}
	return sources.Series{
		Symbol:   symbol,
		Record:   rec,
		Attempts: 1,
		Meta:     map[string]string{"source": "csvdir"},
	}, nil
}

// csvColumns are the columns a file must have, in the order of the bar
// fields.
var csvColumns = []string{sources.ColDate, sources.ColOpen, sources.ColHigh, sources.ColLow, sources.ColClose, sources.ColVolume}

type bar struct {
	date                   arrow.Date32
	open, high, low, close float64
	volume                 int64
}

// readCSV reads one symbol's bars: a header naming the csvColumns in any
// order (other columns are ignored), then one row per day, dates as
// YYYY-MM-DD, in any order. It returns them as a sources.DailySchema(false)
// record built with mem, ascending by date, as every Source must; a date
// that appears twice is an error. Errors name the line.
func readCSV(r io.Reader, symbol string, mem memory.Allocator) (arrow.RecordBatch, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("header: %w", err)
	}
	pos := make([]int, len(csvColumns))
	for i, name := range csvColumns {
		if pos[i] = slices.Index(header, name); pos[i] < 0 {
			return nil, fmt.Errorf("header %q: no column %q", strings.Join(header, ","), name)
		}
	}

	var bars []bar
	for {
		row, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err // csv.ParseError names the line
		}
		line, _ := cr.FieldPos(0)
		b, err := parseBar(row, pos)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
		bars = append(bars, b)
	}
	slices.SortStableFunc(bars, func(a, b bar) int { return cmp.Compare(a.date, b.date) })
	for i := 1; i < len(bars); i++ {
		if bars[i].date == bars[i-1].date {
			return nil, fmt.Errorf("date %s appears twice", bars[i].date.FormattedString())
		}
	}

	b := array.NewRecordBuilder(mem, sources.DailySchema(false))
	defer b.Release()
	for _, bar := range bars {
		b.Field(0).(*array.StringBuilder).Append(symbol)
		b.Field(1).(*array.Date32Builder).Append(bar.date)
		b.Field(2).(*array.Float64Builder).Append(bar.open)
		b.Field(3).(*array.Float64Builder).Append(bar.high)
		b.Field(4).(*array.Float64Builder).Append(bar.low)
		b.Field(5).(*array.Float64Builder).Append(bar.close)
		b.Field(6).(*array.Int64Builder).Append(bar.volume)
	}
	return b.NewRecordBatch(), nil
}

// parseBar parses one row whose csvColumns are at pos. The csv.Reader has
// already checked that every row has as many fields as the header.
func parseBar(row []string, pos []int) (bar, error) {
	var b bar
	day, err := time.Parse(time.DateOnly, row[pos[0]])
	if err != nil {
		return b, fmt.Errorf("column date: %w", err)
	}
	b.date = arrow.Date32FromTime(day)
	for i, dst := range []*float64{&b.open, &b.high, &b.low, &b.close} {
		if *dst, err = strconv.ParseFloat(row[pos[i+1]], 64); err != nil {
			return b, fmt.Errorf("column %s: %w", csvColumns[i+1], err)
		}
	}
	if b.volume, err = strconv.ParseInt(row[pos[5]], 10, 64); err != nil {
		return b, fmt.Errorf("column volume: %w", err)
	}
	return b, nil
}
