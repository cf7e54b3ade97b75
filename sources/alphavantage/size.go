package alphavantage

import (
	"context"
	"fmt"

	"github.com/seed-c7c8f39b/loader/sources"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// FetchSize is Fetch with size as this request's outputsize instead of
// Config.OutputSize, so that one run can bring a symbol up to date with a
// compact request and refetch another in full. The Client is a
// sources.SizedSource.
func (a *Client) FetchSize(ctx context.Context, symbol string, size sources.OutputSize, mem memory.Allocator) (sources.Series, error) {
	if _, err := sources.ParseOutputSize(string(size)); err != nil {
		return sources.Series{}, fmt.Errorf("fetch %s: alphavantage: %w", symbol, err)
	}
	return a.fetch(ctx, symbol, string(size), mem)
}
