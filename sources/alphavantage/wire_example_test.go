package alphavantage_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

func ExampleDecodeCSV() {
	body := "timestamp,open,high,low,close,volume\r\n" +
		"2024-01-05,160.0000,160.7200,158.6000,159.1600,3927757\r\n" +
		"2024-01-04,160.1000,161.4600,159.3500,160.1000,3997823\r\n"
	rec, err := alphavantage.DecodeCSV(strings.NewReader(body), "IBM", sources.Kind{}, memory.DefaultAllocator)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer rec.Release()
	dates := rec.Column(1).(*array.Date32)
	closes := rec.Column(5).(*array.Float64)
	for i := range int(rec.NumRows()) {
		fmt.Println(dates.Value(i).FormattedString(), closes.Value(i))
	}
	// Output:
	// 2024-01-04 160.1
	// 2024-01-05 159.16
}

func ExampleDecodeJSON_serviceError() {
	body := `{"Information": "Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the TIME_SERIES_DAILY endpoint."}`
	_, err := alphavantage.DecodeJSON(strings.NewReader(body), "IBM", sources.Kind{}, memory.DefaultAllocator)
	var se *alphavantage.ServiceError
	if errors.As(err, &se) {
		fmt.Println(se.Kind, "retryable:", se.Retryable())
	}
	// Output:
	// premium output size retryable: false
}

func ExampleEncodeCSV() {
	bars := sample.Series("IBM")
	var body strings.Builder
	if err := alphavantage.EncodeCSV(&body, bars[len(bars)-2:], sources.Kind{}); err != nil {
		fmt.Println(err)
		return
	}
	for line := range strings.Lines(body.String()) {
		fmt.Printf("%q\n", line)
	}
	// Output:
	// "timestamp,open,high,low,close,volume\r\n"
	// "2025-12-31,11255.3462,11557.0571,11222.4861,11330.4503,3178400\r\n"
	// "2025-12-30,10812.4967,11601.3300,10743.0894,11169.8107,5279833\r\n"
}
