package alphavantage

import (
	"fmt"
	"io"
	"strings"
)

// ServiceErrorKind classifies the refusals Alpha Vantage sends as HTTP 200
// with a JSON body of "Error Message", "Note" or "Information".
type ServiceErrorKind int

const (
	// ServiceInformation is an "Information" message of no other kind.
	ServiceInformation ServiceErrorKind = iota
	// ServiceInvalidCall is an "Error Message" about the call itself,
	// most often an unknown symbol.
	ServiceInvalidCall
	// ServiceInvalidKey is an "Error Message" about a missing or invalid
	// apikey.
	ServiceInvalidKey
	// ServiceRateLimitMinute is the "Note" about the per-minute call
	// frequency.
	ServiceRateLimitMinute
	// ServiceRateLimitSecond is the "Information" asking to spread requests
	// out to 1 per second.
	ServiceRateLimitSecond
	// ServiceRateLimitDay is the "Information" that the daily request quota
	// is used up.
	ServiceRateLimitDay
	// ServicePremiumEndpoint is the "Information" that the function needs a
	// premium key.
	ServicePremiumEndpoint
	// ServicePremiumOutputSize is the "Information" that outputsize=full
	// needs a premium key.
	ServicePremiumOutputSize
	// ServiceDemoKey is the "Information" that the documentation's demo
	// key serves only the documentation's examples.
	ServiceDemoKey
)

// String names the kind for logs and reports.
func (k ServiceErrorKind) String() string {
	switch k {
	case ServiceInformation:
		return "information"
	case ServiceInvalidCall:
		return "invalid call"
	case ServiceInvalidKey:
		return "invalid key"
	case ServiceRateLimitMinute:
		return "rate limit per minute"
	case ServiceRateLimitSecond:
		return "rate limit per second"
	case ServiceRateLimitDay:
		return "rate limit per day"
	case ServicePremiumEndpoint:
		return "premium endpoint"
	case ServicePremiumOutputSize:
		return "premium output size"
	case ServiceDemoKey:
		return "demo key"
	}
	return fmt.Sprintf("ServiceErrorKind(%d)", int(k))
}

// The service's own texts for each kind, as it sends them. The server
// behind `loader serve` answers with these, and the tests classify them.
const (
	MessageInvalidCall       = "Invalid API call. Please retry or visit the documentation (https://www.alphavantage.co/documentation/) for TIME_SERIES_DAILY."
	MessageInvalidKey        = "the parameter apikey is invalid or missing. Please claim your free API key on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."
	MessageRateLimitMinute   = "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you would like to target a higher API call frequency."
	MessageRateLimitSecond   = "Thank you for using Alpha Vantage! Please consider spreading out your free API requests more sparingly (1 request per second). You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to lift the free key rate limit (25 requests per day), raise the per-second burst limit, and instantly unlock all premium endpoints"
	MessageRateLimitDay      = "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests per day. Please subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."
	MessagePremiumEndpoint   = "Thank you for using Alpha Vantage! This is a premium endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium endpoints"
	MessagePremiumOutputSize = "Thank you for using Alpha Vantage! The outputsize=full parameter value is a premium feature for the TIME_SERIES_DAILY endpoint. You may subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to instantly unlock all premium features"
	MessageDemoKey           = "The **demo** API key is for demo purposes only. Please claim your free API key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. It takes fewer than 20 seconds."
)

// ServiceError is a refusal the service sent in place of a time series.
// Find it with errors.As; Retryable tells whether asking again later in
// the same run can succeed.
type ServiceError struct {
	Kind ServiceErrorKind
	// Message is the service's text. The daily-limit text echoes the API
	// key; in an error from Client.Fetch the key is redacted.
	Message string
}

// classifyServiceMessage returns the ServiceError for a payload whose key
// is "Error Message", "Note" or "Information". The order of the checks
// matters: the 1-request-per-second text also mentions the daily limit and
// premium endpoints, and the premium texts mention premium plans as the
// rate-limit ones do.
func classifyServiceMessage(key, message string) *ServiceError {
	lower := strings.ToLower(message)
	has := func(s string) bool { return strings.Contains(lower, s) }
	kind := ServiceInformation
	switch {
	case key == "Error Message" && has("apikey"):
		kind = ServiceInvalidKey
	case key == "Error Message":
		kind = ServiceInvalidCall
	case key == "Note":
		kind = ServiceRateLimitMinute
	case has("demo purposes") || has("demo api key"):
		kind = ServiceDemoKey
	case has("spreading out") || has("per second") || has("burst pattern"):
		kind = ServiceRateLimitSecond
	case has("outputsize=full"):
		kind = ServicePremiumOutputSize
	case has("premium endpoint"):
		kind = ServicePremiumEndpoint
	case has("per day"):
		kind = ServiceRateLimitDay
	case has("call frequency") || has("per minute") || has("higher api call volume"):
		kind = ServiceRateLimitMinute
	}
	return &ServiceError{Kind: kind, Message: message}
}

// Error says what the service refused and, where the user can do
// something about it, what to change.
func (e *ServiceError) Error() string {
	var what string
	switch e.Kind {
	case ServiceInvalidCall:
		what = "invalid call (unknown symbol?)"
	case ServiceInvalidKey:
		what = "invalid or missing API key (get a free one at https://www.alphavantage.co/support/#api-key)"
	case ServiceDemoKey:
		what = "the demo API key serves only the documentation's examples (get a free key at https://www.alphavantage.co/support/#api-key)"
	case ServiceRateLimitMinute:
		what = "rate limited (calls per minute)"
	case ServiceRateLimitSecond:
		what = "rate limited (1 request per second)"
	case ServiceRateLimitDay:
		what = "daily request limit reached (the quota resets at midnight US/Eastern; run again then, or use a premium key)"
	case ServicePremiumEndpoint:
		what = "premium endpoint (this function needs a premium key; the unadjusted daily, weekly and monthly series are free)"
	case ServicePremiumOutputSize:
		what = "outputsize=full is premium (use --outputsize compact or a premium key)"
	default:
		what = "information"
	}
	return fmt.Sprintf("alpha vantage: %s: %q", what, e.Message)
}

// Retryable reports whether the same request can succeed later in this
// run: true for the per-minute and per-second limits, false for the daily
// quota, premium refusals, bad keys, bad calls and other messages.
func (e *ServiceError) Retryable() bool {
	return e.Kind == ServiceRateLimitMinute || e.Kind == ServiceRateLimitSecond
}

// RateLimited reports whether the service refused because of a request
// quota, per second, minute or day.
func (e *ServiceError) RateLimited() bool {
	return e.Kind == ServiceRateLimitMinute || e.Kind == ServiceRateLimitSecond || e.Kind == ServiceRateLimitDay
}

// Premium reports whether the request needs a premium key.
func (e *ServiceError) Premium() bool {
	return e.Kind == ServicePremiumEndpoint || e.Kind == ServicePremiumOutputSize
}

// EncodeServiceError writes the service's payload for kind to w, exactly
// as the service sends it: a pretty-printed JSON object with one key and
// the kind's Message text.
func EncodeServiceError(w io.Writer, kind ServiceErrorKind) error {
	key, message := serviceErrorPayload(kind)
	return encodeServicePayload(w, key, message)
}

// EncodeInvalidCall writes the service's invalid-call refusal of a request
// for function to w: the ServiceInvalidCall payload, whose text names the
// function asked for ("… for TIME_SERIES_INTRADAY."), as the service
// answers an unknown symbol, an interval it does not have or a month
// before its intraday history.
func EncodeInvalidCall(w io.Writer, function string) error {
	return encodeServicePayload(w, "Error Message", InvalidCallMessage(function))
}

// InvalidCallMessage returns the service's invalid-call text for a
// request for function; MessageInvalidCall is TIME_SERIES_DAILY's.
func InvalidCallMessage(function string) string {
	return strings.TrimSuffix(MessageInvalidCall, FunctionDaily+".") + function + "."
}

func encodeServicePayload(w io.Writer, key, message string) error {
	b := make([]byte, 0, 320)
	b = append(b, "{\n    "...)
	b = appendJSONString(b, key)
	b = append(b, ": "...)
	b = appendJSONString(b, message)
	b = append(b, "\n}"...)
	if _, err := w.Write(b); err != nil {
		return fmt.Errorf("encode service error: %w", err)
	}
	return nil
}

// serviceErrorPayload returns the JSON key and text the service uses for
// kind.
func serviceErrorPayload(kind ServiceErrorKind) (key, message string) {
	switch kind {
	case ServiceInvalidCall:
		return "Error Message", MessageInvalidCall
	case ServiceInvalidKey:
		return "Error Message", MessageInvalidKey
	case ServiceRateLimitMinute:
		return "Note", MessageRateLimitMinute
	case ServiceRateLimitSecond:
		return "Information", MessageRateLimitSecond
	case ServiceRateLimitDay:
		return "Information", MessageRateLimitDay
	case ServicePremiumEndpoint:
		return "Information", MessagePremiumEndpoint
	case ServicePremiumOutputSize:
		return "Information", MessagePremiumOutputSize
	case ServiceDemoKey:
		return "Information", MessageDemoKey
	default:
		return "Information", "Thank you for using Alpha Vantage!"
	}
}
