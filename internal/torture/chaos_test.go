package torture_test

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// chaosKey is the API key of the chaos runs. Its '/', '+' and '=' are
// escaped in the query string, so a leak of its escaped form is caught too.
const chaosKey = "sk-Chaos/Key+42=never-print-me"

// chaosRun describes one chaos run of `loader fetch`.
type chaosRun struct {
	symbols     int
	concurrency int
	rate        float64 // requests per minute, 0 for no limit
	retries     int
	timeout     time.Duration
	outputSize  string
	dataType    string
	format      string
	// notes adds the service's rate-limit payloads to the failures; like
	// the 429s they make the client halve what it sends (once a minute at
	// most), so only runs without a rate have them.
	notes bool
	// keyEnvByEnv names the key's variable by $LOADER_API_KEY_ENV instead
	// of --api-key-env.
	keyEnvByEnv bool
	logFormat   string
}

// TestChaos runs the real binary against a server that, per symbol and
// attempt, mixes every failure of the real service and real networks, and
// checks that every symbol ends exactly right or failed for a true reason,
// that no file is partial, and that the client kept to --concurrency and
// --rate. The first run has no rate limit and meets the rate-limit
// payloads too; the second keeps to a rate.
func TestChaos(t *testing.T) {
	runs := []struct {
		name string
		run  chaosRun
	}{
		{"unlimited", chaosRun{
			symbols: pick(200, 1000), concurrency: pick(32, 64), retries: 2,
			timeout: pick(3*time.Second, 5*time.Second), outputSize: pick("compact", "full"),
			dataType: "json", format: "parquet", notes: true, logFormat: "json",
		}},
		{"rate limited", chaosRun{
			symbols: pick(40, 200), concurrency: 6, rate: 900, retries: 2,
			timeout: 3 * time.Second, outputSize: "compact", dataType: "csv", format: "arrow",
			keyEnvByEnv: true, logFormat: "text",
		}},
	}
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) { chaos(t, r.run) })
	}
}

// chaos makes one chaos run of c, with plans drawn from a fresh seed (or
// $LOADER_TORTURE_SEED), and checks its outcome, its files, its limits and
// that the key appears nowhere in what it produced.
func chaos(t *testing.T, c chaosRun) {
	seed := uint64(time.Now().UnixNano())
	if s, err := strconv.ParseUint(os.Getenv("LOADER_TORTURE_SEED"), 10, 64); err == nil {
		seed = s
	}
	t.Logf("seed %d (set LOADER_TORTURE_SEED to repeat)", seed)
	rng := rand.New(rand.NewPCG(seed, 9))

	symbols := make([]string, c.symbols)
	for i := range symbols {
		symbols[i] = fmt.Sprintf("C%04d", i)
	}
	plans := drawPlans(rng, symbols, c.retries, transientAnswers(c.notes))
	srv := newChaosServer(chaosKey, c.timeout, plans)
	url := srv.start(t)

	out := filepath.Join(t.TempDir(), "out")
	report := filepath.Join(t.TempDir(), "report.json")
	env := []string{"CHAOS_API_KEY=" + chaosKey}
	args := []string{"fetch", "--source", "alphavantage", "--base-url", url,
		"--symbols", strings.Join(symbols, ","), "--out", out, "--format", c.format,
		"--outputsize", c.outputSize, "--datatype", c.dataType,
		"--concurrency", strconv.Itoa(c.concurrency), "--rate", strconv.FormatFloat(c.rate, 'f', -1, 64),
		"--retries", strconv.Itoa(c.retries), "--timeout", c.timeout.String(),
		"--report", report, "--log-format", c.logFormat}
	if c.keyEnvByEnv {
		env = append(env, "LOADER_API_KEY_ENV=CHAOS_API_KEY")
	} else {
		args = append(args, "--api-key-env", "CHAOS_API_KEY")
	}
	res := runLoader(t, 5*time.Minute, env, args...)
	served, arrivals, problems := srv.record()
	t.Logf("%d symbols, %d requests in %v, peak %d in flight, peak RSS %d MiB",
		len(symbols), len(arrivals), res.elapsed.Round(time.Millisecond), srv.peak.Load(), res.maxRSS>>20)
	for _, p := range problems {
		t.Error("server saw: " + p)
	}

	m, ok := readManifest(t, out)
	if !ok {
		t.Fatalf("no manifest; exit %d\n%s", res.code, tail(res.stderr))
	}
	if m.Finished == nil {
		t.Error("the manifest does not record the end of the run")
	}
	failed := checkOutcomes(t, m, plans, served, c, out)
	if wantCode := min(failed, 1); res.code != wantCode {
		t.Errorf("exit code %d with %d failed symbols, want %d\n%s", res.code, failed, wantCode, tail(res.stderr))
	}

	data, hidden := dataFiles(t, out)
	if len(hidden) > 0 {
		t.Errorf("temporary files left behind: %v", hidden)
	}
	if want := len(symbols) - failed; len(data) != want {
		t.Errorf("%d data files for %d symbols that succeeded", len(data), want)
	}

	switch peak := srv.peak.Load(); {
	case peak > int64(c.concurrency):
		t.Errorf("%d requests in flight at once, --concurrency %d", peak, c.concurrency)
	case peak < 2:
		t.Errorf("requests never overlapped: the run did not put --concurrency %d to the test", c.concurrency)
	}
	if c.rate > 0 {
		checkRate(t, arrivals, c.rate)
	}
	outputs := map[string][]byte{"stdout": res.stdout, "stderr": res.stderr}
	if b, err := os.ReadFile(report); err == nil {
		outputs["--report"] = b
	} else {
		t.Errorf("no --report: %v", err)
	}
	checkNoSecret(t, chaosKey, outputs, out)
}

// checkOutcomes compares every symbol's manifest entry with its plan and
// with what the server answered: an ok symbol has exactly the served
// values, a failed one a reason true to the last answer, and both the
// number of attempts the server saw. It returns the number of failures.
func checkOutcomes(t *testing.T, m manifest, plans map[string][]answer, served map[string][]answer, c chaosRun, out string) (failed int) {
	t.Helper()
	if len(m.Symbols) != len(plans) {
		t.Errorf("manifest lists %d symbols, want %d", len(m.Symbols), len(plans))
	}
	byOutcome := map[string]int{}
	for _, e := range m.Symbols {
		plan, known := plans[e.Symbol]
		if !known {
			t.Errorf("manifest lists %q, never asked for", e.Symbol)
			continue
		}
		wantOK, attempts, last := outcome(plan, c.retries)
		got := served[e.Symbol]
		if len(got) != attempts || !slices.Equal(got, answersPrefix(plan, attempts)) {
			t.Errorf("%s: the server answered %v, the plan was %v for %d attempts", e.Symbol, names(got), names(plan), attempts)
		}
		if e.Attempts != attempts {
			t.Errorf("%s: manifest says %d attempts, the server saw %d", e.Symbol, e.Attempts, len(got))
		}
		switch {
		case wantOK && e.Status == "ok":
			byOutcome["ok"]++
			checkFile(t, filepath.Join(out, e.File), e.Symbol, servedBars(e.Symbol, c.outputSize))
		case !wantOK && e.Status == "failed":
			failed++
			byOutcome["failed: "+answers[last].name]++
			if !strings.Contains(e.Reason, "fetch "+e.Symbol) || !containsAny(e.Reason, answers[last].reasons) {
				t.Errorf("%s failed on %s, but the reason is %q", e.Symbol, answers[last].name, e.Reason)
			}
			if _, err := os.Stat(filepath.Join(out, e.Symbol+"."+c.format)); err == nil {
				t.Errorf("%s failed but has a file", e.Symbol)
			}
		default:
			if e.Status != "ok" {
				failed++
			}
			t.Errorf("%s: status %s (%s), want ok=%v after answers %v", e.Symbol, e.Status, e.Reason, wantOK, names(got))
		}
	}
	t.Logf("outcomes: %v", byOutcome)
	return failed
}

// answersPrefix returns the first n answers a plan gives.
func answersPrefix(plan []answer, n int) []answer {
	out := make([]answer, n)
	for i := range out {
		switch {
		case i < len(plan):
			out[i] = plan[i]
		case plan[0] == answerUnknown:
			out[i] = answerUnknown
		}
	}
	return out
}

func names(as []answer) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = answers[a].name
	}
	return out
}

func containsAny(s string, words []string) bool {
	for _, w := range words {
		if strings.Contains(s, w) {
			return true
		}
	}
	return false
}

// checkRate fails if the requests arrived faster than perMinute allows a
// token bucket of burst 1: at most 1 + rate·w in any window w. Requests
// the client let go apart can arrive closer together, so the window is
// widened by rateJitter, which a client ignoring --rate would still blow
// through at once.
func checkRate(t *testing.T, arrivals []time.Time, perMinute float64) {
	t.Helper()
	const rateJitter = 250 * time.Millisecond
	perSecond := perMinute / 60
	for _, w := range []time.Duration{time.Second, 3 * time.Second} {
		allowed := 1 + int(perSecond*(w+rateJitter).Seconds())
		if got := maxInWindow(arrivals, w); got > allowed {
			t.Errorf("%d requests within %v, --rate %v allows %d", got, w, perMinute, allowed)
		}
	}
	if n := len(arrivals); n > 1 {
		span := arrivals[n-1].Sub(arrivals[0]).Seconds()
		if mean := float64(n-1) / span; mean > perSecond {
			t.Errorf("mean rate %.2f requests/s, --rate allows %.2f", mean, perSecond)
		}
	}
}
