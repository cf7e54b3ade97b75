package dataset

import (
	"os"
	"path/filepath"
)

// reserveBytesPerSymbol is the disk space a manifest holds in reserve per
// symbol: an ok entry takes about 340 bytes of its JSON, a failed one 150
// and its reason.
const reserveBytesPerSymbol = 512

// reserveSlack is held on top, for the run's own fields.
const reserveSlack = 4 << 10

// reserve is disk space a Manifest holds from its start, in a hidden
// temporary file, and gives back just before its last save: a run that
// fills the disk can then still record how every symbol ended, where the
// manifest's atomic save needs room for a second copy of itself. A killed
// run leaves the file behind; the next run's reserveSpace, which holds the
// dataset's lock, removes it.
type reserve struct{ path string }

// reserveSpace holds room for the manifest of symbols in dir. It is best
// effort: on a disk already too full for it, nothing is held.
func reserveSpace(dir string, symbols int) *reserve {
	stale, _ := filepath.Glob(filepath.Join(dir, "."+ManifestName+".reserve-*"))
	for _, p := range stale {
		os.Remove(p)
	}
	f, err := os.CreateTemp(dir, "."+ManifestName+".reserve-*")
	if err != nil {
		return nil
	}
	r := &reserve{path: f.Name()}
	// Zeros written, not a sparse file: the space must really be taken.
	zeros := make([]byte, 64<<10)
	for left := int64(symbols)*reserveBytesPerSymbol + reserveSlack; left > 0 && err == nil; left -= int64(len(zeros)) {
		_, err = f.Write(zeros[:min(left, int64(len(zeros)))])
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(r.path)
		return nil
	}
	return r
}

// release gives the space back. A nil reserve holds nothing.
func (r *reserve) release() {
	if r != nil {
		os.Remove(r.path)
	}
}
