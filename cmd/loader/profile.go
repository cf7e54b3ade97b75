package main

import (
	"fmt"
	"os"
	"runtime/pprof"
)

// profileFile is the open --cpuprofile file, if any.
var profileFile *os.File

// startProfile starts a CPU profile into path, if one was asked for.
func startProfile(path string) error {
	if path == "" {
		return nil
	}
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	profileFile = f
	return nil
}

// stopProfile ends the profile started by startProfile.
func stopProfile() {
	if profileFile != nil {
		pprof.StopCPUProfile()
		profileFile.Close()
		profileFile = nil
	}
}
