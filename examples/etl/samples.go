package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// sampleSymbols are the symbols writeSamples writes when no -in is given.
var sampleSymbols = []string{"AAPL", "AMZN", "GOOGL", "META", "MSFT", "NVDA"}

// sampleDir writes the sample CSV files into a new temporary directory
// and returns its path.
func sampleDir(days int) (string, error) {
	dir, err := os.MkdirTemp("", "etl-in-")
	if err != nil {
		return "", err
	}
	return dir, writeSamples(dir, sampleSymbols, days)
}

// writeSamples writes the newest days bars of each symbol's synthetic
// sample series (all of them when days is 0) into dir as SYMBOL.csv, newest
// first as Alpha Vantage sends them, so that the reader's sort has work.
func writeSamples(dir string, symbols []string, days int) error {
	for _, symbol := range symbols {
		bars := sample.Series(symbol)
		if days > 0 && days < len(bars) {
			bars = bars[len(bars)-days:]
		}
		slices.Reverse(bars)
		if err := writeCSV(filepath.Join(dir, symbol+".csv"), bars); err != nil {
			return fmt.Errorf("write sample %s: %w", symbol, err)
		}
	}
	return nil
}

func writeCSV(path string, bars []sources.Bar) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	w.WriteString("date,open,high,low,close,volume\n")
	var line []byte
	for _, b := range bars {
		line = b.Date.AppendFormat(line[:0], time.DateOnly)
		for _, v := range []float64{b.Open, b.High, b.Low, b.Close} {
			line = strconv.AppendFloat(append(line, ','), v, 'f', -1, 64)
		}
		line = strconv.AppendInt(append(line, ','), b.Volume, 10)
		w.Write(append(line, '\n'))
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
