package store_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.uber.org/goleak"
	"gocloud.dev/blob/fileblob"
	"gocloud.dev/blob/memblob"

	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/dataset/store/storetest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDir(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return store.NewDir(t.TempDir()) })
}

func TestMemBucket(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		st := store.NewBucket(memblob.OpenBucket(nil), "daily/", "mem://test/daily/", store.BucketOptions{})
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestFileBucket(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		b, err := fileblob.OpenBucket(t.TempDir(), &fileblob.Options{CreateDir: true})
		if err != nil {
			t.Fatal(err)
		}
		st := store.NewBucket(b, "", "file-bucket://", store.BucketOptions{})
		t.Cleanup(func() { st.Close() })
		return st
	})
}

func TestOpen(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		location string
		dir      string // the Dir it opens, if any
		err      string
	}{
		{location: "data", dir: "data"},
		{location: "./out/prices", dir: "./out/prices"},
		{location: "/srv/data", dir: "/srv/data"},
		{location: "file:///srv/data", dir: "/srv/data"},
		{location: "C:data", dir: "C:data"},
		{location: "file://host/x", err: "names no host"},
		{location: "gs://bucket/x", err: "no driver for gs://"},
		{location: "s3://bucket/x", err: "s3store"},
	}
	for _, tt := range tests {
		st, err := store.Open(ctx, tt.location)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Open(%q) = %v, want an error containing %q", tt.location, err, tt.err)
			}
			if err != nil && strings.Contains(tt.err, "driver") && !errors.Is(err, store.ErrNoDriver) {
				t.Errorf("Open(%q): %v does not match ErrNoDriver", tt.location, err)
			}
			continue
		}
		d, ok := st.(*store.Dir)
		if err != nil || !ok || d.Path() != tt.dir {
			t.Errorf("Open(%q) = %v, %v; want the directory %s", tt.location, st, err, tt.dir)
		}
	}
}

func TestJoinAndPrefix(t *testing.T) {
	if got := store.Join("s3://b/p/", "symbol=A/part-0.parquet"); got != "s3://b/p/symbol=A/part-0.parquet" {
		t.Errorf("Join = %s", got)
	}
	if got := store.Join("data", "symbol=A/part-0.parquet"); got != "data/symbol=A/part-0.parquet" {
		t.Errorf("Join = %s", got)
	}
	for in, want := range map[string]string{"": "", "/": "", "/daily": "daily/", "/a/b/": "a/b/"} {
		if got, err := store.Prefix(in); err != nil || got != want {
			t.Errorf("Prefix(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"/a//b", "/a/../b", "/./a"} {
		if _, err := store.Prefix(bad); err == nil {
			t.Errorf("Prefix(%q) succeeded", bad)
		}
	}
}

func TestErrorsRedactSecrets(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCY"
	st := store.NewBucket(memblob.OpenBucket(nil), "", "mem://x/", store.BucketOptions{
		Secrets: func() []string { return []string{secret} },
	})
	defer st.Close()
	_, err := st.ReadFile(context.Background(), "k"+secret)
	if err == nil {
		t.Fatal("read of a missing key succeeded")
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "wJalrXUtnFEMI%2FK7MDENG%2BbPxRfiCY") {
		t.Errorf("error shows the secret: %v", err)
	}
	if !strings.Contains(err.Error(), "[REDACTED]") {
		t.Errorf("error %v does not say what it redacted", err)
	}
}
