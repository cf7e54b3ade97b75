// Package storetest holds the tests every [store.Store] must pass, so a
// local directory, an in-memory bucket and a real S3 server are held to
// the same contract.
package storetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"slices"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// Run runs the contract tests against stores made by open, one fresh and
// empty store per subtest.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	ctx := context.Background()

	t.Run("WriteReadStat", func(t *testing.T) {
		st := open(t)
		data := []byte(`{"a": 1}`)
		if err := st.WriteFile(ctx, "_manifest.json", data); err != nil {
			t.Fatal(err)
		}
		if err := st.WriteFile(ctx, "_manifest.json", append(data, '\n')); err != nil {
			t.Fatal(err) // replacing is allowed
		}
		got, err := st.ReadFile(ctx, "_manifest.json")
		if err != nil || !bytes.Equal(got, append(data, '\n')) {
			t.Fatalf("ReadFile = %q, %v", got, err)
		}
		obj, err := st.Stat(ctx, "_manifest.json")
		if err != nil || obj.Size != int64(len(data)+1) || obj.Key != "_manifest.json" {
			t.Fatalf("Stat = %+v, %v", obj, err)
		}
	})

	t.Run("Missing", func(t *testing.T) {
		st := open(t)
		if _, err := st.ReadFile(ctx, "nope.json"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("ReadFile of a missing key: %v, want fs.ErrNotExist", err)
		}
		if _, err := st.Stat(ctx, "nope.json"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat of a missing key: %v, want fs.ErrNotExist", err)
		}
		if _, err := st.Open(ctx, "nope.json"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Open of a missing key: %v, want fs.ErrNotExist", err)
		}
		if err := st.Check(ctx); err != nil {
			t.Errorf("Check of an empty store: %v", err)
		}
		objs, err := st.List(ctx)
		if err != nil || len(objs) != 0 {
			t.Errorf("List of an empty store = %v, %v", objs, err)
		}
	})

	t.Run("UploadVisibleOnlyAtCommit", func(t *testing.T) {
		st := open(t)
		u, err := st.Create(ctx, "symbol=AAPL/part-0.parquet")
		if err != nil {
			t.Fatal(err)
		}
		payload := bytes.Repeat([]byte("0123456789"), 10_000)
		if _, err := u.Write(payload[:50_000]); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Stat(ctx, "symbol=AAPL/part-0.parquet"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("Stat during the upload: %v, want fs.ErrNotExist", err)
		}
		if _, err := u.Write(payload[50_000:]); err != nil {
			t.Fatal(err)
		}
		if u.Size() != int64(len(payload)) {
			t.Errorf("Size = %d, want %d", u.Size(), len(payload))
		}
		obj, err := u.Commit()
		if err != nil {
			t.Fatal(err)
		}
		if obj.Size != int64(len(payload)) || obj.Key != "symbol=AAPL/part-0.parquet" {
			t.Errorf("Commit = %+v", obj)
		}
		u.Abort() // after Commit: leaves the object alone
		got, err := st.ReadFile(ctx, "symbol=AAPL/part-0.parquet")
		if err != nil || !bytes.Equal(got, payload) {
			t.Fatalf("ReadFile after Commit: %d bytes, %v", len(got), err)
		}
	})

	t.Run("AbortLeavesNothing", func(t *testing.T) {
		st := open(t)
		u, err := st.Create(ctx, "AAPL.parquet")
		if err != nil {
			t.Fatal(err)
		}
		u.Write([]byte("partial"))
		u.Abort()
		if _, err := u.Commit(); err == nil {
			t.Error("Commit after Abort succeeded")
		}
		cctx, cancel := context.WithCancel(ctx)
		u2, err := st.Create(cctx, "MSFT.parquet")
		if err != nil {
			t.Fatal(err)
		}
		u2.Write([]byte("partial"))
		cancel()
		if _, err := u2.Commit(); err == nil {
			t.Error("Commit with a cancelled context succeeded")
		}
		u2.Abort()
		assertKeys(t, st, nil)
	})

	t.Run("CreateExclusive", func(t *testing.T) {
		st := open(t)
		if err := st.CreateExclusive(ctx, "_lock.json", []byte("one")); err != nil {
			t.Fatal(err)
		}
		err := st.CreateExclusive(ctx, "_lock.json", []byte("two"))
		if !errors.Is(err, fs.ErrExist) {
			t.Fatalf("second CreateExclusive: %v, want fs.ErrExist", err)
		}
		if got, _ := st.ReadFile(ctx, "_lock.json"); string(got) != "one" {
			t.Errorf("lock holds %q, want the first writer's", got)
		}
		if err := st.Delete(ctx, "_lock.json"); err != nil {
			t.Fatal(err)
		}
		if err := st.CreateExclusive(ctx, "_lock.json", []byte("three")); err != nil {
			t.Errorf("CreateExclusive after Delete: %v", err)
		}
	})

	t.Run("RangedReads", func(t *testing.T) {
		st := open(t)
		data := make([]byte, 3000)
		for i := range data {
			data[i] = byte(i * 7)
		}
		if err := st.WriteFile(ctx, "x.arrow", data); err != nil {
			t.Fatal(err)
		}
		r, err := st.Open(ctx, "x.arrow")
		if err != nil {
			t.Fatal(err)
		}
		defer r.Close()
		if r.Size() != 3000 {
			t.Errorf("Size = %d", r.Size())
		}
		buf := make([]byte, 100)
		if n, err := r.ReadAt(buf, 1000); n != 100 || err != nil || !bytes.Equal(buf, data[1000:1100]) {
			t.Errorf("ReadAt(100 at 1000) = %d, %v", n, err)
		}
		if n, err := r.ReadAt(buf, 2950); n != 50 || err != io.EOF || !bytes.Equal(buf[:50], data[2950:]) {
			t.Errorf("ReadAt(100 at 2950) = %d, %v; want 50, EOF", n, err)
		}
		if n, err := r.ReadAt(buf, 3000); n != 0 || err != io.EOF {
			t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
		}
		sr := io.NewSectionReader(r, 0, r.Size())
		all, err := io.ReadAll(sr)
		if err != nil || !bytes.Equal(all, data) {
			t.Errorf("reading it all through a SectionReader: %d bytes, %v", len(all), err)
		}
	})

	t.Run("ListSortedNested", func(t *testing.T) {
		st := open(t)
		keys := []string{"symbol=MSFT/part-0.parquet", "AAPL.parquet", "_manifest.json", "symbol=EURUSD%3DX/part-0.parquet"}
		for _, k := range keys {
			if err := st.WriteFile(ctx, k, []byte(k)); err != nil {
				t.Fatal(err)
			}
		}
		slices.Sort(keys)
		assertKeys(t, st, keys)
		objs, _ := st.List(ctx)
		for _, o := range objs {
			if o.Size != int64(len(o.Key)) {
				t.Errorf("%s: size %d, want %d", o.Key, o.Size, len(o.Key))
			}
		}
		if err := st.Delete(ctx, "AAPL.parquet"); err != nil {
			t.Fatal(err)
		}
		assertKeys(t, st, slices.DeleteFunc(keys, func(k string) bool { return k == "AAPL.parquet" }))
	})

	t.Run("ETagChangesWithContent", func(t *testing.T) {
		st := open(t)
		st.WriteFile(ctx, "a.parquet", []byte("one"))
		a, err := st.Stat(ctx, "a.parquet")
		if err != nil {
			t.Fatal(err)
		}
		st.WriteFile(ctx, "a.parquet", []byte("two!"))
		b, err := st.Stat(ctx, "a.parquet")
		if err != nil {
			t.Fatal(err)
		}
		if a.ETag != "" && a.ETag == b.ETag {
			t.Errorf("ETag %s did not change with the content", a.ETag)
		}
	})
}

// assertKeys fails t unless the store lists exactly want, ignoring hidden
// temporary files of a directory (which no reader takes for data).
func assertKeys(t *testing.T, st store.Store, want []string) {
	t.Helper()
	objs, err := st.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, o := range objs {
		if base := o.Key[strings.LastIndex(o.Key, "/")+1:]; strings.HasPrefix(base, ".") && strings.Contains(base, ".tmp-") {
			t.Errorf("a temporary file is left: %s", o.Key)
			continue
		}
		got = append(got, o.Key)
	}
	if !slices.Equal(got, want) {
		t.Errorf("List = %q, want %q", got, want)
	}
}
