package dataset

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strings"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// IsDataKey reports whether key, a '/'-separated name relative to a
// dataset, names a data file: a known extension, and no segment that
// IsSkipped (the manifests, lock objects, hidden and temporary files and
// what lies in hidden directories). It is [List]'s rule for a listing of
// keys.
func IsDataKey(key string) bool {
	for _, seg := range strings.Split(key, "/") {
		if IsSkipped(seg) {
			return false
		}
	}
	_, ok := FormatOf(key)
	return ok
}

// Objects returns the data files of the dataset in st, sorted by key.
func Objects(ctx context.Context, st store.Store) ([]store.Object, error) {
	all, err := st.List(ctx)
	if err != nil {
		return nil, err
	}
	var data []store.Object
	for _, o := range all {
		if IsDataKey(o.Key) {
			data = append(data, o)
		}
	}
	return data, nil
}

// OpenData opens the store at location (a directory, or an object-store
// URL such as s3://BUCKET/PREFIX) and returns its data files. A URL that
// names one data object (s3://BUCKET/PREFIX/AAPL.parquet) opens the store
// around it and returns that object alone. The caller closes the store.
func OpenData(ctx context.Context, location string) (store.Store, []store.Object, error) {
	st, err := store.Open(ctx, location)
	if err != nil {
		return nil, nil, err
	}
	if err := st.Check(ctx); err != nil {
		st.Close()
		return nil, nil, err
	}
	objs, err := Objects(ctx, st)
	if err != nil {
		st.Close()
		return nil, nil, err
	}
	if len(objs) > 0 || !store.IsURL(location) {
		return st, objs, nil
	}
	if _, ok := FormatOf(location); !ok {
		return st, nil, nil
	}
	i := strings.LastIndex(strings.TrimSuffix(location, "/"), "/")
	parent, key := location[:i], location[i+1:]
	pst, err := store.Open(ctx, parent)
	if err != nil {
		return st, nil, nil
	}
	obj, err := pst.Stat(ctx, key)
	if err != nil {
		pst.Close()
		if errors.Is(err, fs.ErrNotExist) {
			return st, nil, nil
		}
		return st, nil, fmt.Errorf("open %s: %w", location, err)
	}
	st.Close()
	return pst, []store.Object{obj}, nil
}
