package sources

import (
	"context"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// OutputSize is how much history one request asks for, in Alpha Vantage's
// terms.
type OutputSize string

// The output sizes.
const (
	// Compact is the newest CompactBars trading days.
	Compact OutputSize = "compact"
	// Full is the whole history (20+ years).
	Full OutputSize = "full"
)

// CompactBars is how many of the newest trading days a Compact answer
// holds.
const CompactBars = 100

// ParseOutputSize returns the OutputSize named s ("compact" or "full").
func ParseOutputSize(s string) (OutputSize, error) {
	switch size := OutputSize(s); size {
	case Compact, Full:
		return size, nil
	}
	return "", fmt.Errorf("output size %q: want compact or full", s)
}

// SizedSource is a Source that can be asked for an output size per
// request, so that one run can bring one symbol up to date with a compact
// request and refetch another in full. Fetch asks for the source's own
// default size.
type SizedSource interface {
	Source
	// FetchSize is Fetch for the given output size.
	FetchSize(ctx context.Context, symbol string, size OutputSize, mem memory.Allocator) (Series, error)
}
