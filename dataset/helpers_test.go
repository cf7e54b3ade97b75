package dataset_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"go.uber.org/goleak"

	"github.com/seed-c7c8f39b/loader/sources"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// firstDay is the date of every test series' first bar.
var firstDay = time.Date(2024, time.January, 2, 0, 0, 0, 0, time.UTC)

// dailyBars returns n daily bars of symbol from firstDay, one per calendar
// day, with prices that do not have short decimal forms (so a lossy float
// encoding would show).
func dailyBars(mem memory.Allocator, symbol string, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, sources.DailySchema(false))
	defer b.Release()
	seed := float64(len(symbol))
	for i := range n {
		base := 100 + seed + float64(i)/3
		b.Field(0).(*array.StringBuilder).Append(symbol)
		b.Field(1).(*array.Date32Builder).Append(arrow.Date32FromTime(firstDay.AddDate(0, 0, i)))
		b.Field(2).(*array.Float64Builder).Append(base)
		b.Field(3).(*array.Float64Builder).Append(base * 1.01)
		b.Field(4).(*array.Float64Builder).Append(base * 0.99)
		b.Field(5).(*array.Float64Builder).Append(base + 0.1)
		b.Field(6).(*array.Int64Builder).Append(1_000_000 + int64(i)*7919)
	}
	return b.NewRecordBatch()
}

// newMem returns a checked allocator that fails t if anything is left
// allocated when t ends.
func newMem(t *testing.T) *memory.CheckedAllocator {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	t.Cleanup(func() { mem.AssertSize(t, 0) })
	return mem
}

// listFiles returns every regular file under dir, relative and with '/'
// separators, sorted.
func listFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		files = append(files, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(files)
	return files
}

// fileSums returns the SHA-256 of every file under dir but the manifest
// and the space it holds for its last save, which a run that was not
// finished keeps.
func fileSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := make(map[string]string)
	for _, f := range listFiles(t, dir) {
		if f == "_manifest.json" || strings.HasPrefix(f, "._manifest.json.reserve-") {
			continue
		}
		sums[f] = sha256File(t, filepath.Join(dir, f))
	}
	return sums
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}
