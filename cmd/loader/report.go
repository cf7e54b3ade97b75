package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/transform"

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

	// incomplete counts the symbols that make the run fail: failed, or
	// skipped for another reason than no data in the date range.
	incomplete int
	// noSpace counts the symbols a full disk failed.
	noSpace int
	// fatalSymbol is the symbol whose fatal error stopped the run.
	fatalSymbol string
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
	// Outcome is what the run did with an ok symbol's data: fetched,
	// appended (DaysAppended: how many bars, of whatever length, the
	// name being the daily one's), unchanged, refetched (Why) or kept.
	Outcome      fetch.Outcome `json:"outcome,omitempty"`
	DaysAppended int           `json:"days_appended,omitempty"`
	Why          string        `json:"why,omitempty"`
	Reason       string        `json:"reason,omitempty"`
	err          error         // the reason's error, to classify it
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
		s := symbolReport{Symbol: res.Symbol, Status: res.Status, Attempts: res.Attempts, Resumed: res.Resumed,
			Outcome: res.Outcome, DaysAppended: res.Days, Why: res.Why, err: res.Err}
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
			rep.incomplete++
			if rep.fatalSymbol == "" && errors.Is(res.Err, sources.ErrFatal) {
				rep.fatalSymbol = res.Symbol
			}
		case dataset.StatusSkipped:
			rep.Totals.Skipped++
			if !errors.Is(res.Err, transform.ErrEmptyRange) {
				rep.incomplete++
			}
		}
		if errors.Is(res.Err, syscall.ENOSPC) {
			rep.noSpace++
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

// printMode chooses how much of the report print shows.
type printMode int

const (
	// printNormal lists every symbol up to listLimit of them, past that
	// the symbols that did not end ok, then the totals and the stages.
	printNormal printMode = iota
	// printQuiet shows the symbols that did not end ok and the totals.
	printQuiet
	// printVerbose lists every symbol, however many, and the rest.
	printVerbose
)

// listLimit is how many symbols the text report lists one by one. Past
// it, a line per ok symbol would bury the failures: 20,000 symbols made a
// report of 20,007 lines.
const listLimit = 40

// reasonWidth is where a failure reason is cut in the text report, to keep
// it on one line; the manifest and --report keep it whole.
const reasonWidth = 120

// print writes the symbols as mode asks, the totals, and unless quiet the
// per-stage table and the bottleneck sentence. Symbols that did not end
// ok for one shared cause share one line, unless verbose.
func (r runReport) print(w io.Writer, mode printMode) {
	listOK := mode == printVerbose || (mode == printNormal && len(r.Symbols) <= listLimit)
	groups := map[string][]string{} // symbols by the line they share
	if mode != printVerbose {
		for _, s := range r.Symbols {
			if s.Status != dataset.StatusOK {
				key := r.groupLine(s)
				groups[key] = append(groups[key], s.Symbol)
			}
		}
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	unlisted := 0
	for _, s := range r.Symbols {
		if s.Status == dataset.StatusOK {
			if !listOK {
				unlisted++
				continue
			}
			note := ""
			switch {
			case s.Resumed:
				note = "  (kept from an earlier run)"
			case s.Outcome == fetch.Appended:
				note = fmt.Sprintf("  (appended %s)", plural(s.DaysAppended, "bar"))
			case s.Outcome == fetch.Unchanged:
				note = "  (unchanged)"
			case s.Outcome == fetch.Refetched:
				note = "  (refetched: " + s.Why + ")"
			}
			fmt.Fprintf(tw, "%s\t%d rows\t%s → %s\t%s%s\n", s.Symbol, s.Rows, s.FirstDate, s.LastDate, s.File, note)
			continue
		}
		if mode != printVerbose {
			key := r.groupLine(s)
			members := groups[key]
			if len(members) > 1 {
				if members[0] == s.Symbol {
					fmt.Fprintf(tw, "%s %s: %s (%s)\n", plural(len(members), "symbol"), s.Status, oneLine(key, reasonWidth), listSome(members, 5))
				}
				continue
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", s.Symbol, s.Status, oneLine(s.Reason, reasonWidth))
	}
	tw.Flush()
	if unlisted > 0 && mode == printNormal {
		fmt.Fprintf(w, "%s ok, not listed: --verbose lists every symbol, as the manifest does\n", plural(unlisted, "symbol"))
	}
	t := r.Totals
	fmt.Fprintf(w, "%s (%d ok, %d failed, %d skipped), %d rows, %s in %.2fs\n",
		plural(t.Symbols, "symbol"), t.OK, t.Failed, t.Skipped, t.Rows, humanBytes(t.Bytes), r.ElapsedSeconds)
	if mode == printQuiet {
		return
	}
	fmt.Fprintln(w)
	fmt.Fprintln(tw, "stage\tworkers\tin\tout\terrors\tbusy\twait in\twait out\titems/s")
	for _, s := range r.Stages {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%d\t%.0f%%\t%.2fs\t%.2fs\t%.1f\n",
			s.Name, s.Workers, s.In, s.Out, s.Errors, s.BusyPercent, s.WaitInSeconds, s.WaitOutSeconds, s.ItemsPerSecond)
	}
	tw.Flush()
	fmt.Fprintln(w, r.Bottleneck)
}

// groupLine is the line that symbols sharing s's cause share: the cause in
// a few words when it is one of a run (a full disk, the fatal error that
// stopped the run), else s's reason, which symbols share only when it
// does not name them (an interrupt, a cut-off).
func (r runReport) groupLine(s symbolReport) string {
	switch {
	case errors.Is(s.err, syscall.ENOSPC):
		return "the disk is full (no space left on device)"
	case s.Status == dataset.StatusSkipped && errors.Is(s.err, sources.ErrFatal) && r.fatalSymbol != "":
		return fmt.Sprintf("not fetched: the run stopped when %s failed: %s", r.fatalSymbol, fatalCause(s.err))
	}
	return s.Reason
}

// oneLine returns s on one line, cut to at most width characters with an
// ellipsis.
func oneLine(s string, width int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > width {
		return string(r[:width-1]) + "…"
	}
	return s
}

// listSome lists the first n of names, then how many more there are.
func listSome(names []string, n int) string {
	if len(names) <= n {
		return strings.Join(names, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(names[:n], ", "), len(names)-n)
}

// pendingReport is the --report file, created under a temporary name
// before the run, so that a path that cannot be written is found before
// the first request; write completes it under its name.
type pendingReport struct {
	tmp  *os.File
	path string
}

// createReport starts the report file at path.
func createReport(path string) (*pendingReport, error) {
	dir, base := filepath.Split(path)
	if base == "" {
		return nil, errors.New("names a directory, not a file")
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return nil, errors.New("is a directory")
	}
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return nil, fmt.Errorf("cannot write there: %w", err)
	}
	return &pendingReport{tmp: tmp, path: path}, nil
}

// write writes r as JSON and gives the file its name.
func (p *pendingReport) write(r runReport) error {
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	tmp := p.tmp
	p.tmp = nil
	_, err = tmp.Write(append(data, '\n'))
	if err == nil {
		err = tmp.Chmod(0o644)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p.path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("write report %s: %w", p.path, err)
	}
	return nil
}

// discard removes the temporary file unless write gave it its name.
func (p *pendingReport) discard() {
	if p.tmp != nil {
		p.tmp.Close()
		os.Remove(p.tmp.Name())
		p.tmp = nil
	}
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

// show prints r on stdout, with every symbol when verbose and only the
// failures and totals when quiet, and completes the --report file if
// there is one.
func (r runReport) show(cmd *cobra.Command, quiet, verbose bool, pending *pendingReport) error {
	mode := printNormal
	switch {
	case verbose:
		mode = printVerbose
	case quiet:
		mode = printQuiet
	}
	r.print(cmd.OutOrStdout(), mode)
	if pending == nil {
		return nil
	}
	return pending.write(r)
}
