package inspect

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/seed-c7c8f39b/loader/dataset"
	"github.com/seed-c7c8f39b/loader/dataset/store"
	"github.com/seed-c7c8f39b/loader/internal/tablefile"
)

// objects reports on the dataset at an object-store URL as Path does on a
// directory (or on a file, for a URL that names one object), then on its
// manifests: one per shard that wrote it, read together.
func objects(ctx context.Context, w io.Writer, location string, mem memory.Allocator) error {
	st, objs, err := dataset.OpenData(ctx, location)
	if err != nil {
		return fmt.Errorf("inspect: %w", err)
	}
	defer st.Close()
	if len(objs) == 0 {
		return fmt.Errorf("inspect %s: no .parquet, .arrow or .csv objects", location)
	}
	entries := make([]entry, len(objs))
	for i, o := range objs {
		url := store.Join(st.String(), o.Key)
		entries[i] = entry{path: url, name: o.Key, read: func(ctx context.Context, mem memory.Allocator) (*tablefile.File, error) {
			data, err := st.ReadFile(ctx, o.Key)
			if err != nil {
				return nil, err
			}
			return tablefile.ReadBytes(ctx, url, data, mem)
		}}
	}
	if len(objs) == 1 && entries[0].path == strings.TrimSuffix(location, "/") {
		entries[0].name = location
		_, err := file(ctx, w, entries[0], mem)
		return err
	}
	if err := files(ctx, w, entries, mem); err != nil {
		return err
	}
	return manifests(ctx, w, st)
}

// manifests writes what the dataset's manifests say together.
func manifests(ctx context.Context, w io.Writer, st store.Store) error {
	u, err := dataset.LoadUnion(ctx, st)
	if err != nil {
		fmt.Fprintf(w, "manifests: unreadable: %v\n", err)
		return nil
	}
	names := u.Names()
	if len(names) == 0 {
		fmt.Fprintln(w, "manifests: none")
		return nil
	}
	t := u.Totals()
	fmt.Fprintf(w, "manifests: %d (%s): %s, %d ok, %d failed, %d skipped, %d pending\n",
		len(names), strings.Join(names, ", "), plural(t.Symbols, "symbol"), t.OK, t.Failed, t.Skipped, t.Pending)
	return nil
}
