package sources

import "time"

// Bar is one day of prices as plain values: what encoders write and
// generators make, before it becomes a row of a [DailySchema] record.
type Bar struct {
	Date                   time.Time
	Open, High, Low, Close float64
	Volume                 int64
	AdjustedClose          float64
	Dividend               float64
	SplitCoefficient       float64
}
