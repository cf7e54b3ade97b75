// The scale-out story of examples/cluster, run on one machine against a
// real S3 server (versitygw on 127.0.0.1): three shard processes write one
// prefix at once, as the pods of a Kubernetes Indexed Job would, then two
// ranks read it, as torchrun's processes would.
package cluster_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	_ "github.com/seed-c7c8f39b/loader/dataset/store/s3store"
	"github.com/seed-c7c8f39b/loader/internal/duckdbtest"
	"github.com/seed-c7c8f39b/loader/internal/s3test"
	"github.com/seed-c7c8f39b/loader/internal/testbin"
	"github.com/seed-c7c8f39b/loader/loader"
	"github.com/seed-c7c8f39b/loader/symbols"
)

func TestMain(m *testing.M) {
	code := m.Run()
	testbin.Remove()
	if code == 0 {
		// The AWS SDK's transport keeps idle connections, each with two
		// goroutines, until they time out.
		if err := goleak.Find(goleak.IgnoreTopFunction("net/http.(*persistConn).readLoop"),
			goleak.IgnoreTopFunction("net/http.(*persistConn).writeLoop"),
			goleak.IgnoreTopFunction("internal/poll.runtime_pollWait")); err != nil {
			fmt.Fprintln(os.Stderr, err)
			code = 1
		}
	}
	os.Exit(code)
}

// universe is 30 symbols, among them some whose file names need escaping.
func universe() []string {
	syms := []string{"BRK.B", "EURUSD=X", "^GSPC", "TSCO.LON"}
	for i := len(syms); i < 30; i++ {
		syms = append(syms, fmt.Sprintf("T%02d", i))
	}
	return syms
}

// run is one finished process.
type run struct {
	args           []string
	code           int
	stdout, stderr []byte
}

func (r run) String() string {
	return fmt.Sprintf("loader %s: exit %d\n%s%s", strings.Join(r.args, " "), r.code, r.stdout, r.stderr)
}

// outputs collects what every process printed, to search for the secret.
type outputs struct {
	mu   sync.Mutex
	runs []run
}

func (o *outputs) loader(t *testing.T, env []string, args ...string) run {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, testbin.Loader(t), args...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	r := run{args: args, stdout: stdout.Bytes(), stderr: stderr.Bytes()}
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("loader %s: %v", strings.Join(args, " "), err)
	}
	o.mu.Lock()
	o.runs = append(o.runs, r)
	o.mu.Unlock()
	return r
}

// TestThreeShardsThenTwoRanks is the test of the example: three shards
// write 30 symbols to s3://bucket/prefix at once; every symbol lands once,
// the manifests account for all of them, inspect and batches read the
// prefix, a DataLoader of world size 2 reads it with both ranks disjoint
// and together complete, the hive layout works the same, DuckDB reads every
// symbol's rows from the objects of both layouts (internal/duckdbtest), and
// the S3 secret appears in nothing any of it printed or wrote.
func TestThreeShardsThenTwoRanks(t *testing.T) {
	srv := s3test.Start(t, "bucket")
	work := t.TempDir()
	symFile := filepath.Join(work, "universe.txt")
	if err := os.WriteFile(symFile, []byte(strings.Join(universe(), "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var out outputs
	env := srv.Env()

	for _, layout := range []string{"files", "hive"} {
		prefix := "s3://bucket/prefix"
		if layout == "hive" {
			prefix = "s3://bucket/hive"
		}
		t.Run(layout, func(t *testing.T) {
			var wg sync.WaitGroup
			for k := range 3 {
				wg.Go(func() {
					r := out.loader(t, env, "fetch", "--symbols-file", symFile, "--shard", fmt.Sprintf("%d/3", k),
						"--out", prefix, "--layout", layout, "--quiet", "--concurrency", "4",
						"--report", filepath.Join(work, fmt.Sprintf("%s-report-%d.json", layout, k)))
					if r.code != 0 {
						t.Errorf("shard %d: %s", k, r)
					}
				})
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			checkEverySymbolOnce(t, srv, prefix, layout)
			checkTwoRanks(t, srv, prefix)

			r := out.loader(t, env, "inspect", prefix)
			if r.code != 0 {
				t.Fatalf("inspect: %s", r)
			}
			for _, want := range []string{"total: 30 files, 156540 rows, 30 symbols", "EURUSD=X", "^GSPC",
				"manifests: 3 (_manifest.shard-0-of-3.json, _manifest.shard-1-of-3.json, _manifest.shard-2-of-3.json): 30 symbols, 30 ok, 0 failed"} {
				if !bytes.Contains(r.stdout, []byte(want)) {
					t.Errorf("inspect does not say %q:\n%s", want, r.stdout)
				}
			}
			cache := filepath.Join(work, layout+"-cache")
			for _, pass := range []string{"cold", "warm"} {
				r = out.loader(t, env, "batches", "--in", prefix, "--cache-dir", cache, "--cache-limit", "64MiB",
					"--world-size", "2", "--rank", "1", "--drop-last")
				if r.code != 0 || !bytes.Contains(r.stdout, []byte("opened 30 files, 30 symbols, 156540 rows")) {
					t.Errorf("batches (%s cache): %s", pass, r)
				}
			}
		})
	}

	t.Run("duckdb", func(t *testing.T) {
		// versitygw keeps each object as a file under its root: DuckDB reads
		// the very bytes the shards uploaded. The hive layout's files hold
		// no symbol column: DuckDB takes it from the partition directories.
		for _, tt := range []struct{ prefix, from string }{
			{"s3://bucket/prefix", fmt.Sprintf("read_parquet('%s')", filepath.Join(srv.Root, "bucket", "prefix", "*.parquet"))},
			{"s3://bucket/hive", fmt.Sprintf("read_parquet('%s', hive_partitioning = true)", filepath.Join(srv.Root, "bucket", "hive", "*", "*.parquet"))},
		} {
			rows := duckdbtest.Query(t, "SELECT symbol, count(*) AS n FROM "+tt.from+" GROUP BY symbol ORDER BY symbol")
			got := map[string]string{}
			for _, r := range rows {
				got[fmt.Sprint(r["symbol"])] = fmt.Sprint(r["n"])
			}
			u := union(t, srv, tt.prefix)
			var total int64
			for _, sym := range universe() {
				e, _ := u.Entry(sym)
				if want := fmt.Sprint(e.Rows); got[sym] != want {
					t.Errorf("%s: DuckDB reads %q rows of %s, the manifests say %s", tt.prefix, got[sym], sym, want)
				}
				total += e.Rows
			}
			if len(got) != 30 || total != u.Totals().Rows {
				t.Errorf("%s: DuckDB reads %d symbols, want 30; the manifests' entries sum to %d rows, their totals say %d", tt.prefix, len(got), total, u.Totals().Rows)
			}
		}
	})

	t.Run("secret", func(t *testing.T) {
		var places []string
		for _, r := range out.runs {
			if bytes.Contains(r.stdout, []byte(srv.SecretKey)) || bytes.Contains(r.stderr, []byte(srv.SecretKey)) {
				places = append(places, "the output of "+r.String())
			}
		}
		for _, dir := range []string{work, srv.Root} {
			filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				if data, err := os.ReadFile(p); err == nil && bytes.Contains(data, []byte(srv.SecretKey)) {
					places = append(places, p)
				}
				return nil
			})
		}
		if len(places) > 0 {
			t.Errorf("the S3 secret appears in %s", strings.Join(places, "; "))
		}
		if len(out.runs) < 12 {
			t.Errorf("searched %d runs' output, want at least 12", len(out.runs))
		}
	})
}

// checkEverySymbolOnce lists the prefix: one object per symbol and nothing
// else but the three manifests, each listing exactly its shard's symbols,
// all ok, with the size and ETag of the object as it is.
func checkEverySymbolOnce(t *testing.T, srv *s3test.Server, prefix, layout string) {
	t.Helper()
	srv.Setenv(t)
	ctx := context.Background()
	st, err := store.Open(ctx, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objs, err := st.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	byKey := map[string]store.Object{}
	var manifests []string
	for _, o := range objs {
		byKey[o.Key] = o
		switch {
		case dataset.IsManifest(o.Key):
			manifests = append(manifests, o.Key)
		case !dataset.IsDataKey(o.Key):
			t.Errorf("unexpected object %s (a lock left behind, or a partial upload?)", o.Key)
		}
	}
	if len(objs) != 33 || len(manifests) != 3 {
		t.Errorf("%d objects with %d manifests, want 30 data objects and 3 manifests", len(objs), len(manifests))
	}
	u, err := dataset.LoadUnion(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	if tot := u.Totals(); tot.Symbols != 30 || tot.OK != 30 {
		t.Errorf("the manifests together: %+v, want 30 symbols ok", tot)
	}
	lay, _ := dataset.ParseLayout(layout)
	for _, sym := range universe() {
		e, ok := u.Entry(sym)
		want, _ := lay.Path(sym, dataset.FormatParquet)
		obj, exists := byKey[want]
		if !ok || e.Status != dataset.StatusOK || e.File != want || !exists || obj.Size != e.Bytes || obj.ETag != e.ETag || e.ETag == "" {
			t.Errorf("%s: entry %+v, object %+v (exists %v); want ok at %s with its size and ETag", sym, e, obj, exists, want)
		}
	}
	for k := range 3 {
		m, err := dataset.LoadManifestAt(ctx, st, dataset.ShardManifestName(k, 3))
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, e := range m.Entries() {
			got = append(got, e.Symbol)
		}
		if want := symbols.Shard(universe(), k, 3); !slices.Equal(got, want) {
			t.Errorf("shard %d's manifest lists %q, want %q", k, got, want)
		}
	}
}

// union reads every manifest under prefix.
func union(t *testing.T, srv *s3test.Server, prefix string) *dataset.Union {
	t.Helper()
	srv.Setenv(t)
	st, err := store.Open(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := dataset.LoadUnion(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// checkTwoRanks reads the prefix with a DataLoader of world size 2: the
// ranks' samples are disjoint and together every sample of the dataset.
func checkTwoRanks(t *testing.T, srv *s3test.Server, prefix string) {
	t.Helper()
	srv.Setenv(t)
	ds, err := loader.Open(prefix, loader.DatasetConfig{Features: []string{"close", "volume"}, Target: "log_return"})
	if err != nil {
		t.Fatal(err)
	}
	if len(ds.Files()) != 30 || len(ds.Symbols()) != 30 || !slices.Contains(ds.Symbols(), "EURUSD=X") {
		t.Fatalf("opened %d files, symbols %q", len(ds.Files()), ds.Symbols())
	}
	type sample struct {
		symbol string
		date   time.Time
	}
	all := map[sample]int{}
	total := 0
	for rank := range 2 {
		l, err := loader.New(ds, loader.Config{Window: 16, BatchSize: 500, Shuffle: true, Seed: 7, Rank: rank, WorldSize: 2})
		if err != nil {
			t.Fatal(err)
		}
		total = l.Samples()
		for {
			b, err := l.Next(context.Background())
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range b.Size - b.Padded {
				all[sample{b.Symbols[i], b.Dates[i]}]++
			}
			b.Release()
		}
		l.Close()
	}
	if len(all) != total {
		t.Errorf("the two ranks yielded %d distinct samples, the dataset has %d", len(all), total)
	}
	for s, n := range all {
		if n != 1 {
			t.Errorf("sample %v came %d times", s, n)
			break
		}
	}
}

// TestFaults: an S3 that answers 503 SlowDown to every fifth request and
// drops about every seventh upload halfway still gets every symbol, each
// object complete; a server that dies in the middle of a run stops it
// (the requests still to come would be lost), leaves no partial object
// under a final key, and --resume then completes the dataset.
func TestFaults(t *testing.T) {
	srv := s3test.Start(t, "bucket")
	var out outputs
	syms := strings.Join(universe(), ",")

	t.Run("SlowDownAndCutUploads", func(t *testing.T) {
		proxy := s3test.NewProxy(t, srv, func(r *http.Request, n int64) s3test.Fault {
			switch {
			case n%5 == 0:
				return s3test.SlowDown
			case r.Method == http.MethodPut && n%7 == 1:
				return s3test.Cut
			}
			return s3test.Pass
		})
		r := out.loader(t, proxy.Env(srv), "fetch", "--symbols", strings.Join(universe()[:12], ","), "--out", "s3://bucket/faults", "--quiet")
		if r.code != 0 {
			t.Fatalf("fetch through faults: %s", r)
		}
		if proxy.Faults() < 5 {
			t.Errorf("only %d of %d requests got a fault", proxy.Faults(), proxy.Requests())
		}
		checkComplete(t, srv, "s3://bucket/faults", 12)
	})

	t.Run("ServerDiesMidRun", func(t *testing.T) {
		env := append(srv.Env(), "AWS_MAX_ATTEMPTS=2")
		var many []string
		for i := range 300 {
			many = append(many, fmt.Sprintf("D%03d", i))
		}
		done := make(chan run)
		go func() {
			done <- out.loader(t, env, "fetch", "--symbols", strings.Join(many, ","), "--out", "s3://bucket/dies",
				"--quiet", "--layout", "hive")
		}()
		waitForObjects(t, srv, filepath.Join("bucket", "dies"), 20)
		srv.Stop()
		died := time.Now()
		r := <-done
		if r.code == 0 {
			t.Fatalf("fetch succeeded although the server died: %s", r)
		}
		if waited := time.Since(died); waited > 30*time.Second {
			t.Errorf("the run went on for %v after the store died", waited)
		}
		if !bytes.Contains(r.stdout, []byte("run stopped")) {
			t.Errorf("the symbols after the death are not skipped as stopped: %s", r)
		}
		srv.Restart()
		checkComplete(t, srv, "s3://bucket/dies", -1)
		r = out.loader(t, srv.Env(), "fetch", "--symbols", strings.Join(many, ","), "--out", "s3://bucket/dies",
			"--quiet", "--layout", "hive", "--resume")
		if r.code != 0 {
			t.Fatalf("--resume after the server came back: %s", r)
		}
		checkComplete(t, srv, "s3://bucket/dies", 300)
	})

	t.Run("NoBucketNoRequests", func(t *testing.T) {
		// A missing bucket or a wrong secret stops the run before it spends
		// one request of the API key.
		var spent atomic.Int64
		av := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			spent.Add(1)
			http.Error(w, "no", http.StatusServiceUnavailable)
		}))
		defer av.Close()
		source := []string{"fetch", "--symbols", "IBM,MSFT", "--source", "alphavantage", "--base-url", av.URL + "/query", "--retries", "0"}
		key := "ALPHAVANTAGE_API_KEY=k-never-used"
		r := out.loader(t, append(srv.Env(), key), append(source, "--out", "s3://nobucket/x")...)
		if r.code != 1 || !bytes.Contains(r.stderr, []byte(`bucket "nobucket" does not exist`)) {
			t.Errorf("fetch into a missing bucket: %s", r)
		}
		bad := append(srv.Env(), key, "AWS_SECRET_ACCESS_KEY=wrong-"+srv.SecretKey)
		r = out.loader(t, bad, append(source, "--out", "s3://bucket/x")...)
		if r.code != 1 || !bytes.Contains(r.stderr, []byte("AWS_SECRET_ACCESS_KEY")) || bytes.Contains(r.stderr, []byte(srv.SecretKey)) {
			t.Errorf("fetch with a wrong secret: %s", r)
		}
		if n := spent.Load(); n != 0 {
			t.Errorf("%d API requests were spent before the store failed", n)
		}
	})

	t.Run("SameShardTwice", func(t *testing.T) {
		srv.Setenv(t)
		ctx := context.Background()
		st, err := store.Open(ctx, "s3://bucket/locked")
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		lease, err := store.AcquireLease(ctx, st, dataset.LockObjectName(dataset.ShardManifestName(1, 2)), time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		defer lease.Release(ctx)
		r := out.loader(t, srv.Env(), "fetch", "--symbols", syms, "--shard", "1/2", "--out", "s3://bucket/locked", "--quiet")
		if r.code != 75 || !bytes.Contains(r.stderr, []byte(fmt.Sprintf("pid %d", os.Getpid()))) {
			t.Errorf("a second writer of shard 1/2: %s; want exit 75 naming the holder", r)
		}
		r = out.loader(t, srv.Env(), "fetch", "--symbols", syms, "--shard", "0/2", "--out", "s3://bucket/locked", "--quiet")
		if r.code != 0 {
			t.Errorf("shard 0/2 beside a held shard 1/2: %s", r)
		}
	})

	for _, r := range out.runs {
		if bytes.Contains(r.stdout, []byte(srv.SecretKey)) || bytes.Contains(r.stderr, []byte(srv.SecretKey)) {
			t.Errorf("the secret appears in the output of %s", r)
		}
	}
}

// waitForObjects waits until at least n objects are under dir of the
// server's root.
func waitForObjects(t *testing.T, srv *s3test.Server, dir string, n int) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		count := 0
		filepath.WalkDir(filepath.Join(srv.Root, dir), func(p string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(p, ".parquet") {
				count++
			}
			return nil
		})
		if count >= n {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatalf("fewer than %d objects under %s after a minute", n, dir)
}

// checkComplete opens every data object under prefix: each must be a whole
// Parquet file of one symbol. want, if not -1, is how many there must be.
func checkComplete(t *testing.T, srv *s3test.Server, prefix string, want int) {
	t.Helper()
	srv.Setenv(t)
	ds, err := loader.Open(prefix, loader.DatasetConfig{Features: []string{"close"}, Target: "close"})
	if err != nil {
		t.Fatalf("a partial object under a final key? %v", err)
	}
	if want >= 0 && (len(ds.Files()) != want || len(ds.Symbols()) != want) {
		t.Errorf("%s: %d objects of %d symbols, want %d", prefix, len(ds.Files()), len(ds.Symbols()), want)
	}
	if ds.Rows() != 5218*len(ds.Symbols()) {
		t.Errorf("%s: %d rows for %d symbols: some object is not whole", prefix, ds.Rows(), len(ds.Symbols()))
	}
}
