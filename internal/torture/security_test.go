package torture_test

import (
	"bufio"
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/sources/alphavantage"

	"github.com/apache/arrow-go/v18/arrow/memory"
)

// hostileSymbols try to leave the output directory or add query
// parameters.
var hostileSymbols = []string{
	"../../x", "..", "../", "/etc/passwd", "/tmp/x", `..\..\x`, "A/B", "C:x",
	"AAPL&apikey=x", "AAPL?apikey=x", "AAPL#x", "AAPL%26apikey%3Dx", "A B", "A;B", "A\tB", "A\nB",
	"x\x00y",
}

// TestHostileSymbolsRejected gives `loader fetch` symbols that would leave
// the output directory or inject query parameters, on the command line
// and in a symbols file: each is a usage error (exit 2) that names the
// problem, and nothing is written anywhere.
func TestHostileSymbolsRejected(t *testing.T) {
	loaderBinary(t)
	for _, sym := range hostileSymbols {
		for _, via := range []string{"--symbols", "--symbols-file"} {
			switch {
			case via == "--symbols" && strings.ContainsRune(sym, 0):
				continue // an argument cannot hold a NUL byte
			case via == "--symbols-file" && strings.ContainsAny(sym, "#\n"):
				continue // a comment or a second line there
			}
			t.Run(via+" "+strings.ToValidUTF8(sym, "?"), func(t *testing.T) {
				dir := t.TempDir()
				out := filepath.Join(dir, "out")
				value := "AAPL," + sym
				if via == "--symbols-file" {
					value = filepath.Join(dir, "symbols.txt")
					if err := os.WriteFile(value, []byte("AAPL\n"+sym+"\n"), 0o644); err != nil {
						t.Fatal(err)
					}
				}
				res := runLoader(t, time.Minute, nil, "fetch", "--source", "sample", via, value, "--out", out, "--quiet")
				if res.code != 2 {
					t.Errorf("exit %d, want 2 (usage)\n%s", res.code, res.stderr)
				}
				if !strings.Contains(string(res.stderr), "not allowed") && !strings.Contains(string(res.stderr), "not a valid ticker") {
					t.Errorf("stderr does not say what is wrong:\n%s", res.stderr)
				}
				entries, err := os.ReadDir(dir)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range entries {
					if e.Name() != "symbols.txt" {
						t.Errorf("%s written after a rejected symbol", e.Name())
					}
				}
			})
		}
	}
}

// TestSymbolCannotInjectQuery calls the Alpha Vantage client directly
// (below the CLI's symbol check) with symbols that carry query syntax:
// each reaches the server as one symbol parameter, and the request holds
// the key once, unchanged.
func TestSymbolCannotInjectQuery(t *testing.T) {
	const key = "inject-test-key"
	var mu sync.Mutex
	var seen []string
	addr := serveHTTP(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		mu.Lock()
		seen = append(seen, q.Get("symbol"))
		mu.Unlock()
		if keys := q["apikey"]; len(keys) != 1 || keys[0] != key || len(q["symbol"]) != 1 || len(q["function"]) != 1 {
			t.Errorf("query %q: the symbol changed the other parameters", r.URL.RawQuery)
		}
		alphavantage.EncodeServiceError(w, alphavantage.ServiceInvalidCall)
	}), nil)

	av, err := alphavantage.New(alphavantage.Config{
		BaseURL: "http://" + addr + "/query", APIKey: key, Rate: 1e6, Retries: -1, Timeout: 5 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer av.Close()
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, sym := range []string{"AAPL&apikey=x", "AAPL&function=OTHER", "AAPL#frag", "AAPL?x=1", "A%26B", "A+B"} {
		_, err := av.Fetch(context.Background(), sym, mem)
		var se *alphavantage.ServiceError
		if !errors.As(err, &se) || se.Kind != alphavantage.ServiceInvalidCall {
			t.Errorf("Fetch(%q): %v, want the server's invalid-call refusal", sym, err)
		}
		mu.Lock()
		got := seen[len(seen)-1]
		mu.Unlock()
		if got != sym {
			t.Errorf("Fetch(%q): the server saw symbol %q", sym, got)
		}
	}
}

// TestServeBindsLoopback starts `loader serve` without --addr: it listens
// on 127.0.0.1 only. When the default port is taken, the error names the
// loopback address it tried.
func TestServeBindsLoopback(t *testing.T) {
	cmd := exec.Command(loaderBinary(t), "serve")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH")}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		s.Scan()
		line <- s.Text()
	}()
	select {
	case l := <-line:
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		if l == "" {
			if !strings.Contains(stderr.String(), "127.0.0.1:8080") {
				t.Errorf("serve failed without naming 127.0.0.1:8080: %v\n%s", err, stderr.String())
			}
			t.Logf("the default port is taken: %s", stderr.String())
			return
		}
		t.Log(l)
		if !strings.Contains(l, "http://127.0.0.1:") {
			t.Errorf("serve listens on %q, want 127.0.0.1", l)
		}
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("serve printed nothing in 30 s")
	}
}
