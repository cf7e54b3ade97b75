package store_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"testing/synctest"
	"time"

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

func TestLease(t *testing.T) {
	for name, open := range map[string]func(t *testing.T) store.Store{
		"dir": func(t *testing.T) store.Store { return store.NewDir(t.TempDir()) },
		"bucket": func(*testing.T) store.Store {
			return store.NewBucket(memblob.OpenBucket(nil), "", "mem://x/", store.BucketOptions{})
		},
	} {
		// In a bubble, the renewals run on the fake clock: a loaded
		// machine cannot make one late.
		t.Run(name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				ctx := context.Background()
				st := open(t)
				l, err := store.AcquireLease(ctx, st, "_lock.json", 300*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				_, err = store.AcquireLease(ctx, st, "_lock.json", time.Minute)
				var locked *store.LockedError
				if !errors.As(err, &locked) || !errors.Is(err, store.ErrLocked) || locked.Holder.PID != os.Getpid() {
					t.Fatalf("second AcquireLease = %v, want a LockedError naming this process", err)
				}
				if !strings.Contains(err.Error(), "pid ") || !strings.Contains(err.Error(), "_lock.json") {
					t.Errorf("message %q does not name the holder and the lock", err)
				}
				time.Sleep(500 * time.Millisecond) // renewed past its first TTL
				if _, err := store.AcquireLease(ctx, st, "_lock.json", time.Minute); !errors.Is(err, store.ErrLocked) {
					t.Fatalf("AcquireLease after the first TTL = %v: the lease was not renewed", err)
				}
				if err := l.Err(); err != nil {
					t.Errorf("renewal: %v", err)
				}
				if err := l.Release(ctx); err != nil {
					t.Fatal(err)
				}
				l2, err := store.AcquireLease(ctx, st, "_lock.json", time.Minute)
				if err != nil {
					t.Fatalf("AcquireLease after Release: %v", err)
				}
				l2.Release(ctx)
			})
		})
	}
}

func TestLeaseTakesOverAnExpiredLock(t *testing.T) {
	ctx := context.Background()
	st := store.NewBucket(memblob.OpenBucket(nil), "", "mem://x/", store.BucketOptions{})
	dead := `{"pid": 1, "host": "gone", "command": "loader fetch", "expires": "2020-01-01T00:00:00Z", "token": "old"}`
	st.WriteFile(ctx, "_lock.json", []byte(dead))
	l, err := store.AcquireLease(ctx, st, "_lock.json", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease over an expired lock: %v", err)
	}
	l.Release(ctx)
}

func TestLeaseOfAnExitedProcessIsTakenOver(t *testing.T) {
	ctx := context.Background()
	st := store.NewBucket(memblob.OpenBucket(nil), "", "mem://x/", store.BucketOptions{})
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	host, _ := os.Hostname()
	exited := fmt.Sprintf(`{"pid": %d, "host": %q, "command": "loader fetch", "expires": "2999-01-01T00:00:00Z", "token": "old"}`, cmd.Process.Pid, host)
	st.WriteFile(ctx, "_lock.json", []byte(exited))
	l, err := store.AcquireLease(ctx, st, "_lock.json", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease over the lock of an exited process: %v", err)
	}
	l.Release(ctx)
}

// TestReadersLinkNoSDK: the DataLoader, inspect and the charts reach object
// stores through this package's core (gocloud.dev/blob), so they link
// neither the HTTP client of the fetchers nor a cloud SDK; a program
// chooses its drivers by importing them (cmd/loader imports s3store).
func TestReadersLinkNoSDK(t *testing.T) {
	if testing.Short() {
		t.Skip("runs go list")
	}
	for _, pkg := range []string{"loader", "inspect", "charts", "dataset"} {
		out, err := exec.Command("go", "list", "-deps", "github.com/seed-c7c8f39b/loader/"+pkg).Output()
		if err != nil {
			t.Fatalf("go list: %v", err)
		}
		for _, dep := range strings.Fields(string(out)) {
			if strings.HasPrefix(dep, "github.com/valyala/fasthttp") || strings.HasPrefix(dep, "github.com/aws/") {
				t.Errorf("%s links %s", pkg, dep)
				break
			}
		}
	}
}
