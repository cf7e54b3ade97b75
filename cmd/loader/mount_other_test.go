//go:build !linux

package main

import (
	"os"
	"testing"
)

func mountTmpfs(t *testing.T, options string) string {
	t.Skip("mounting a tmpfs is Linux-only")
	return ""
}

func openTerminal(t *testing.T) *os.File {
	t.Skip("pseudo-terminals are opened here on Linux only")
	return nil
}
