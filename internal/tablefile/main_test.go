package tablefile_test

import (
	"testing"

	"go.uber.org/goleak"
)

// Its code reaches package store, whose lease renews in a goroutine: none
// may outlive the tests.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
