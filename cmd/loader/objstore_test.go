package main

import (
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/avtest"
	"github.com/seed-c7c8f39b/loader/internal/s3test"
	"github.com/seed-c7c8f39b/loader/sources/alphavantage/avserver"
)

// prefixKeys lists the keys under the object-store prefix url.
func prefixKeys(t *testing.T, url string) []string {
	t.Helper()
	st, err := store.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	objs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range objs {
		keys = append(keys, o.Key)
	}
	return keys
}

// loadUnion reads every manifest under the prefix url.
func loadUnion(t *testing.T, url string) *dataset.Union {
	t.Helper()
	st, err := store.Open(context.Background(), url)
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

// TestUpdateOnObjectStore is `loader update s3://…` against a real S3
// server, of a dataset two shards wrote: one compact request per symbol,
// new days appended, the values those of a fresh fetch, and one manifest
// that lists every symbol; a symbol added is fetched whole.
func TestUpdateOnObjectStore(t *testing.T) {
	s3 := s3test.Start(t, "bucket")
	s3.Setenv(t)
	srv, url := startUpdateServer(t)
	prefix := "s3://bucket/prices"
	syms := "AAPL,MSFT,IBM,NVDA" // shard 0/2 holds NVDA, 1/2 the others
	shape := []string{"--adjusted", "--transform", "returns,sma:5"}
	for k := range 2 {
		if code, _, stderr := runCLI(t, avFetch(url, prefix, syms, append(shape, "--shard", fmt.Sprintf("%d/2", k))...)...); code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", k, code, stderr)
		}
	}
	srv.Advance(5)
	code, stdout, stderr, compact, full := counted(t, srv, "update", prefix, "--base-url", url, "--rate", "0")
	if code != exitOK {
		t.Fatalf("update: exit %d\n%s", code, stderr)
	}
	if compact != 4 || full != 0 {
		t.Errorf("update made %d compact and %d full requests, want one compact request per symbol", compact, full)
	}
	for _, sym := range strings.Split(syms, ",") {
		if !regexp.MustCompile(`(?m)^` + sym + `\s.*\(appended 5 bars\)$`).MatchString(stdout) {
			t.Errorf("report lacks %s appended 5 bars:\n%s", sym, stdout)
		}
	}
	u := loadUnion(t, prefix)
	if want := []string{dataset.ManifestName, dataset.ShardManifestName(0, 2), dataset.ShardManifestName(1, 2)}; !slices.Equal(u.Names(), want) {
		t.Errorf("manifests %q, want %q", u.Names(), want)
	}
	last := srv.LastDay().Format(time.DateOnly)
	for _, sym := range strings.Split(syms, ",") {
		if e, _ := u.Entry(sym); e.Status != dataset.StatusOK || e.LastDate != last {
			t.Errorf("%s: %+v, want ok through %s", sym, e, last)
		}
	}

	srv.Advance(1)
	code, stdout, stderr, compact, full = counted(t, srv, "update", prefix, "--base-url", url, "--rate", "0", "--symbols", "KO")
	if code != exitOK || compact != 4 || full != 1 || !strings.Contains(stdout, "5 symbols (5 ok") {
		t.Fatalf("update adding KO: exit %d, %d compact and %d full requests, want 4 and 1\n%s%s", code, compact, full, stdout, stderr)
	}
	// The updated objects equal a fresh fetch, value for value: versitygw
	// keeps each object as a file under its root.
	fresh := filepath.Join(t.TempDir(), "fresh")
	if code, _, stderr := runCLI(t, avFetch(url, fresh, syms+",KO", shape...)...); code != exitOK {
		t.Fatalf("fresh fetch: exit %d\n%s", code, stderr)
	}
	for _, sym := range append(strings.Split(syms, ","), "KO") {
		mem := newCheckedMem(t)
		got := readParquet(t, filepath.Join(s3.Root, "bucket", "prices", sym+".parquet"), mem)
		want := readParquet(t, filepath.Join(fresh, sym+".parquet"), mem)
		if !sameRecords(got, want) {
			t.Errorf("%s: the updated object differs from a fresh fetch", sym)
		}
		got.Release()
		want.Release()
	}
	for _, k := range prefixKeys(t, prefix) {
		if !dataset.IsManifest(k) && !dataset.IsDataKey(k) {
			t.Errorf("%s is left in the prefix (a lock object?)", k)
		}
	}
}

func TestUpdateOnObjectStoreRefusals(t *testing.T) {
	s3 := s3test.Start(t, "bucket")
	s3.Setenv(t)
	t.Setenv("ALPHAVANTAGE_API_KEY", "refusal-test-key")
	sample := func(prefix string, extra ...string) []string {
		return append([]string{"fetch", "--source", "sample", "--symbols", "AAPL,NVDA", "--out", prefix, "--quiet"}, extra...) // NVDA is shard 0/2's, AAPL 1/2's
	}
	for _, args := range [][]string{
		sample("s3://bucket/mixed", "--shard", "0/2"),
		sample("s3://bucket/mixed", "--shard", "1/2", "--format", "csv"),
	} {
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("%q: exit %d\n%s", args, code, stderr)
		}
	}
	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"no dataset", []string{"update", "s3://bucket/none"}, exitUsage, []string{"not a dataset", "loader fetch --out s3://bucket/none"}},
		{"missing bucket", []string{"update", "s3://nobucket/x"}, exitFailure, []string{`bucket "nobucket" does not exist`}},
		{"manifests with other settings", []string{"update", "s3://bucket/mixed"}, exitFailure,
			[]string{"record different settings", "--format: _manifest.shard-0-of-2.json has parquet, _manifest.shard-1-of-2.json has csv", "--overwrite"}},
		{"an overwrite by one shard", sample("s3://bucket/mixed", "--shard", "0/2", "--overwrite"), exitUsage, []string{"one shard cannot"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d\n%s", code, tt.code, stderr)
			}
			for _, want := range tt.want {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
			if strings.Contains(stderr, s3.SecretKey) {
				t.Errorf("stderr shows the S3 secret:\n%s", stderr)
			}
		})
	}
}

// TestOverwriteOnObjectStore replaces a dataset three shards wrote with
// one of other symbols, format and layout: the prefix then holds the new
// run's objects and manifest alone. An overwrite that its source halts
// removes nothing, and a shard that holds its lock object stops the
// overwrite before it changes anything.
func TestOverwriteOnObjectStore(t *testing.T) {
	s3 := s3test.Start(t, "bucket")
	s3.Setenv(t)
	prefix := "s3://bucket/ow"
	for k := range 3 {
		args := []string{"fetch", "--source", "sample", "--symbols", "AAPL,MSFT,IBM,KO,NVDA,AMD", "--shard", fmt.Sprintf("%d/3", k), "--out", prefix, "--quiet"}
		if code, _, stderr := runCLI(t, args...); code != exitOK {
			t.Fatalf("shard %d: exit %d\n%s", k, code, stderr)
		}
	}
	old := prefixKeys(t, prefix)

	// An overwrite that its source halts (the key is refused) removes
	// nothing: the old dataset stays readable beside the new manifest.
	_, url := avtest.Start(t, avserver.Config{APIKey: "the-right-key"})
	t.Setenv("ALPHAVANTAGE_API_KEY", "a-wrong-key")
	code, _, stderr := runCLI(t, "fetch", "--source", "alphavantage", "--base-url", url, "--rate", "0", "--symbols", "AAPL,IBM",
		"--out", prefix, "--overwrite", "--quiet")
	if code != exitFailure || !strings.Contains(stderr, "the API key was refused") {
		t.Errorf("an overwrite with a refused key: exit %d, want 1\n%s", code, stderr)
	}
	halted := append([]string{dataset.ManifestName}, old...)
	slices.Sort(halted)
	if got := prefixKeys(t, prefix); !slices.Equal(got, halted) {
		t.Errorf("after the halted overwrite the prefix holds %q, want the old objects and the new manifest %q", got, halted)
	}

	st, err := store.Open(context.Background(), prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	lease, err := store.AcquireLease(context.Background(), st, dataset.LockObjectName(dataset.ShardManifestName(2, 3)), time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	overwrite := []string{"fetch", "--source", "sample", "--symbols", "AAPL,IBM,TSLA", "--format", "csv", "--layout", "hive", "--out", prefix, "--overwrite", "--quiet"}
	code, _, stderr = runCLI(t, overwrite...)
	if code != exitTempFail || !strings.Contains(stderr, "_lock.shard-2-of-3.json") {
		t.Errorf("an overwrite beside a shard's lock: exit %d, want 75 naming the lock\n%s", code, stderr)
	}
	if err := lease.Release(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := prefixKeys(t, prefix); !slices.Equal(got, halted) {
		t.Errorf("the refused overwrite changed the prefix: %q, was %q", got, halted)
	}

	if code, _, stderr := runCLI(t, overwrite...); code != exitOK {
		t.Fatalf("overwrite: exit %d\n%s", code, stderr)
	}
	want := []string{"_manifest.json", "symbol=AAPL/part-0.csv", "symbol=IBM/part-0.csv", "symbol=TSLA/part-0.csv"}
	if got := prefixKeys(t, prefix); !slices.Equal(got, want) {
		t.Errorf("after the overwrite the prefix holds %q, want %q", got, want)
	}
	u := loadUnion(t, prefix)
	if tot := u.Totals(); tot.Symbols != 3 || tot.OK != 3 {
		t.Errorf("the manifests say %+v, want 3 symbols ok", tot)
	}
	if set, err := u.Settings(); err != nil || set.Format != dataset.FormatCSV || set.Layout != dataset.LayoutHive {
		t.Errorf("the dataset's settings: %+v, %v", set, err)
	}
	// The replaced dataset is a dataset like any: it updates.
	if code, _, stderr := runCLI(t, "update", prefix, "--quiet"); code != exitOK {
		t.Errorf("update after the overwrite: exit %d\n%s", code, stderr)
	}
}
