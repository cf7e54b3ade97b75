package torture_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// TestResumeNeverForgets watches the manifest while `loader fetch
// --resume` starts over a directory whose every symbol is already ok. A
// SIGKILL may land at any of those moments, so at none of them may the
// manifest list fewer symbols ok than before: what it forgets, the next
// --resume fetches again.
func TestResumeNeverForgets(t *testing.T) {
	loaderBinary(t)
	_, url := serveSample(t, avserver.Faults{})

	symbols := make([]string, 40)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("R%02d", i)
	}
	out := t.TempDir()
	args := []string{"fetch", "--source", "alphavantage", "--base-url", url,
		"--symbols", strings.Join(symbols, ","), "--out", out, "--rate", "0", "--quiet", "--resume"}
	env := []string{"ALPHAVANTAGE_API_KEY=resume-test-key"}
	if res := runLoader(t, time.Minute, env, args...); res.code != 0 {
		t.Fatalf("first run: exit %d\n%s", res.code, tail(res.stderr))
	}

	done := make(chan struct{})
	var wg sync.WaitGroup
	fewest := len(symbols)
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			default:
			}
			data, err := os.ReadFile(filepath.Join(out, "_manifest.json"))
			if err != nil {
				continue
			}
			var m manifest
			if json.Unmarshal(data, &m) != nil {
				t.Error("the manifest was not whole")
				continue
			}
			ok := 0
			for _, e := range m.Symbols {
				if e.Status == "ok" {
					ok++
				}
			}
			fewest = min(fewest, ok)
		}
	})
	res := runLoader(t, time.Minute, env, args...)
	close(done)
	wg.Wait()
	if res.code != 0 {
		t.Fatalf("--resume: exit %d\n%s", res.code, tail(res.stderr))
	}
	if fewest < len(symbols) {
		t.Errorf("while --resume started, the manifest listed only %d of %d symbols ok: a kill then forgets the rest", fewest, len(symbols))
	}
}
