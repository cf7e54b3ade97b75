package fetch

import (
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/pipeline"
)

// Report is what a run did.
type Report struct {
	// Results holds one result per requested symbol, in request order.
	Results []Result
	// Stages are the pipeline's counters, in stage order.
	Stages  []pipeline.StageStats
	Elapsed time.Duration
	// Fatal is the error that stopped the run early, if any.
	Fatal error
}

// Totals sums the results as a manifest sums its entries: Resumed results
// count as carried over.
func (r Report) Totals() dataset.Totals {
	t := dataset.Totals{Symbols: len(r.Results)}
	for _, res := range r.Results {
		switch res.Status {
		case dataset.StatusOK:
			t.OK++
			t.Rows += res.File.Rows
			t.Bytes += res.File.Bytes
		case dataset.StatusFailed:
			t.Failed++
		case dataset.StatusSkipped:
			t.Skipped++
		case dataset.StatusPending:
			t.Pending++
		}
		if res.Resumed {
			t.CarriedOver++
		}
	}
	return t
}

// Incomplete counts the symbols that did not end in a file.
func (r Report) Incomplete() int {
	t := r.Totals()
	return t.Symbols - t.OK
}
