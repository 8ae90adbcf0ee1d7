package detect

import "container/list"

// LRU is a map bounded to max entries: adding beyond it evicts the least
// recently used key. It keeps per-key statistical state from growing with
// a week of traffic.
type LRU[K comparable, V any] struct {
	max   int
	ll    *list.List
	items map[K]*list.Element
	// OnEvict, when set, sees what is evicted.
	OnEvict func(K, V)
}

type lruEntry[K comparable, V any] struct {
	k K
	v V
}

// NewLRU returns an empty LRU that holds at most max entries; max <= 0
// means no bound.
func NewLRU[K comparable, V any](max int) *LRU[K, V] {
	return &LRU[K, V]{max: max, ll: list.New(), items: map[K]*list.Element{}}
}

// Get returns the value of k and marks it used.
func (c *LRU[K, V]) Get(k K) (V, bool) {
	if e, ok := c.items[k]; ok {
		c.ll.MoveToFront(e)
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// Peek returns the value of k without marking it used.
func (c *LRU[K, V]) Peek(k K) (V, bool) {
	if e, ok := c.items[k]; ok {
		return e.Value.(*lruEntry[K, V]).v, true
	}
	var zero V
	return zero, false
}

// Put sets k's value, evicting the oldest entry if full.
func (c *LRU[K, V]) Put(k K, v V) {
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
		if c.OnEvict != nil {
			c.OnEvict(ent.k, ent.v)
		}
	}
}

// GetOr returns k's value, creating it with mk if absent.
func (c *LRU[K, V]) GetOr(k K, mk func() V) V {
	if v, ok := c.Get(k); ok {
		return v
	}
	v := mk()
	c.Put(k, v)
	return v
}

// Remove deletes k, if present, without calling OnEvict.
func (c *LRU[K, V]) Remove(k K) {
	if e, ok := c.items[k]; ok {
		c.ll.Remove(e)
		delete(c.items, k)
	}
}

// Len returns the number of entries.
func (c *LRU[K, V]) Len() int { return c.ll.Len() }

// Each calls fn for every entry, most recent first; fn must not change c.
func (c *LRU[K, V]) Each(fn func(K, V)) {
	for e := c.ll.Front(); e != nil; e = e.Next() {
		ent := e.Value.(*lruEntry[K, V])
		fn(ent.k, ent.v)
	}
}
