package main

import (
	"io"
	"log/slog"
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
