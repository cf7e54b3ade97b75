package sources

import "time"

// Bar is one bar of prices as plain values: what encoders write and
// generators make, before it becomes a row of a [Kind.Schema] record
// (see [NewRecord]).
type Bar struct {
	// Date is the bar's day at midnight UTC (daily bars; weekly and
	// monthly bars are dated by the last trading day of their period), or
	// an intraday bar's start instant.
	Date                   time.Time
	Open, High, Low, Close float64
	Volume                 int64
	AdjustedClose          float64
	Dividend               float64
	SplitCoefficient       float64
}
