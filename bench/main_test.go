package bench_test

import (
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/leaktest"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
)

// TestMain checks that no goroutine outlives the benchmarks (the server
// and the RSS watchers run in this process), and removes the binary they
// built.
func TestMain(m *testing.M) { leaktest.VerifyTestMain(m, testbin.Remove) }
