package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"

	"github.com/spf13/cobra"
)

// setupLogging points slog's default logger at w in format "text" or
// "json"; quiet keeps only warnings and errors.
func setupLogging(w io.Writer, format string, quiet bool) error {
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelWarn
	}
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	switch format {
	case "text":
		h = slog.NewTextHandler(w, opts)
	case "json":
		h = slog.NewJSONHandler(w, opts)
	default:
		return usagef("--log-format %q: want text or json", format)
	}
	slog.SetDefault(slog.New(h))
	return nil
}

// jsonLogs reports whether cmd runs with --log-format json.
func jsonLogs(cmd *cobra.Command) bool {
	f := cmd.Flags().Lookup("log-format")
	return f != nil && f.Value.String() == "json"
}

// warn tells the user of something that did not stop the command: a line
// "loader: msg" on stderr, or a WARN record with --log-format json.
func warn(cmd *cobra.Command, msg string) {
	if jsonLogs(cmd) {
		slog.Warn(msg)
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "loader: %s\n", msg)
}

// note is warn for what --quiet silences: an INFO record in JSON.
func note(cmd *cobra.Command, msg string) {
	if quiet, _ := cmd.Flags().GetBool("quiet"); quiet {
		return
	}
	if jsonLogs(cmd) {
		slog.Info(msg)
		return
	}
	fmt.Fprintf(cmd.ErrOrStderr(), "loader: %s\n", msg)
}

// lineLogger turns every line written to it into an INFO record of log:
// with --log-format json it stands in for stderr, so that what a command
// prints there (a report, a count of charts) is JSON like the rest.
type lineLogger struct {
	log *slog.Logger
	mu  sync.Mutex
	buf []byte
}

func newLineLogger(log *slog.Logger) *lineLogger { return &lineLogger{log: log} }

func (l *lineLogger) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf = append(l.buf, p...)
	for {
		i := bytes.IndexByte(l.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		if line := bytes.TrimRight(l.buf[:i], "\r"); len(line) > 0 {
			l.log.Log(context.Background(), slog.LevelInfo, string(line))
		}
		l.buf = l.buf[i+1:]
	}
}

// stopOnError passes writes to w until one fails, then fails every later
// one with the same error without writing: once a reader closed the pipe
// (`loader fetch | head -1`), printing stops, and the command carries on
// with its work.
type stopOnError struct {
	mu  sync.Mutex
	w   io.Writer
	err error
}

// Err returns the error that stopped the writes, or nil.
func (s *stopOnError) Err() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

func (s *stopOnError) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.err != nil {
		return 0, s.err
	}
	n, err := s.w.Write(p)
	s.err = err
	return n, err
}
