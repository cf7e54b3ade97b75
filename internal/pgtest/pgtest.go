// Package pgtest starts real PostgreSQL servers for tests: initdb into a
// temporary directory, password (SCRAM) authentication on 127.0.0.1 at a
// free port, pg_ctl start, and a cleanup that stops the server and removes
// the directory. No mock stands in for the database.
//
// The server refuses to run as root, so when the tests run as root the
// server's commands run as the unprivileged "postgres" user (runuser) and
// its directory is handed to that user. A test skips, saying why, only when
// no PostgreSQL server binaries can be found: Debian's are installed by
// `apt-get install postgresql` (see .ci/run).
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// User is the superuser of every server pgtest starts.
const User = "loader"

// Server is one running PostgreSQL server of a test's own.
type Server struct {
	// Port is the TCP port on 127.0.0.1.
	Port int
	// Password is User's password. It holds characters that a URL must
	// escape, so that tests of redaction see both of its spellings.
	Password string

	bin      string
	dir      string // owned by the server's user: data/, the socket, the log
	settings []string
	runAs    string // the OS user running the server's commands, "" for ourselves

	mu      sync.Mutex
	running bool
	dbs     int
}

// Start initialises and starts a server that t's cleanup stops and removes.
// settings are extra server settings, "name=value". It skips t when no
// PostgreSQL binaries are installed.
func Start(t testing.TB, settings ...string) *Server {
	t.Helper()
	s, err := newServer(settings)
	if errors.Is(err, errNoBinaries) {
		t.Skipf("pgtest: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(s.remove)
	return s
}

// TestSettings make a server fast for tests: nothing is flushed to disk,
// which only a crash of the machine would notice. A crash of the server
// loses nothing: every commit is written to the OS before it returns.
var TestSettings = []string{"fsync=off", "full_page_writes=off"}

var shared struct {
	once sync.Once
	srv  *Server
	err  error
}

// Shared returns the server that the tests of one package share, started
// with TestSettings by the first call; each test makes its own database
// (CreateDB). Tests that stop or kill a server Start their own. Call
// StopShared from TestMain. It skips t when no PostgreSQL binaries are
// installed.
func Shared(t testing.TB) *Server {
	t.Helper()
	shared.once.Do(func() { shared.srv, shared.err = newServer(TestSettings) })
	if errors.Is(shared.err, errNoBinaries) {
		t.Skipf("pgtest: %v", shared.err)
	}
	if shared.err != nil {
		t.Fatalf("pgtest: %v", shared.err)
	}
	return shared.srv
}

// StopShared stops and removes the server Shared started, if any.
func StopShared() {
	if shared.srv != nil {
		shared.srv.remove()
	}
}

var errNoBinaries = errors.New("no PostgreSQL server binaries (initdb, pg_ctl, postgres) in /usr/lib/postgresql/*/bin, $PG_BIN or $PATH: install them with `apt-get install postgresql`")

func newServer(settings []string) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, Password: "pw/" + randomHex(12) + "@x", settings: settings}
	if os.Geteuid() == 0 {
		s.runAs = "postgres"
	}
	if err := s.init(); err != nil {
		s.remove()
		return nil, err
	}
	if err := s.start(true); err != nil {
		s.remove()
		return nil, err
	}
	return s, nil
}

// BinDir returns the directory of the PostgreSQL server binaries: $PG_BIN,
// else the newest /usr/lib/postgresql/*/bin (Debian), else the directory of
// initdb on $PATH.
func BinDir() (string, error) {
	ok := func(dir string) bool {
		for _, name := range []string{"initdb", "pg_ctl", "postgres"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
				return false
			}
		}
		return true
	}
	if dir := os.Getenv("PG_BIN"); dir != "" {
		if ok(dir) {
			return dir, nil
		}
		return "", fmt.Errorf("%w: $PG_BIN=%s holds none", errNoBinaries, dir)
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	slices.SortFunc(dirs, func(a, b string) int { return versionOf(b) - versionOf(a) })
	if p, err := exec.LookPath("initdb"); err == nil {
		dirs = append(dirs, filepath.Dir(p))
	}
	for _, dir := range dirs {
		if ok(dir) {
			return dir, nil
		}
	}
	return "", errNoBinaries
}

// versionOf reads the major version of /usr/lib/postgresql/VERSION/bin.
func versionOf(dir string) int {
	v, _ := strconv.Atoi(filepath.Base(filepath.Dir(dir)))
	return v
}

// URL returns the postgres:// URL of database db, password included.
func (s *Server) URL(db string) string {
	u := url.URL{
		Scheme: "postgres",
		User:   url.UserPassword(User, s.Password),
		Host:   net.JoinHostPort("127.0.0.1", strconv.Itoa(s.Port)),
		Path:   "/" + db,
	}
	return u.String() + "?sslmode=disable"
}

// CreateDB creates a new, empty database and returns its name.
func (s *Server) CreateDB(t testing.TB) string {
	t.Helper()
	s.mu.Lock()
	s.dbs++
	name := fmt.Sprintf("test_%d", s.dbs)
	s.mu.Unlock()
	conn := s.Conn(t, "postgres")
	if _, err := conn.Exec(context.Background(), "CREATE DATABASE "+name); err != nil {
		t.Fatalf("pgtest: create database: %v", err)
	}
	return name
}

// Conn returns a superuser connection to db that t's cleanup closes.
func (s *Server) Conn(t testing.TB, db string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, s.URL(db))
	if err != nil {
		t.Fatalf("pgtest: connect to %s: %v", db, err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn
}

// Kill stops the server at once, as a crash would: every backend is
// killed, nothing is flushed, and the next start runs crash recovery. It
// may be called from any goroutine: a failure is reported with t.Error.
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if err := s.stop("immediate"); err != nil {
		t.Errorf("pgtest: %v", err)
	}
}

// Restart starts a stopped server again on the same port.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(false); err != nil {
		t.Fatalf("pgtest: %v", err)
	}
}

// Bin returns the path of one of the server's programs (psql, pg_ctl…).
func (s *Server) Bin(name string) string { return filepath.Join(s.bin, name) }

// Log returns what the server logged so far.
func (s *Server) Log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "server.log"))
	return string(b)
}

func (s *Server) init() error {
	parent := os.TempDir()
	if s.runAs != "" && !traversable(parent) {
		parent = "/tmp" // the server's user must reach its directory
	}
	dir, err := os.MkdirTemp(parent, "pgtest-")
	if err != nil {
		return err
	}
	s.dir = dir
	pwfile := filepath.Join(dir, "pwfile")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return err
	}
	if s.runAs != "" {
		u, err := user.Lookup(s.runAs)
		if err != nil {
			return fmt.Errorf("running as root, the server needs the unprivileged user %q: %w", s.runAs, err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, pwfile} {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
	}
	out, err := s.command("initdb", "-D", s.data(), "-U", User, "--pwfile="+pwfile,
		"--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync").CombinedOutput()
	if err != nil {
		return fmt.Errorf("initdb: %v\n%s", err, out)
	}
	return os.Remove(pwfile)
}

// start runs pg_ctl start; fresh picks a new free port, retrying when
// another process took it first.
func (s *Server) start(fresh bool) error {
	var err error
	for range 3 {
		if fresh {
			if s.Port, err = freePort(); err != nil {
				return err
			}
		}
		opts := []string{
			"-p " + strconv.Itoa(s.Port),
			"-c listen_addresses=127.0.0.1",
			"-c unix_socket_directories=" + s.dir,
		}
		for _, kv := range s.settings {
			opts = append(opts, "-c "+kv)
		}
		var out []byte
		out, err = s.command("pg_ctl", "start", "-w", "-t", "60", "-D", s.data(),
			"-l", filepath.Join(s.dir, "server.log"), "-o", strings.Join(opts, " ")).CombinedOutput()
		if err == nil {
			s.mu.Lock()
			s.running = true
			s.mu.Unlock()
			return nil
		}
		err = fmt.Errorf("pg_ctl start: %v\n%s\n%s", err, out, s.Log())
		if !fresh {
			break
		}
	}
	return err
}

func (s *Server) stop(mode string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.running {
		return nil
	}
	out, err := s.command("pg_ctl", "stop", "-w", "-D", s.data(), "-m", mode).CombinedOutput()
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %v\n%s", err, out)
	}
	s.running = false
	return nil
}

// remove stops the server and deletes its directory.
func (s *Server) remove() {
	_ = s.stop("immediate")
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

func (s *Server) data() string { return filepath.Join(s.dir, "data") }

// command runs one of the server's programs as the server's user: with
// runuser, or su where there is none.
func (s *Server) command(name string, args ...string) *exec.Cmd {
	path := s.Bin(name)
	if s.runAs == "" {
		return exec.Command(path, args...)
	}
	var cmd *exec.Cmd
	if runuser, err := lookPath("runuser"); err == nil {
		cmd = exec.Command(runuser, append([]string{"-u", s.runAs, "--", path}, args...)...)
	} else {
		cmd = exec.Command("su", append([]string{"-s", "/bin/sh", "-c", `exec "$0" "$@"`, "--", s.runAs, path}, args...)...)
	}
	cmd.Dir = s.dir // the server's user may not enter the caller's directory
	return cmd
}

// lookPath finds a program on $PATH or in the system directories that a
// root shell's $PATH has but a test's may not.
func lookPath(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); fileExists(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s not found", name)
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// traversable reports whether every user may enter dir and its parents.
func traversable(dir string) bool {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		st, err := os.Stat(d)
		if err != nil || st.Mode().Perm()&0o001 == 0 {
			return false
		}
		if d == filepath.Dir(d) {
			return true
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
