package avserver

import "testing"

func TestBodyCacheEvictsLeastRecentlyUsed(t *testing.T) {
	t.Parallel()
	c := newBodyCache(10)
	c.put("a", []byte("aaaa"))
	c.put("b", []byte("bbbb"))
	c.get("a") // b is now the least recently used
	c.put("c", []byte("cccc"))
	c.put("huge", []byte("more than the whole budget"))
	for key, want := range map[string]string{"a": "aaaa", "b": "", "c": "cccc", "huge": ""} {
		if got := string(c.get(key)); got != want {
			t.Errorf("get(%q) = %q, want %q", key, got, want)
		}
	}
	if c.size != 8 || c.order.Len() != 2 || len(c.byKey) != 2 {
		t.Errorf("size %d with %d entries (%d keys), want 8 with 2", c.size, c.order.Len(), len(c.byKey))
	}
}
