package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"sync"
	"syscall"
	"time"
)

// DefaultLeaseTTL is how long a lock object stays valid without renewal.
// A holder renews it every third of that, so a holder that died frees
// its lock within the TTL.
const DefaultLeaseTTL = time.Minute

// Holder describes the process that holds a lock object.
type Holder struct {
	PID     int       `json:"pid"`
	Host    string    `json:"host"`
	Command string    `json:"command"`
	Started time.Time `json:"started"`
	// Expires is when the lease ends unless renewed.
	Expires time.Time `json:"expires"`
	// Token tells a holder its own lock from another's.
	Token string `json:"token"`
}

func (h Holder) String() string {
	return fmt.Sprintf("pid %d on %s (%s), since %s", h.PID, h.Host, h.Command, h.Started.Format(time.RFC3339))
}

// ErrLocked is matched by the error of AcquireLease when another process
// holds the lock; the error is a *LockedError.
var ErrLocked = errors.New("locked")

// LockedError says who holds a lock object.
type LockedError struct {
	Location string
	Holder   Holder
}

func (e *LockedError) Error() string {
	return fmt.Sprintf("%s is held by %s; its lease runs until %s", e.Location, e.Holder, e.Holder.Expires.Format(time.RFC3339))
}

func (e *LockedError) Is(target error) bool { return target == ErrLocked }

// Lease is a lock object held by this process: created only if absent
// (If-None-Match: * on an object store, O_EXCL on a directory), renewed
// while held, deleted on Release. A lock whose lease has run out belongs to
// a process that died, as does one held by a process of this host that
// has exited; AcquireLease takes those over.
//
// Object stores offer no compare-and-swap on delete, so two processes that
// take over the same expired lock in the same instant can both succeed;
// the lease makes that window as rare as a holder dying.
type Lease struct {
	st     Store
	key    string
	holder Holder
	ttl    time.Duration

	stop chan struct{}
	done chan struct{}

	mu  sync.Mutex
	err error // the last renewal's failure
}

// AcquireLease takes the lock object key in st for this process, or fails
// with a *LockedError naming the holder. The lease lasts ttl
// (DefaultLeaseTTL if 0) and is renewed in the background until Release.
func AcquireLease(ctx context.Context, st Store, key string, ttl time.Duration) (*Lease, error) {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	host, _ := os.Hostname()
	now := time.Now().UTC()
	h := Holder{
		PID: os.Getpid(), Host: host, Command: strings.Join(os.Args, " "),
		Started: now, Expires: now.Add(ttl), Token: fmt.Sprintf("%d-%d", os.Getpid(), now.UnixNano()),
	}
	if len(h.Command) > 200 {
		h.Command = h.Command[:200] + "…"
	}
	l := &Lease{st: st, key: key, holder: h, ttl: ttl, stop: make(chan struct{}), done: make(chan struct{})}
	loc := Join(st.String(), key)
	data, _ := json.Marshal(h)
	for range 3 {
		err := st.CreateExclusive(ctx, key, data)
		if err == nil {
			go l.renew()
			return l, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, fmt.Errorf("lock %s: %w", loc, err)
		}
		other, err := readHolder(ctx, st, key)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // released between our attempt and the read
		case err == nil && time.Now().Before(other.Expires) && !gone(other):
			return nil, &LockedError{Location: loc, Holder: other}
		}
		// Expired, unreadable, or held by a process of this host that has
		// exited: its holder died; take it over.
		if err := st.Delete(ctx, key); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("lock %s: remove the expired lock: %w", loc, err)
		}
	}
	return nil, fmt.Errorf("lock %s: other processes keep taking it", loc)
}

func readHolder(ctx context.Context, st Store, key string) (Holder, error) {
	data, err := st.ReadFile(ctx, key)
	if err != nil {
		return Holder{}, err
	}
	var h Holder
	if err := json.Unmarshal(data, &h); err != nil {
		return Holder{}, fmt.Errorf("lock %s: %w", Join(st.String(), key), err)
	}
	return h, nil
}

// renew extends the lease every third of its TTL.
func (l *Lease) renew() {
	defer close(l.done)
	t := time.NewTicker(l.ttl / 3)
	defer t.Stop()
	for {
		select {
		case <-l.stop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), l.ttl/3)
		err := l.extend(ctx)
		cancel()
		l.mu.Lock()
		l.err = err
		l.mu.Unlock()
	}
}

// extend renews the lease unless another process took the lock over.
func (l *Lease) extend(ctx context.Context) error {
	cur, err := readHolder(ctx, l.st, l.key)
	if err != nil {
		return err
	}
	if cur.Token != l.holder.Token {
		return &LockedError{Location: Join(l.st.String(), l.key), Holder: cur}
	}
	h := l.holder
	h.Expires = time.Now().UTC().Add(l.ttl)
	data, _ := json.Marshal(h)
	return l.st.WriteFile(ctx, l.key, data)
}

// Err returns why the last renewal failed, or nil.
func (l *Lease) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Release stops renewing and deletes the lock object, if it is still this
// process's.
func (l *Lease) Release(ctx context.Context) error {
	close(l.stop)
	<-l.done
	cur, err := readHolder(ctx, l.st, l.key)
	if err != nil || cur.Token != l.holder.Token {
		return nil // gone, or taken over: nothing of ours to remove
	}
	if err := l.st.Delete(ctx, l.key); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("unlock %s: %w", Join(l.st.String(), l.key), err)
	}
	return nil
}

// gone reports whether h is a process of this host that no longer runs,
// such as a run that could not remove its lock because the store was down
// when it exited.
func gone(h Holder) bool {
	if host, err := os.Hostname(); err != nil || host != h.Host || h.PID <= 0 {
		return false
	}
	p, err := os.FindProcess(h.PID)
	if err != nil {
		return true
	}
	err = p.Signal(syscall.Signal(0))
	return errors.Is(err, os.ErrProcessDone) || errors.Is(err, syscall.ESRCH)
}
