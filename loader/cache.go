package loader

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/seed-c7c8f39b/loader/dataset/store"
)

// objectCache keeps local copies of objects in a directory, one
// subdirectory per store, evicting the least recently used copies when
// the directory outgrows its limit. A copy is named after its object's
// key and version, so a changed object is never served from an old copy.
// Copies appear by rename, so processes sharing the directory never read
// a partial one; each enforces the limit over what it saw when it opened
// the cache and what it added since.
type objectCache struct {
	dir   string // this store's subdirectory
	root  string // the cache directory, which the limit covers
	limit int64  // 0: none

	mu      sync.Mutex
	entries map[string]cacheEntry // path to entry, across the whole root
	total   int64
}

type cacheEntry struct {
	size int64
	used time.Time
}

func openCache(root string, limit int64, location string) (*objectCache, error) {
	sum := sha256.Sum256([]byte(location))
	c := &objectCache{
		dir:     filepath.Join(root, hex.EncodeToString(sum[:8])),
		root:    root,
		limit:   limit,
		entries: map[string]cacheEntry{},
	}
	if err := os.MkdirAll(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("loader: cache: %w", err)
	}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if info, err := d.Info(); err == nil {
			c.entries[p] = cacheEntry{size: info.Size(), used: info.ModTime()}
			c.total += info.Size()
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("loader: cache: %w", err)
	}
	return c, nil
}

// get returns obj's bytes from its copy, or reads obj from st and keeps a
// copy.
func (c *objectCache) get(ctx context.Context, st store.Store, obj store.Object) ([]byte, error) {
	p := filepath.Join(c.dir, cacheName(obj))
	if data, err := os.ReadFile(p); err == nil && int64(len(data)) == obj.Size {
		now := time.Now()
		os.Chtimes(p, now, now) // the modification time orders evictions
		c.mu.Lock()
		if e, ok := c.entries[p]; ok {
			e.used = now
			c.entries[p] = e
		}
		c.mu.Unlock()
		return data, nil
	}
	data, err := readObject(ctx, st, obj)
	if err != nil {
		return nil, err
	}
	if err := c.put(p, data); err != nil {
		return nil, err
	}
	return data, nil
}

// put writes a copy under a temporary name and renames it into place; a
// cache needs no fsync, as a copy lost in a crash is read again.
func (c *objectCache) put(p string, data []byte) error {
	tmp, err := os.CreateTemp(c.dir, ".tmp-*")
	if err != nil {
		return fmt.Errorf("loader: cache: %w", err)
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), p)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("loader: cache: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old, ok := c.entries[p]; ok {
		c.total -= old.size
	}
	c.entries[p] = cacheEntry{size: int64(len(data)), used: time.Now()}
	c.total += int64(len(data))
	c.evict(p)
	return nil
}

// evict removes the least recently used copies but keep until the cache
// fits its limit. c.mu must be held.
func (c *objectCache) evict(keep string) {
	if c.limit <= 0 || c.total <= c.limit {
		return
	}
	paths := make([]string, 0, len(c.entries))
	for p := range c.entries {
		if p != keep {
			paths = append(paths, p)
		}
	}
	slices.SortFunc(paths, func(a, b string) int { return c.entries[a].used.Compare(c.entries[b].used) })
	for _, p := range paths {
		if c.total <= c.limit {
			return
		}
		if err := os.Remove(p); err == nil || os.IsNotExist(err) {
			c.total -= c.entries[p].size
			delete(c.entries, p)
		}
	}
}
