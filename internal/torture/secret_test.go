package torture_test

import (
	"bytes"
	"context"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seed-c7c8f39b/loader/dataset"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// secretForms are the spellings of key that would give it away: as is,
// and escaped for a query string or a path.
func secretForms(key string) []string {
	forms := []string{key}
	for _, f := range []string{url.QueryEscape(key), url.PathEscape(key)} {
		if f != key {
			forms = append(forms, f)
		}
	}
	return forms
}

// checkNoSecret fails if key, in any of its forms, is in one of outputs or
// anywhere under dir: file names, contents and data files' metadata.
func checkNoSecret(t *testing.T, key string, outputs map[string][]byte, dir string) {
	t.Helper()
	forms := secretForms(key)
	found := func(where string, b []byte) {
		for _, f := range forms {
			if i := bytes.Index(b, []byte(f)); i >= 0 {
				lo, hi := max(i-200, 0), min(i+len(f)+100, len(b))
				t.Errorf("the API key (as %q) is in %s: ...%s...", f, where, b[lo:hi])
			}
		}
	}
	for where, b := range outputs {
		found(where, b)
	}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		found("the file name "+path, []byte(d.Name()))
		if d.IsDir() {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		found(path, b)
		if _, ok := dataset.FormatOf(path); ok && !strings.HasPrefix(d.Name(), ".") {
			mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
			defer mem.AssertSize(t, 0)
			f, err := tablefile.Read(context.Background(), path, mem)
			if err != nil {
				return err
			}
			defer f.Release()
			for k, v := range f.Meta {
				found(path+" metadata", []byte(k+"="+v))
			}
		}
		return nil
	})
	if err != nil {
		t.Error(err)
	}
}
