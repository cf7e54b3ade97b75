//go:build unix && !solaris && !aix && !illumos

package dataset_test

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/internal/fixture"
)

func TestLockIsExclusive(t *testing.T) {
	dir := t.TempDir()
	me := dataset.Holder{PID: 4242, Command: "loader fetch --out data", Started: started}
	l, err := dataset.Acquire(dir, me)
	if err != nil {
		t.Fatal(err)
	}
	_, err = dataset.Acquire(dir, dataset.ThisProcess())
	var locked *dataset.LockedError
	if !errors.As(err, &locked) || !errors.Is(err, dataset.ErrLocked) || locked.Holder != me {
		t.Fatalf("second Acquire = %v, want a LockedError naming %+v", err, me)
	}
	for _, want := range []string{"pid 4242", "loader fetch --out data", "2026-01-02T03:04:05Z"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%q lacks %q", err, want)
		}
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	again, err := dataset.Acquire(dir, dataset.ThisProcess())
	if err != nil {
		t.Fatalf("Acquire after Release: %v", err)
	}
	again.Release()
	if names := fixture.ListFiles(t, dir); len(names) != 1 || names[0] != dataset.LockName {
		t.Errorf("files = %v, want only the lock file", names)
	}
	if data, _ := os.ReadFile(dir + "/" + dataset.LockName); len(data) != 0 {
		t.Errorf("a released lock still names a holder: %s", data)
	}
}

// TestLockHolderProcess is the child of TestLockDiesWithItsProcess: it
// takes the lock of $LOCK_DIR, says so, and waits to be killed.
func TestLockHolderProcess(t *testing.T) {
	dir := os.Getenv("LOCK_DIR")
	if dir == "" {
		t.Skip("the child of TestLockDiesWithItsProcess")
	}
	if _, err := dataset.Acquire(dir, dataset.ThisProcess()); err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("locked\n")
	time.Sleep(time.Minute)
}

// TestLockDiesWithItsProcess locks a directory from another process, is
// refused while it lives, and gets the lock once it is SIGKILLed: a killed
// writer never leaves a dataset locked.
func TestLockDiesWithItsProcess(t *testing.T) {
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestLockHolderProcess$")
	cmd.Env = append(os.Environ(), "LOCK_DIR="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if line, _ := bufio.NewReader(out).ReadString('\n'); line != "locked\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child said %q", line)
	}
	_, err = dataset.Acquire(dir, dataset.ThisProcess())
	var locked *dataset.LockedError
	if !errors.As(err, &locked) || locked.Holder.PID != cmd.Process.Pid || !strings.Contains(locked.Holder.Command, "TestLockHolderProcess") {
		t.Errorf("Acquire while the child holds the lock = %v, want one naming pid %d", err, cmd.Process.Pid)
	}
	cmd.Process.Kill()
	cmd.Wait()
	l, err := dataset.Acquire(dir, dataset.ThisProcess())
	if err != nil {
		t.Fatalf("Acquire after the holder was killed: %v", err)
	}
	l.Release()
}
