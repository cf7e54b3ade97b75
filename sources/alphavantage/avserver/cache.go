package avserver

import (
	"container/list"
	"sync"
)

// bodyCache keeps encoded answers, least recently used evicted first, up
// to a byte budget. Cached bodies are shared by every request that serves
// them and must not be modified.
type bodyCache struct {
	mu     sync.Mutex
	budget int
	size   int
	order  *list.List // of *cacheEntry, most recently used at the front
	byKey  map[string]*list.Element
}

type cacheEntry struct {
	key  string
	body []byte
}

func newBodyCache(budget int) *bodyCache {
	return &bodyCache{budget: budget, order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns the body cached under key, or nil.
func (c *bodyCache) get(key string) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil
	}
	c.order.MoveToFront(e)
	return e.Value.(*cacheEntry).body
}

// put caches body under key, evicting the least recently used bodies
// until it fits. A body larger than the whole budget is not cached.
func (c *bodyCache) put(key string, body []byte) {
	if len(body) > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.byKey[key]; ok {
		return // a concurrent miss encoded it first
	}
	for c.size+len(body) > c.budget {
		oldest := c.order.Back()
		entry := c.order.Remove(oldest).(*cacheEntry)
		delete(c.byKey, entry.key)
		c.size -= len(entry.body)
	}
	c.byKey[key] = c.order.PushFront(&cacheEntry{key: key, body: body})
	c.size += len(body)
}
