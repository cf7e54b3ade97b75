package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"

	"github.com/seed-c7c8f39b/loader/fetch"
	"github.com/seed-c7c8f39b/loader/pipeline"
)

// runReport is the end-of-run report, printed as text and written by
// --report as JSON.
type runReport struct {
	Symbols        []symbolReport `json:"symbols"`
	Totals         totals         `json:"totals"`
	Stages         []stageReport  `json:"stages"`
	Bottleneck     string         `json:"bottleneck"`
	ElapsedSeconds float64        `json:"elapsed_seconds"`
}

type symbolReport struct {
	Symbol    string         `json:"symbol"`
	Status    dataset.Status `json:"status"`
	Rows      int64          `json:"rows"`
	FirstDate string         `json:"first_date,omitempty"`
	LastDate  string         `json:"last_date,omitempty"`
	File      string         `json:"file,omitempty"`
	Bytes     int64          `json:"bytes"`
	Attempts  int            `json:"attempts"`
	Resumed   bool           `json:"resumed,omitempty"`
	Reason    string         `json:"reason,omitempty"`
}

type totals struct {
	Symbols int   `json:"symbols"`
	OK      int   `json:"ok"`
	Failed  int   `json:"failed"`
	Skipped int   `json:"skipped"`
	Rows    int64 `json:"rows"`
	Bytes   int64 `json:"bytes"`
}

type stageReport struct {
	Name           string  `json:"name"`
	Workers        int     `json:"workers"`
	In             int64   `json:"in"`
	Out            int64   `json:"out"`
	Errors         int64   `json:"errors"`
	BusyPercent    float64 `json:"busy_percent"`
	WaitInSeconds  float64 `json:"wait_in_seconds"`
	WaitOutSeconds float64 `json:"wait_out_seconds"`
	ItemsPerSecond float64 `json:"items_per_second"`
}

// newRunReport summarises a fetch report; dir prefixes the file paths.
func newRunReport(r fetch.Report, dir string) runReport {
	rep := runReport{
		Bottleneck:     pipeline.Bottleneck(r.Stages),
		ElapsedSeconds: r.Elapsed.Seconds(),
	}
	for _, res := range r.Results {
		s := symbolReport{Symbol: res.Symbol, Status: res.Status, Attempts: res.Attempts, Resumed: res.Resumed}
		rep.Totals.Symbols++
		switch res.Status {
		case dataset.StatusOK:
			rep.Totals.OK++
			s.Rows, s.Bytes = res.File.Rows, res.File.Bytes
			s.FirstDate, s.LastDate = day(res.File.FirstDate), day(res.File.LastDate)
			s.File = store.Join(dir, res.File.Path)
			rep.Totals.Rows += s.Rows
			rep.Totals.Bytes += s.Bytes
		case dataset.StatusFailed:
			rep.Totals.Failed++
		case dataset.StatusSkipped:
			rep.Totals.Skipped++
		}
		if res.Err != nil {
			s.Reason = res.Err.Error()
		}
		rep.Symbols = append(rep.Symbols, s)
	}
	for _, st := range r.Stages {
		rep.Stages = append(rep.Stages, stageReport{
			Name:           st.Name,
			Workers:        st.Workers,
			In:             st.In,
			Out:            st.Out,
			Errors:         st.Errors,
			BusyPercent:    100 * st.BusyShare(),
			WaitInSeconds:  st.WaitIn.Seconds(),
			WaitOutSeconds: st.WaitOut.Seconds(),
			ItemsPerSecond: float64(st.Out) / max(st.Elapsed.Seconds(), 1e-9),
		})
	}
	return rep
}

// print writes one line per symbol, the totals, the per-stage table and the
// bottleneck sentence.
func (r runReport) print(w io.Writer) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, s := range r.Symbols {
		if s.Status == dataset.StatusOK {
			note := ""
			if s.Resumed {
				note = "  (kept from an earlier run)"
			}
			fmt.Fprintf(tw, "%s\t%d rows\t%s → %s\t%s%s\n", s.Symbol, s.Rows, s.FirstDate, s.LastDate, s.File, note)
		} else {
			fmt.Fprintf(tw, "%s\t%s\t%s\t\n", s.Symbol, s.Status, s.Reason)
		}
	}
	tw.Flush()
	t := r.Totals
	fmt.Fprintf(w, "%d symbols (%d ok, %d failed, %d skipped), %d rows, %s in %.2fs\n\n",
		t.Symbols, t.OK, t.Failed, t.Skipped, t.Rows, humanBytes(t.Bytes), r.ElapsedSeconds)

	fmt.Fprintln(tw, "stage\tworkers\tin\tout\terrors\tbusy\twait in\twait out\titems/s")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f%%\t%.2fs\t%.2fs\t%.1f\n",
			s.Name, s.Workers, s.In, s.Out, s.Errors, s.BusyPercent, s.WaitInSeconds, s.WaitOutSeconds, s.ItemsPerSecond)
	}
	tw.Flush()
	fmt.Fprintln(w, r.Bottleneck)
}

// writeJSON writes the report to path atomically enough for a report: a
// temporary file renamed into place.
func (r runReport) writeJSON(path string) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write report: %w", err)
	}
	return nil
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Format(time.DateOnly)
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
