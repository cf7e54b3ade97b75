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
	return a.fetch(ctx, request{symbol: symbol, outputSize: string(size)}, mem)
}

// FetchMonth returns symbol's intraday bars of month, in full: one
// TIME_SERIES_INTRADAY request with month=YYYY-MM&outputsize=full (plus
// retries, as Fetch makes them). Its Series.Meta names the month. The
// Client is a sources.MonthSource.
//
// It is an error, made without a request, for a client whose Config.Kind
// is not intraday, and for a month before FirstIntradayMonth. The
// service answers a month it has no history of, an unknown symbol or an
// interval it does not have with its invalid-call refusal: that fails
// this symbol and month only (a *ServiceError of ServiceInvalidCall, not
// sources.ErrFatal). A month after the service's newest holds no bars.
// An answer holding a bar of another month fails at once, as one naming
// another symbol does. Errors name the symbol and the month, and
// otherwise are Fetch's.
func (a *Client) FetchMonth(ctx context.Context, symbol string, month sources.Month, mem memory.Allocator) (sources.Series, error) {
	req := request{symbol: symbol, outputSize: string(sources.Full), month: &month}
	switch {
	case !a.layout.intraday:
		return sources.Series{}, &fetchError{what: req.name(), err: fmt.Errorf("alphavantage: months are for intraday series, not %s", a.cfg.Kind)}
	case month.Before(FirstIntradayMonth):
		return sources.Series{}, &fetchError{what: req.name(), err: fmt.Errorf("alphavantage: the service's intraday history starts %s", FirstIntradayMonth)}
	}
	return a.fetch(ctx, req, mem)
}
