// Package duckdbtest runs SQL in a real DuckDB for the tests, so that a
// test can check what another engine reads of the files loader writes:
//
//	rows := duckdbtest.Query(t, "SELECT count(*) AS n FROM read_parquet('"+dir+"/*.parquet')")
//	if rows[0]["n"] != "5218" { … }
//
// DuckDB comes as its Node.js package, [Package] at the pinned [Version],
// which bundles a prebuilt DuckDB for the platform: no C toolchain and no
// download of DuckDB extensions are needed (httpfs is not available, so
// read objects as the files an S3 server keeps, see internal/s3test). The
// package is installed once per machine with npm into
// $(os.UserCacheDir)/loader-duckdb/VERSION, under a file lock so that test
// processes running at once install it once; later runs find it there.
// .ci/run installs it before the tests (go test -run TestInstall with CI
// set).
//
// A test skips, saying why, when node or npm is missing or the install
// fails; with the environment variable CI set it fails instead, so that CI
// never passes without having run DuckDB.
package duckdbtest

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// The npm package, and the version of it installed.
const (
	Package = "@duckdb/node-api"
	Version = "1.5.6-r.1"
)

// installTimeout bounds one npm install: the package and its prebuilt
// DuckDB are about 60 MB.
const installTimeout = 10 * time.Minute

//go:embed query.mjs
var queryScript []byte

// Row is one row of a result: each column's name and value in DuckDB's
// JSON form (its node-api getRowObjectsJson): BOOLEAN a bool; TINYINT to
// INTEGER, FLOAT and DOUBLE a float64; BIGINT, HUGEINT and DECIMAL a
// decimal string (count(*) is a BIGINT: "30"); VARCHAR a string; DATE
// "2006-01-02"; TIMESTAMP "2006-01-02 15:04:05[.ffffff]"; TIMESTAMP WITH
// TIME ZONE "2006-01-02 15:04:05[.ffffff]+00", in UTC, the session's time
// zone; LIST a []any; STRUCT and MAP a map[string]any; NULL nil.
type Row = map[string]any

// Query runs sql, one or more statements, in a new in-memory DuckDB and
// returns the rows of the last statement. Any error fails t.
func Query(t testing.TB, sql string) []Row {
	t.Helper()
	rows, err := Run(t, sql)
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

// Run is Query for a test that expects DuckDB may refuse sql: the error
// holds DuckDB's message. It still skips or fails t when DuckDB cannot be
// installed.
func Run(t testing.TB, sql string) ([]Row, error) {
	t.Helper()
	dir := Dir(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "node", filepath.Join(dir, "query.mjs"))
	cmd.Stdin = strings.NewReader(sql)
	cmd.Env = append(os.Environ(), "TZ=UTC")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("duckdb: %s: %v\n%s", oneLine(sql), err, strings.TrimSpace(stderr.String()))
	}
	var rows []Row
	if err := json.Unmarshal(stdout.Bytes(), &rows); err != nil {
		return nil, fmt.Errorf("duckdb: %s: the result is not JSON rows: %w", oneLine(sql), err)
	}
	return rows, nil
}

func oneLine(sql string) string {
	s := strings.Join(strings.Fields(sql), " ")
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

var (
	installOnce sync.Once
	installDir  string
	installErr  error
	errNoNode   = errors.New("node and npm are needed to run DuckDB's Node.js package")
)

// Dir returns the directory where the package is installed, installing it
// first if it is not, and skips or fails t (see the package comment) when
// it cannot be.
func Dir(t testing.TB) string {
	t.Helper()
	installOnce.Do(func() { installDir, installErr = install() })
	switch {
	case installErr == nil:
		return installDir
	case os.Getenv("CI") != "":
		t.Fatalf("duckdbtest: CI is set, and DuckDB cannot be installed: %v", installErr)
	default:
		t.Skipf("duckdbtest: no DuckDB: %v", installErr)
	}
	return ""
}

// install finds the package in the cache directory or installs it there,
// under a lock against other processes doing the same.
func install() (string, error) {
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			return "", fmt.Errorf("%w: %s is not on PATH", errNoNode, tool)
		}
	}
	cache, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache directory to install %s in: %w", Package, err)
	}
	root := filepath.Join(cache, "loader-duckdb")
	if err := os.MkdirAll(root, 0o755); err != nil {
		return "", err
	}
	dir := filepath.Join(root, Version)
	if installed(dir) {
		return dir, writeScript(dir)
	}
	unlock, err := lock(filepath.Join(root, Version+".lock"))
	if err != nil {
		return "", err
	}
	defer unlock()
	if installed(dir) { // another process installed it while we waited
		return dir, writeScript(dir)
	}
	// npm installs into a directory of its own, renamed into place when
	// complete: an interrupted install leaves no half package behind.
	tmp, err := os.MkdirTemp(root, "."+Version+".tmp-")
	if err != nil {
		return "", err
	}
	defer os.RemoveAll(tmp)
	if err := os.Chmod(tmp, 0o755); err != nil { // the machine's other users share it
		return "", err
	}
	ctx, cancel := context.WithTimeout(context.Background(), installTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "npm", "install", "--prefix", tmp, "--no-audit", "--no-fund", "--no-update-notifier", Package+"@"+Version)
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("npm install %s@%s: %v\n%s", Package, Version, err, out)
	}
	os.RemoveAll(dir) // a directory that is not a complete install
	if err := os.Rename(tmp, dir); err != nil {
		return "", fmt.Errorf("install %s: %w", dir, err)
	}
	return dir, writeScript(dir)
}

// installed reports whether dir holds the package at Version.
func installed(dir string) bool {
	data, err := os.ReadFile(filepath.Join(dir, "node_modules", filepath.FromSlash(Package), "package.json"))
	if err != nil {
		return false
	}
	var pkg struct{ Version string }
	return json.Unmarshal(data, &pkg) == nil && pkg.Version == Version
}

// writeScript puts this duckdbtest's query script into dir unless it is
// there already, replacing another version's in one rename, so that a
// process running the old one at that moment is not disturbed.
func writeScript(dir string) error {
	p := filepath.Join(dir, "query.mjs")
	if have, err := os.ReadFile(p); err == nil && bytes.Equal(have, queryScript) {
		return nil
	}
	f, err := os.CreateTemp(dir, ".query-*.mjs")
	if err != nil {
		return err
	}
	_, err = f.Write(queryScript)
	err = errors.Join(err, f.Chmod(0o644), f.Close())
	if err == nil {
		err = os.Rename(f.Name(), p)
	}
	if err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("write %s: %w", p, err)
	}
	return nil
}
