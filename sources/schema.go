package sources

import (
	"github.com/apache/arrow-go/v18/arrow"
)

// Column names of a daily series. The first seven are always present; the
// adjusted ones only in series fetched with the adjusted function.
const (
	ColSymbol           = "symbol"
	ColDate             = "date"
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
)

// DailySchema returns the schema of a daily series: symbol, date, open,
// high, low, close, volume and, when adjusted, adjusted_close, dividend and
// split_coefficient. No column is nullable in practice.
func DailySchema(adjusted bool) *arrow.Schema {
	if adjusted {
		return adjustedSchema
	}
	return dailySchema
}
