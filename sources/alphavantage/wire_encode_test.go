package alphavantage_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/sample"
)

// TestEncodeMatchesRecorded re-encodes the recorded IBM bodies from their
// decoded bars: the encoders must write the service's layout byte for byte.
func TestEncodeMatchesRecorded(t *testing.T) {
	t.Parallel()
	for _, file := range []string{"ibm_daily.json", "ibm_daily_adjusted.json", "ibm_daily.csv", "ibm_daily_adjusted.csv"} {
		t.Run(file, func(t *testing.T) {
			adjusted := strings.Contains(file, "adjusted")
			bars := decodeFile(t, file, sources.Kind{Adjusted: adjusted})
			var got bytes.Buffer
			var err error
			if strings.HasSuffix(file, ".csv") {
				err = alphavantage.EncodeCSV(&got, bars, sources.Kind{Adjusted: adjusted})
			} else {
				err = alphavantage.EncodeJSON(&got, "IBM", bars, sources.Kind{Adjusted: adjusted}, "compact")
			}
			if err != nil {
				t.Fatal(err)
			}
			want, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Bytes(), want) {
				t.Errorf("encoded\n%q\nwant\n%q", got.Bytes(), want)
			}
		})
	}
}

func TestEncodeJSONMeta(t *testing.T) {
	t.Parallel()
	bars := sample.Series("IBM")
	cases := []struct {
		name, symbol, outputSize string
		bars                     []sources.Bar
		adjusted                 bool
		wantSize, wantLast       string
		wantInfo                 string
	}{
		{"full", "IBM", "full", bars, false, "Full size", "2025-12-31", "Daily Prices (open, high, low, close) and Volumes"},
		{"compact adjusted", "IBM", "compact", bars[:100], true, "Compact", bars[99].Date.Format("2006-01-02"), "Daily Time Series with Splits and Dividend Events"},
		{"default size, no bars", "IBM", "", nil, false, "Compact", "", "Daily Prices (open, high, low, close) and Volumes"},
		{"symbol needing escapes", "A\"B\\C\x01", "compact", bars[:1], false, "Compact", bars[0].Date.Format("2006-01-02"), "Daily Prices (open, high, low, close) and Volumes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var body bytes.Buffer
			if err := alphavantage.EncodeJSON(&body, tc.symbol, tc.bars, sources.Kind{Adjusted: tc.adjusted}, tc.outputSize); err != nil {
				t.Fatal(err)
			}
			var doc struct {
				Meta   map[string]string            `json:"Meta Data"`
				Series map[string]map[string]string `json:"Time Series (Daily)"`
			}
			if err := json.Unmarshal(body.Bytes(), &doc); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
			want := map[string]string{
				"1. Information":    tc.wantInfo,
				"2. Symbol":         tc.symbol,
				"3. Last Refreshed": tc.wantLast,
				"4. Output Size":    tc.wantSize,
				"5. Time Zone":      "US/Eastern",
			}
			for k, v := range want {
				if doc.Meta[k] != v {
					t.Errorf("Meta Data %q = %q, want %q", k, doc.Meta[k], v)
				}
			}
			if len(doc.Series) != len(tc.bars) {
				t.Errorf("%d bars, want %d", len(doc.Series), len(tc.bars))
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	t.Parallel()
	if err := alphavantage.EncodeJSON(&bytes.Buffer{}, "IBM", nil, sources.Kind{}, "huge"); err == nil || !strings.Contains(err.Error(), `unknown output size "huge"`) {
		t.Errorf("EncodeJSON(outputSize huge) = %v", err)
	}
	broken := errors.New("disk full")
	bars := sample.Series("IBM")
	if err := alphavantage.EncodeJSON(failingWriter{broken}, "IBM", bars, sources.Kind{}, "full"); !errors.Is(err, broken) {
		t.Errorf("EncodeJSON to a failing writer = %v, want %v", err, broken)
	}
	if err := alphavantage.EncodeCSV(failingWriter{broken}, bars, sources.Kind{}); !errors.Is(err, broken) {
		t.Errorf("EncodeCSV to a failing writer = %v, want %v", err, broken)
	}
	if err := alphavantage.EncodeServiceError(failingWriter{broken}, alphavantage.ServiceInvalidKey); !errors.Is(err, broken) {
		t.Errorf("EncodeServiceError to a failing writer = %v, want %v", err, broken)
	}
}

type failingWriter struct{ err error }

func (w failingWriter) Write([]byte) (int, error) { return 0, w.err }
