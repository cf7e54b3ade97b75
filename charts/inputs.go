package charts

import (
	"context"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// readFunc reads one input file, named as inputs listed it.
type readFunc func(ctx context.Context, path string, mem memory.Allocator, columns ...string) (*tablefile.File, error)

// inputs lists the data files under in, a directory or an object-store URL
// (s3://BUCKET/PREFIX, once its driver is linked in), and returns how to
// read each; done releases the store.
func inputs(ctx context.Context, in string) (paths []string, read readFunc, done func(), err error) {
	if !store.IsURL(in) {
		paths, err := dataset.Files(in)
		return paths, tablefile.Read, func() {}, err
	}
	st, objs, err := dataset.OpenData(ctx, in)
	if err != nil {
		return nil, nil, nil, err
	}
	prefix := strings.TrimSuffix(st.String(), "/") + "/"
	for _, o := range objs {
		paths = append(paths, prefix+o.Key)
	}
	read = func(ctx context.Context, path string, mem memory.Allocator, columns ...string) (*tablefile.File, error) {
		data, err := st.ReadFile(ctx, strings.TrimPrefix(path, prefix))
		if err != nil {
			return nil, err
		}
		return tablefile.Decode(ctx, path, data, mem, columns...)
	}
	return paths, read, func() { st.Close() }, nil
}
