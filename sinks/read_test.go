package sinks_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
	"github.com/seed-c7c8f39b/loader/sinks"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"

	"github.com/apache/arrow-go/v18/arrow/array"
)

// TestReadGivesBackWhatWasWritten writes a series with a transform column
// that holds nulls, in every format and in the layouts that keep a file
// per symbol, and reads it back value for value.
func TestReadGivesBackWhatWasWritten(t *testing.T) {
	for _, format := range []dataset.Format{dataset.FormatParquet, dataset.FormatArrow, dataset.FormatCSV} {
		for _, layout := range []dataset.Layout{dataset.LayoutFiles, dataset.LayoutHive} {
			t.Run(fmt.Sprintf("%s/%s", format, layout), func(t *testing.T) {
				mem := fixture.NewMem(t)
				w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Format: format, Layout: layout, RowGroupSize: 7, Allocator: mem})
				if err != nil {
					t.Fatal(err)
				}
				bars := fixture.DailyBars(mem, "BRK.B", 30)
				defer bars.Release()
				rec, err := transform.SMA(5)(bars, mem)
				if err != nil {
					t.Fatal(err)
				}
				defer rec.Release()
				wrote, err := w.Write(context.Background(), sources.Series{Symbol: "BRK.B", Record: rec, Meta: map[string]string{"k": "v"}})
				if err != nil {
					t.Fatal(err)
				}
				back, desc, err := w.Read(context.Background(), "BRK.B", mem)
				if err != nil {
					t.Fatal(err)
				}
				defer back.Release()
				if desc != wrote {
					t.Errorf("Read describes the file as %+v, Write did as %+v", desc, wrote)
				}
				if back.NumCols() != rec.NumCols() || back.NumRows() != rec.NumRows() {
					t.Fatalf("read back %s, wrote %s", back.Schema(), rec.Schema())
				}
				for i := range int(rec.NumCols()) {
					if back.ColumnName(i) != rec.ColumnName(i) || !array.Equal(back.Column(i), rec.Column(i)) {
						t.Errorf("column %d (%s) differs: %v\nwrote %v", i, rec.ColumnName(i), back.Column(i), rec.Column(i))
					}
				}
				if md := back.Schema().Metadata(); md.Len() != 0 {
					t.Errorf("read back with metadata %v", md)
				}
				if _, _, err := w.Read(context.Background(), "NONE", mem); err == nil || !strings.Contains(err.Error(), "NONE") {
					t.Errorf("Read of a symbol never written: %v", err)
				}
			})
		}
	}
}

func TestReadSingleLayoutRefused(t *testing.T) {
	w, err := sinks.New(sinks.Options{Dir: t.TempDir(), Layout: dataset.LayoutSingle})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.Read(context.Background(), "AAPL", nil); err == nil {
		t.Error("Read in the single layout succeeded")
	}
}
