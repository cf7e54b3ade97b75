package main

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, fasthttpHousekeeping...)
}

// sections splits run's output at its blank lines into the header and the
// five parts.
func sections(out string) []string { return strings.Split(out, "\n\n") }

// order returns the symbols of a part's event lines, in printed order.
func order(part string) []string {
	var syms []string
	for _, line := range strings.Split(part, "\n") {
		// "   +  85ms  MSFT ..." or "   +1.203s  GOOGL ...": the time, then the symbol.
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "+")
		if f := strings.Fields(rest); ok && len(f) > 1 && f[1] != "cancel()" {
			syms = append(syms, f[1])
		}
	}
	return syms
}

func TestRun(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	var out bytes.Buffer
	// A 50 ms unit keeps the run near 2 s while the completion times stay
	// 50 ms or more apart, enough for the order to hold on a busy machine
	// under -race.
	if err := run(context.Background(), &out, []string{"-unit", "50ms"}, mem); err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
	parts := sections(out.String())
	if len(parts) != 6 {
		t.Fatalf("got %d sections, want a header and 5 parts:\n%s", len(parts), out.String())
	}
	// Completion order depends on timing: only what holds with a wide
	// margin is checked — GOOGL (12 units, 4 more than any other) ends
	// last, and MSFT (2 units) comes before AAPL (5), submitted before it.
	fastFirst := func(got []string) bool {
		return len(got) == 6 && got[5] == "GOOGL" && slices.Index(got, "MSFT") < slices.Index(got, "AAPL")
	}
	tests := []struct {
		name      string
		part      string
		wantOrder func([]string) bool
		wantText  []string
	}{
		{
			name:      "as completed",
			part:      parts[1],
			wantOrder: fastFirst,
			wantText:  []string{"peak requests in flight 3 (bound 3)"},
		},
		{
			name: "in submission order",
			part: parts[2],
			wantOrder: func(got []string) bool {
				return slices.Equal(got, []string{"AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "META"})
			},
			wantText: []string{"held", "peak requests in flight 3 (bound 3)"},
		},
		{
			name:      "per-request timeout",
			part:      parts[3],
			wantOrder: fastFirst,
			wantText:  []string{"GOOGL  TIMED OUT: fetch GOOGL:", "5 ok, 1 timed out"},
		},
		{
			name:     "cancellation",
			part:     parts[4],
			wantText: []string{"cancel()", "with context.Canceled: true", "2 printed,"},
		},
		{
			name:     "leaks",
			part:     parts[5],
			wantText: []string{"goleak.Find, ignoring that housekeeping: none", "Arrow bytes still allocated: 0"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := order(tt.part); tt.wantOrder != nil && !tt.wantOrder(got) {
				t.Errorf("unexpected order %v:\n%s", got, tt.part)
			}
			for _, want := range tt.wantText {
				if !strings.Contains(tt.part, want) {
					t.Errorf("output lacks %q:\n%s", want, tt.part)
				}
			}
		})
	}
	if got := order(parts[4]); len(got) < 2 || len(got) == 6 {
		t.Errorf("cancellation: %d symbols reached the sink or failed, want at least the 2 printed and not all 6:\n%s", len(got), parts[4])
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero workers", []string{"-workers", "0"}, "-workers must be at least 1"},
		{"zero unit", []string{"-unit", "0s"}, "-unit positive"},
		{"not a URL", []string{"-base-url", "localhost:8080"}, "want an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			err := run(context.Background(), &bytes.Buffer{}, tt.args, mem)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
