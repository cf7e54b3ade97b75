package alphavantage_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// serviceKinds lists every kind with what its error must say and how
// callers must treat it.
var serviceKinds = []struct {
	kind                          alphavantage.ServiceErrorKind
	testdata                      string
	says                          string
	retryable, rateLimit, premium bool
}{
	{alphavantage.ServiceInvalidCall, "error_invalid_symbol.json", "invalid call", false, false, false},
	{alphavantage.ServiceInvalidKey, "error_invalid_key.json", "invalid or missing API key", false, false, false},
	{alphavantage.ServiceRateLimitMinute, "error_note_rate_limit.json", "rate limited (calls per minute)", true, true, false},
	{alphavantage.ServiceRateLimitSecond, "error_per_second.json", "rate limited (1 request per second)", true, true, false},
	{alphavantage.ServiceRateLimitDay, "error_daily_limit.json", "daily request limit", false, true, false},
	{alphavantage.ServicePremiumEndpoint, "error_premium_endpoint.json", "premium endpoint", false, false, true},
	{alphavantage.ServicePremiumOutputSize, "error_premium_outputsize.json", "use --outputsize compact or a premium key", false, false, true},
	{alphavantage.ServiceDemoKey, "", "the demo API key serves only the documentation's examples", false, false, false},
	{alphavantage.ServiceInformation, "", "information", false, false, false},
}

// TestServiceError checks that the payload EncodeServiceError writes is
// byte for byte the recorded one, decodes back to its kind through both
// decoders, and that the kind's methods and message are right.
func TestServiceError(t *testing.T) {
	t.Parallel()
	for _, tc := range serviceKinds {
		t.Run(fmt.Sprint(tc.kind), func(t *testing.T) {
			var body bytes.Buffer
			if err := alphavantage.EncodeServiceError(&body, tc.kind); err != nil {
				t.Fatal(err)
			}
			if tc.testdata != "" {
				recorded, err := os.ReadFile(filepath.Join("testdata", tc.testdata))
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(body.Bytes(), recorded) {
					t.Errorf("payload\n%s\nwant the recorded\n%s", body.Bytes(), recorded)
				}
			}
			for _, decode := range []decodeFunc{alphavantage.DecodeJSON, alphavantage.DecodeCSV} {
				mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
				_, err := decode(bytes.NewReader(body.Bytes()), "IBM", sources.Kind{}, mem)
				mem.AssertSize(t, 0)
				var se *alphavantage.ServiceError
				if !errors.As(err, &se) {
					t.Fatalf("err = %v, want a *ServiceError", err)
				}
				if se.Kind != tc.kind {
					t.Errorf("kind = %d, want %d", se.Kind, tc.kind)
				}
				if !strings.Contains(se.Error(), tc.says) || !strings.Contains(se.Error(), se.Message) {
					t.Errorf("Error() = %q, want it to say %q and quote the service", se.Error(), tc.says)
				}
				if se.Retryable() != tc.retryable || se.RateLimited() != tc.rateLimit || se.Premium() != tc.premium {
					t.Errorf("Retryable, RateLimited, Premium = %v, %v, %v; want %v, %v, %v",
						se.Retryable(), se.RateLimited(), se.Premium(), tc.retryable, tc.rateLimit, tc.premium)
				}
			}
		})
	}
}

// TestServiceErrorClassifiesVariants feeds texts the service has used
// besides the canonical ones.
func TestServiceErrorClassifiesVariants(t *testing.T) {
	t.Parallel()
	cases := []struct {
		body string
		want alphavantage.ServiceErrorKind
	}{
		{`{"Information": "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings."}`, alphavantage.ServiceDemoKey},
		{`{"Information": "Thank you for using Alpha Vantage! Please contact premium@alphavantage.co if you are targeting a higher API call volume."}`, alphavantage.ServiceRateLimitMinute},
		{`{"Note": "Thank you for using Alpha Vantage! Please contact premium@alphavantage.co if you are targeting a higher API call volume."}`, alphavantage.ServiceRateLimitMinute},
		{`{"Information": "Thank you for using Alpha Vantage! Please visit https://www.alphavantage.co/premium/ if you would like to have a higher API call volume."}`, alphavantage.ServiceRateLimitMinute},
		{`{"Information": "Burst pattern detected. Please consider spreading out your free API requests more sparingly (1 request per second)."}`, alphavantage.ServiceRateLimitSecond},
		{`{"Information": "Burst pattern detected."}`, alphavantage.ServiceRateLimitSecond},
		{`{"Information": "Thank you for using Alpha Vantage! This is a premium endpoint."}`, alphavantage.ServicePremiumEndpoint},
		{`{"Information": "Our servers are busy."}`, alphavantage.ServiceInformation},
		{`{"Information": "We have detected your API key as XYZ and our standard API rate limit is 25 requests per day."}`, alphavantage.ServiceRateLimitDay},
		{`{"Information": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute."}`, alphavantage.ServiceRateLimitMinute},
		{`{"Error Message": "Invalid API call. Please retry or visit the documentation for TIME_SERIES_DAILY_ADJUSTED."}`, alphavantage.ServiceInvalidCall},
		{`{"Error Message": "Invalid API call. the parameter APIKEY is missing"}`, alphavantage.ServiceInvalidKey},
	}
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tc := range cases {
		_, err := alphavantage.DecodeJSON(strings.NewReader(tc.body), "IBM", sources.Kind{}, mem)
		var se *alphavantage.ServiceError
		if !errors.As(err, &se) || se.Kind != tc.want {
			t.Errorf("%s: err = %v, want kind %d", tc.body, err, tc.want)
		}
	}
}
