package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrLocked is matched (errors.Is) by the error of Open when another
// writer holds the table, and of Write when the run lost the table to
// another writer. Nothing was written: run again later. loader exits with
// status 75 (EX_TEMPFAIL) for it.
var ErrLocked = errors.New("another writer holds the table")

// LockError names the writer that holds a table's lock.
type LockError struct {
	// Table is schema.name.
	Table string
	// Holder describes the other writer's connection, as the server
	// knows it; empty when the server would not say.
	Holder string
	// Lost is set when this run held the lock and lost it.
	Lost bool
}

func (e *LockError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "table %s ", e.Table)
	if e.Lost {
		b.WriteString("was taken by another writer after this run's lock connection ended")
	} else {
		b.WriteString("is being written by another writer")
	}
	if e.Holder != "" {
		b.WriteString(": " + e.Holder)
	}
	return b.String()
}

func (e *LockError) Unwrap() error { return ErrLocked }

// lockKey returns the advisory lock key of table t: a hash of its
// qualified name, the same for every loader on any machine. Advisory locks
// are per database, so the database need not be part of it.
func lockKey(t tableName) int64 {
	h := fnv.New64a()
	h.Write([]byte("loader table " + t.schema + "." + t.name))
	return int64(h.Sum64())
}

// lockIDs returns how pg_locks shows a bigint advisory key: its high half as
// classid, its low half as objid, with objsubid 1.
func lockIDs(key int64) (classid, objid uint32) {
	return uint32(uint64(key) >> 32), uint32(uint64(key))
}

// tryLock takes the session lock key on conn without waiting, and labels
// the connection with this process, so that a second writer's error can
// name it.
func tryLock(ctx context.Context, conn *pgx.Conn, key int64) (bool, error) {
	var ok bool
	if err := conn.QueryRow(ctx, "SELECT pg_try_advisory_lock($1)", key).Scan(&ok); err != nil || !ok {
		return false, err
	}
	host, _ := os.Hostname()
	label := fmt.Sprintf("loader pid %d on %s", os.Getpid(), host)
	_, err := conn.Exec(ctx, "SELECT set_config('application_name', $1, false)", label)
	return true, err
}

// lockHolder returns the server process that holds key and describes it,
// for a LockError; 0 and "" when the server would not say.
func lockHolder(ctx context.Context, conn *pgx.Conn, key int64) (uint32, string) {
	classid, objid := lockIDs(key)
	var (
		pid       int32
		app, from string
		connected time.Time
	)
	err := conn.QueryRow(ctx, `
		SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'a local socket'), a.backend_start
		FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
		  AND l.classid::bigint = $1 AND l.objid::bigint = $2
		  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
		LIMIT 1`, int64(classid), int64(objid)).Scan(&pid, &app, &from, &connected)
	if err != nil {
		return 0, ""
	}
	if app == "" {
		app = "no application name"
	}
	return uint32(pid), fmt.Sprintf("%s (server process %d), connected from %s since %s", app, pid, from, connected.UTC().Format(time.DateTime+" UTC"))
}

// holder keeps the connection that holds the table's lock for the run.
// When no write uses it, it is one more connection for writing, so that
// the lock costs no connection of MaxConns.
type holder struct {
	mu   sync.Mutex
	conn *pgxpool.Conn // nil once the lock was lost with its connection
	pid  uint32        // conn's server process, as pg_locks names it
	lost uint32        // the server process of the last conn given up
	idle bool          // no write uses conn
}

// take returns the lock's connection if no write uses it, after checking
// that it is alive, as the pool checks its own; nil otherwise. A dead one
// is given up: the next write's lock check finds the lock gone and takes
// it again.
func (h *holder) take(ctx context.Context) *pgxpool.Conn {
	h.mu.Lock()
	if h.conn == nil || !h.idle {
		h.mu.Unlock()
		return nil
	}
	c := h.conn
	h.idle = false
	h.mu.Unlock()
	if err := c.Ping(ctx); err != nil {
		h.drop(c)
		return nil
	}
	return c
}

// put takes back c if it is the lock's connection and reports whether it
// was; a closed one is dropped, and with it the lock.
func (h *holder) put(c *pgxpool.Conn) bool {
	h.mu.Lock()
	if c != h.conn {
		h.mu.Unlock()
		return false
	}
	if c.Conn().IsClosed() {
		h.conn, h.pid, h.lost = nil, 0, h.pid
		h.mu.Unlock()
		c.Release()
		return true
	}
	h.idle = true
	h.mu.Unlock()
	return true
}

// drop gives up c, the lock's connection, closing it so that its session,
// and any lock it still holds, ends.
func (h *holder) drop(c *pgxpool.Conn) {
	h.mu.Lock()
	if c == h.conn {
		h.conn, h.pid, h.lost = nil, 0, h.pid
	}
	h.mu.Unlock()
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	c.Conn().Close(ctx)
	c.Release()
}

// promote makes c, in use by a write that just took the lock on it, the
// lock's connection. The old one has ended (that is how the lock was lost);
// if idle it is given back now, if in use its write gives it back.
func (h *holder) promote(c *pgxpool.Conn) {
	h.mu.Lock()
	old, oldIdle := h.conn, h.idle
	h.conn, h.pid, h.idle = c, c.Conn().PgConn().PID(), false
	h.mu.Unlock()
	if old != nil && old != c && oldIdle {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		old.Conn().Close(ctx)
		old.Release()
	}
}

// lockPID returns the server process holding the lock, 0 once it is lost.
func (h *holder) lockPID() uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.pid
}

// lostPID returns the server process of the lock's last connection that
// ended, which may hold the lock until the server notices.
func (h *holder) lostPID() uint32 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lost
}

// release unlocks and gives back the lock's connection at the end of the
// run. Only idle: Close comes after the last Write.
func (h *holder) release(key int64) {
	h.mu.Lock()
	c := h.conn
	h.conn, h.pid = nil, 0
	h.mu.Unlock()
	if c == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := c.Exec(ctx, "SELECT pg_advisory_unlock($1)", key); err != nil {
		// The session's end releases the lock in any case.
		c.Conn().Close(ctx)
	}
	c.Release()
}
