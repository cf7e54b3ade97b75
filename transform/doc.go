// Package transform holds per-symbol transforms over Arrow records: the
// feature columns (returns, moving averages, volatility, RSI, z-scores) and
// the date filter that `loader fetch` applies between decoding and writing.
//
// A transform is a plain [Func]; users write their own and combine them with
// the built-in ones through [Chain]:
//
//	f := transform.Chain(
//		transform.Returns(),
//		transform.SMA(20),
//		transform.DateRange(start, time.Time{}),
//	)
//	out, err := f(rec, mem) // out is a new record the caller releases
//
// A Func of one's own usually ends in [AppendColumn].
//
// [Parse] builds the same chain from the comma-separated list of the
// --transform flag ("returns,sma:20,rsi:14,zscore:volume:60"), and [Help]
// describes every name it knows.
//
// Every built-in works on one symbol's series: a record whose rows are sorted
// ascending by its time column with no duplicates, as every source
// guarantees. The time column is the date (sources.ColDate) of a daily,
// weekly or monthly series, or the timestamp (sources.ColTimestamp) of an
// intraday one. The features work per bar (per row), whatever the column:
// sma:20 over 5-minute bars is the mean of the last 20 bars, 100 minutes
// of trading. DateRange keeps whole days of exchange time on either axis. Feature columns are appended as nullable float64 columns; a row
// whose window is not yet full holds a null, never a zero, and a series
// shorter than a window yields a column of nulls, not an error. Each
// built-in documents how it treats nulls in its input. Later items see the
// columns earlier ones added, so "returns,zscore:return:20" works.
//
// Order matters for DateRange: features computed before it use the history
// before the start date, features computed after it start their windows at
// the first kept row.
package transform
