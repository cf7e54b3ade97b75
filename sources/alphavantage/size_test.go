package alphavantage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/sources"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
	"github.com/seed-c7c8f39b/loader/sources/sample"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

func TestFetchSizeOverridesOutputSize(t *testing.T) {
	srv, url := avtest.Start(t, avserver.Config{})
	av := newTestClient(t, url, alphavantage.Config{OutputSize: "full"})
	var _ sources.SizedSource = av
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, tt := range []struct {
		size sources.OutputSize
		rows int
	}{
		{sources.Compact, sources.CompactBars},
		{sources.Full, len(sample.Series("IBM"))},
	} {
		s, err := av.FetchSize(context.Background(), "IBM", tt.size, mem)
		if err != nil {
			t.Fatal(err)
		}
		if int(s.Record.NumRows()) != tt.rows || s.Meta["output_size"] != string(tt.size) {
			t.Errorf("FetchSize(%s): %d rows, meta %v; want %d rows", tt.size, s.Record.NumRows(), s.Meta, tt.rows)
		}
		s.Record.Release()
	}
	if st := srv.Stats(); st.Compact != 1 || st.Full != 1 {
		t.Errorf("server saw %+v, want one compact and one full request", st)
	}
	if _, err := av.FetchSize(context.Background(), "IBM", "all", mem); err == nil || !strings.Contains(err.Error(), "IBM") {
		t.Errorf("FetchSize(all) = %v, want an error naming IBM", err)
	}
}
