package dataset_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset"
)

// TestManifestHoldsRoomForItsLastSave checks that a manifest holds disk
// space from its start, in a hidden temporary file sized by the symbols,
// and gives it back when it finishes.
func TestManifestHoldsRoomForItsLastSave(t *testing.T) {
	dir := t.TempDir()
	symbols := make([]string, 200)
	for i := range symbols {
		symbols[i] = "S" + strings.Repeat("X", i%5) + string(rune('A'+i%26))
	}
	m, err := dataset.NewManifest(dir, dataset.Run{}, symbols)
	if err != nil {
		t.Fatal(err)
	}
	reserved := func() (names []string, size int64) {
		matches, _ := filepath.Glob(filepath.Join(dir, "._manifest.json.reserve-*"))
		for _, p := range matches {
			if st, err := os.Stat(p); err == nil {
				size += st.Size()
			}
		}
		return matches, size
	}
	if names, size := reserved(); len(names) != 1 || size < int64(len(m.Entries()))*340 {
		t.Fatalf("reserve %v of %d bytes for %d entries", names, size, len(m.Entries()))
	}
	if err := m.Finish(time.Now()); err != nil {
		t.Fatal(err)
	}
	if names, _ := reserved(); len(names) != 0 {
		t.Fatalf("reserve %v left after Finish", names)
	}
}
