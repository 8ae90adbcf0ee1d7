package detect

import "container/list"

// lru is a map bounded to max entries: adding beyond it evicts the least
// recently used key. It keeps per-key statistical state from growing with
// a week of traffic.
type lru[K comparable, V any] struct {
	max   int
	ll    *list.List
	items map[K]*list.Element
	// onEvict, when set, sees what is evicted.
	onEvict func(K, V)
}

type lruEntry[K comparable, V any] struct {
	k K
	v V
}

func newLRU[K comparable, V any](max int) *lru[K, V] {
	return &lru[K, V]{max: max, ll: list.New(), items: map[K]*list.Element{}}
}

// get returns the value of k and marks it used.
func (c *lru[K, V]) get(k K) (V, bool) {
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// peek returns the value of k without marking it used.
func (c *lru[K, V]) peek(k K) (V, bool) {
	if e, ok := c.items[k]; ok {
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// put sets k's value, evicting the oldest entry if full.
func (c *lru[K, V]) put(k K, v V) {
	if e, ok := c.items[k]; ok {
		e.Value.(*lruEntry[K, V]).v = v
		c.ll.MoveToFront(e)
		return
	}
	c.items[k] = c.ll.PushFront(&lruEntry[K, V]{k, v})
	for c.max > 0 && c.ll.Len() > c.max {
		old := c.ll.Back()
		ent := old.Value.(*lruEntry[K, V])
		c.ll.Remove(old)
		delete(c.items, ent.k)
		if c.onEvict != nil {
			c.onEvict(ent.k, ent.v)
		}
	}
}

// getOr returns k's value, creating it with mk if absent.
func (c *lru[K, V]) getOr(k K, mk func() V) V {
	if v, ok := c.get(k); ok {
		return v
	}
	v := mk()
	c.put(k, v)
	return v
}

func (c *lru[K, V]) remove(k K) {
	if e, ok := c.items[k]; ok {
		c.ll.Remove(e)
		delete(c.items, k)
	}
}

func (c *lru[K, V]) len() int { return c.ll.Len() }

// each calls fn for every entry, most recent first; fn must not change c.
func (c *lru[K, V]) each(fn func(K, V)) {
	for e := c.ll.Front(); e != nil; e = e.Next() {
		ent := e.Value.(*lruEntry[K, V])
		fn(ent.k, ent.v)
	}
}
