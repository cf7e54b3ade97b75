package dataset

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// LockName is the lock file's name in a dataset directory. It stays there
// between runs: removing it would let two writers lock two different files
// of that name.
const LockName = "_lock"

// maxCommandLen bounds the command a Holder records.
const maxCommandLen = 512

// ErrLocked marks a dataset another process is writing (see LockedError).
var ErrLocked = errors.New("another process is writing the dataset")

// Holder describes the process that holds a dataset's lock. The lock file
// records it, so that a writer turned away can name the one it waits for.
type Holder struct {
	PID     int       `json:"pid"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
}

// ThisProcess describes the calling process, started now, with its command
// line as the command.
func ThisProcess() Holder {
	return Holder{PID: os.Getpid(), Command: strings.Join(os.Args, " "), Started: time.Now().UTC()}
}

// LockedError is the refusal to lock a dataset directory that another
// process has locked. It matches ErrLocked. Holder is zero when the other
// process has not yet recorded itself.
type LockedError struct {
	Dir    string
	Holder Holder
}

func (e *LockedError) Error() string {
	h := e.Holder
	if h.PID == 0 {
		return fmt.Sprintf("%s: %v", e.Dir, ErrLocked)
	}
	return fmt.Sprintf("%s: %v: pid %d (%s), started %s", e.Dir, ErrLocked, h.PID, h.Command, h.Started.Format(time.RFC3339))
}

// Is matches ErrLocked.
func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lock is a writer's exclusive hold on a dataset directory: an OS lock
// (flock) on DIR/_lock, which the OS releases when the process ends, however
// it ends, so a killed writer never leaves a dataset locked. Readers take
// no lock: every file and the manifest are replaced atomically, so they see
// only complete ones.
type Lock struct {
	f *os.File
}

// Acquire locks the dataset directory dir for h, creating dir if needed, or
// fails at once with a *LockedError naming the process that holds it. The
// lock lasts until Release or the end of the process. Where the OS offers
// no flock (Windows, Solaris, AIX), Acquire locks nothing and always
// succeeds.
func Acquire(dir string, h Holder) (*Lock, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, LockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	held, err := tryLock(f)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", dir, err)
	}
	if !held {
		other := readHolder(f)
		f.Close()
		return nil, &LockedError{Dir: dir, Holder: other}
	}
	if len(h.Command) > maxCommandLen {
		h.Command = h.Command[:maxCommandLen] + "…"
	}
	data, err := json.Marshal(h)
	if err == nil {
		err = f.Truncate(0)
	}
	if err == nil {
		_, err = f.WriteAt(append(data, '\n'), 0)
	}
	if err != nil {
		f.Close() // releases the lock
		return nil, fmt.Errorf("lock %s: record the holder: %w", dir, err)
	}
	return &Lock{f: f}, nil
}

// Release clears the holder and releases the lock. Later calls do nothing.
func (l *Lock) Release() error {
	if l == nil || l.f == nil {
		return nil
	}
	terr := l.f.Truncate(0)
	cerr := l.f.Close() // releases the lock
	l.f = nil
	return errors.Join(terr, cerr)
}

// readHolder reads what the lock's holder recorded, zero if nothing
// readable.
func readHolder(f *os.File) Holder {
	data, err := io.ReadAll(io.LimitReader(f, 4096))
	var h Holder
	if err != nil || json.Unmarshal(data, &h) != nil {
		return Holder{}
	}
	return h
}
