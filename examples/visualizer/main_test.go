package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(context.Background(), &out, []string{"-tickers", "3", "-workers", "2,3", "-width", "300", "-height", "200"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	if !strings.Contains(got, "3 tickers") || !strings.Contains(got, "speed-up") {
		t.Errorf("output lacks the header:\n%s", got)
	}
	for _, row := range []string{"sequential       1       3", "parallel       2       3", "parallel       3       3"} {
		if !strings.Contains(strings.Join(strings.Fields(got), " "), strings.Join(strings.Fields(row), " ")) {
			t.Errorf("output lacks the row %q:\n%s", row, got)
		}
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no tickers", []string{"-tickers", "0"}, "-tickers must be at least 1"},
		{"one worker", []string{"-workers", "1"}, "at least 2"},
		{"tiny", []string{"-width", "5"}, "at least 100"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(context.Background(), &bytes.Buffer{}, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one containing %q", err, tt.want)
			}
		})
	}
}
