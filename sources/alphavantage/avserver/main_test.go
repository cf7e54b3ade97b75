package avserver_test

import (
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/leaktest"
)

// TestMain fails the package's tests if any goroutine outlives them: the
// Alpha Vantage client and the compatible server both start goroutines.
func TestMain(m *testing.M) { leaktest.VerifyTestMain(m) }
