package sources

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Column names of a series. Every series has symbol, one time column
// (date, or timestamp for intraday bars) and open to volume; the adjusted
// ones are in adjusted daily, weekly and monthly series only (see
// [Kind.Schema]).
const (
	ColSymbol           = "symbol"
	ColDate             = "date"
	ColTimestamp        = "timestamp"
	ColOpen             = "open"
	ColHigh             = "high"
	ColLow              = "low"
	ColClose            = "close"
	ColVolume           = "volume"
	ColAdjustedClose    = "adjusted_close"
	ColDividend         = "dividend"
	ColSplitCoefficient = "split_coefficient"
)

var (
	dailySchema = arrow.NewSchema([]arrow.Field{
		{Name: ColSymbol, Type: arrow.BinaryTypes.String},
		{Name: ColDate, Type: arrow.FixedWidthTypes.Date32},
		{Name: ColOpen, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColHigh, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColLow, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColClose, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColVolume, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
	adjustedSchema = arrow.NewSchema(append(dailySchema.Fields(),
		arrow.Field{Name: ColAdjustedClose, Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: ColDividend, Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: ColSplitCoefficient, Type: arrow.PrimitiveTypes.Float64},
	), nil)
	periodAdjustedSchema = arrow.NewSchema(append(dailySchema.Fields(),
		arrow.Field{Name: ColAdjustedClose, Type: arrow.PrimitiveTypes.Float64},
		arrow.Field{Name: ColDividend, Type: arrow.PrimitiveTypes.Float64},
	), nil)
	intradaySchema = arrow.NewSchema([]arrow.Field{
		{Name: ColSymbol, Type: arrow.BinaryTypes.String},
		{Name: ColTimestamp, Type: TimestampType},
		{Name: ColOpen, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColHigh, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColLow, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColClose, Type: arrow.PrimitiveTypes.Float64},
		{Name: ColVolume, Type: arrow.PrimitiveTypes.Int64},
	}, nil)
)

// DailySchema returns the schema of a daily series: symbol, date, open,
// high, low, close, volume and, when adjusted, adjusted_close, dividend and
// split_coefficient: Kind{Adjusted: adjusted}.Schema(). No column is
// nullable in practice.
func DailySchema(adjusted bool) *arrow.Schema {
	if adjusted {
		return adjustedSchema
	}
	return dailySchema
}
