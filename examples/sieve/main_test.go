package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestCountPrimes(t *testing.T) {
	t.Parallel()
	tests := []struct{ n, want int }{
		{0, 0}, {1, 0}, {2, 1}, {3, 2}, {10, 4}, {100, 25}, {1000, 168}, {10_000, 1229},
	}
	for _, tt := range tests {
		if got := countPrimes(tt.n); got != tt.want {
			t.Errorf("countPrimes(%d) = %d, want %d", tt.n, got, tt.want)
		}
	}
}

func TestPoolMatchesSequential(t *testing.T) {
	t.Parallel()
	want := countAllSequential(3000)
	for _, workers := range []int{1, 2, 7} {
		if got := countAllPool(3000, workers); !slices.Equal(got, want) {
			t.Errorf("countAllPool(3000, %d) differs from countAllSequential", workers)
		}
	}
}

func TestRun(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	if err := run(&out, []string{"-n", "2000", "-workers", "1,2"}); err != nil {
		t.Fatal(err)
	}
	got := out.String()
	for _, want := range []string{"sequential", "conc pool", "speed-up", "OS threads", "primes <= 2000: 303"} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}
	if rows := strings.Count(got, "conc pool"); rows != 2 {
		t.Errorf("got %d pool rows, want 2:\n%s", rows, got)
	}
}

func TestRunRejectsBadFlags(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"zero n", []string{"-n", "0"}, "-n must be at least 1"},
		{"bad workers", []string{"-workers", "2,x"}, `"x" is not a positive integer`},
		{"zero workers", []string{"-workers", "0"}, `"0" is not a positive integer`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := run(&bytes.Buffer{}, tt.args)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("run(%q) = %v, want an error containing %q", tt.args, err, tt.want)
			}
		})
	}
}
