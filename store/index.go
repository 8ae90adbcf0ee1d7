package store

// Timeline index
//
// An endpoint's timeline is indexed by postings: lists of (time, id, block
// reference) of the endpoint's events within one hour,
//
//	key    'i' hour(4) endpoint seq(8)
//	value  version(1) n(uvarint), then per event in key order: time delta
//	       from the previous (the first from the hour; uvarint), id(8),
//	       the first 4 bytes of its block's hash
//
// built in memory as events are written and written out every
// flushPostings events (and every flushEvery, and on Close) as one entry
// per hour and endpoint. An hour of one endpoint may have several postings
// (one per flush, seq telling them apart); a reader merges them.
//
// Postings in memory are not lost with the process: every write of events
// also writes a journal entry listing its blocks,
//
//	key    'j' seq(8)
//	value  the block keys
//
// and a flush deletes the journal entries it covers. Opening the store
// reads the journal and indexes its blocks again (a block names the
// timelines of each of its events), so after a crash the timelines are
// whole; a posting written twice (a crash during a flush) is merged away
// by readers like a replayed event.

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sort"
	"sync"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

const (
	prefixPosting byte = 'i'
	prefixJournal byte = 'j'

	postingVersion = 1
	// flushPostings is how many index entries are held in memory before
	// they are written (about 40 bytes each).
	flushPostings = 1 << 18
	// flushEvery bounds how long postings stay in memory only.
	flushEvery = 30 * time.Second
	// postingSeqKey names the metadata record of the next posting seq.
	postingSeqKey = "posting-seq"
)

// posting is one event of a timeline.
type posting struct {
	tk  tkey
	id  uint64
	ref uint32
}

func comparePostings(a, b posting) int {
	switch {
	case a.tk < b.tk:
		return -1
	case a.tk > b.tk:
		return 1
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// appendHour appends hour h so that byte order is hour order.
func appendHour(b []byte, h int32) []byte { return binary.BigEndian.AppendUint32(b, uint32(h)^(1<<31)) }

func readHour(b []byte) int32 { return int32(binary.BigEndian.Uint32(b) ^ (1 << 31)) }

// postingPrefix is the prefix of the postings of the endpoint encoded as
// ep (appendEndpoint) in hour h.
func postingPrefix(h int32, ep []byte) []byte {
	return append(appendHour(make([]byte, 0, 5+len(ep)+8), h), ep...)
}

func postingKey(prefix []byte, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte{prefixPosting}, prefix...), seq)
}

func appendPostings(b []byte, h int32, ps []posting) []byte {
	b = append(b, postingVersion)
	b = binary.AppendUvarint(b, uint64(len(ps)))
	prev := hourStart(h)
	for _, p := range ps {
		b = binary.AppendUvarint(b, p.tk-prev)
		prev = p.tk
		b = binary.BigEndian.AppendUint64(b, p.id)
		b = binary.BigEndian.AppendUint32(b, p.ref)
	}
	return b
}

var errBadPosting = errors.New("store: corrupt timeline posting")

func readPostings(dst []posting, h int32, v []byte) ([]posting, error) {
	if len(v) < 1 || v[0] != postingVersion {
		return dst, fmt.Errorf("%w: unknown version", errBadPosting)
	}
	v = v[1:]
	n, m := binary.Uvarint(v)
	if m <= 0 || n > uint64(len(v)) {
		return dst, fmt.Errorf("%w: bad count", errBadPosting)
	}
	v = v[m:]
	dst = slices.Grow(dst, int(n))
	prev := hourStart(h)
	for range n {
		d, m := binary.Uvarint(v)
		if m <= 0 || len(v) < m+12 {
			return dst, fmt.Errorf("%w: short", errBadPosting)
		}
		prev += d
		dst = append(dst, posting{tk: prev, id: binary.BigEndian.Uint64(v[m:]), ref: binary.BigEndian.Uint32(v[m+8:])})
		v = v[m+12:]
	}
	return dst, nil
}

// sortPostings sorts ps by key and drops duplicates. Postings written in
// time order (one list, or lists of successive flushes) are often sorted
// already.
func sortPostings(ps []posting) []posting {
	if !slices.IsSortedFunc(ps, comparePostings) {
		slices.SortFunc(ps, comparePostings)
	}
	return slices.CompactFunc(ps, func(a, b posting) bool { return a.tk == b.tk && a.id == b.id })
}

func journalKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte{prefixJournal}, seq) }

// index holds the postings not yet written.
type index struct {
	mu       sync.Mutex
	pending  map[string][]posting // by posting prefix (hour, endpoint)
	byEp     map[string][]int32   // endpoint → its hours in pending
	count    int                  // postings in pending
	journal  []uint64             // the journal entries pending covers
	flushing map[string][]posting // being written by a flush
	flushEp  map[string][]int32   // endpoint → its hours in flushing
	since    time.Time            // when pending was first added to
	nextJnl  uint64               // the next journal seq

	wake chan struct{}
	stop chan struct{}
	done chan struct{}
}

func newIndex() *index {
	return &index{pending: map[string][]posting{}, byEp: map[string][]int32{}, wake: make(chan struct{}, 1)}
}

// batchPostings are the postings of one write, added once it is stored.
type batchPostings struct {
	keys []string
	ps   [][]posting
	n    int
	jnl  uint64
}

func (b *batchPostings) add(prefix string, p posting) {
	for i := len(b.keys) - 1; i >= 0 && i >= len(b.keys)-4; i-- { // the same endpoint comes in runs
		if b.keys[i] == prefix {
			b.ps[i] = append(b.ps[i], p)
			b.n++
			return
		}
	}
	b.keys = append(b.keys, prefix)
	b.ps = append(b.ps, []posting{p})
	b.n++
}

// add makes a stored write's postings visible; it wakes the flusher when
// enough are held.
func (x *index) add(b *batchPostings) {
	x.mu.Lock()
	if len(x.pending) == 0 {
		x.since = time.Now()
	}
	for i, k := range b.keys {
		x.put(k, b.ps[i])
	}
	x.count += b.n
	x.journal = append(x.journal, b.jnl)
	full := x.count >= flushPostings
	x.mu.Unlock()
	if full {
		select {
		case x.wake <- struct{}{}:
		default:
		}
	}
}

// put adds postings under a posting prefix to pending; x.mu is held.
func (x *index) put(k string, ps []posting) {
	old, ok := x.pending[k]
	if !ok {
		x.byEp[k[4:]] = append(x.byEp[k[4:]], readHour([]byte(k[:4])))
	}
	x.pending[k] = append(old, ps...)
}

// held returns copies of the postings in memory of the endpoint encoded as
// ep, by hour.
func (x *index) held(ep []byte) map[int32][]posting {
	x.mu.Lock()
	defer x.mu.Unlock()
	out := map[int32][]posting{}
	var hb [4]byte
	for _, set := range []struct {
		m     map[string][]posting
		hours []int32
	}{{x.pending, x.byEp[string(ep)]}, {x.flushing, x.flushEp[string(ep)]}} {
		for _, h := range set.hours {
			binary.BigEndian.PutUint32(hb[:], uint32(h)^(1<<31))
			out[h] = append(out[h], set.m[string(hb[:])+string(ep)]...)
		}
	}
	return out
}

// nextJournal reserves a journal seq.
func (x *index) nextJournal() uint64 {
	x.mu.Lock()
	defer x.mu.Unlock()
	x.nextJnl++
	return x.nextJnl
}

// loadJournal indexes again the blocks of the journal's writes (those
// whose postings were not written before the store was closed or killed)
// into memory.
func (s *Store) loadJournal() error {
	x := s.index
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixJournal}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			key := it.Item().Key()
			if len(key) != 9 {
				return fmt.Errorf("%w: journal key %x", errBadKey, key)
			}
			seq := binary.BigEndian.Uint64(key[1:])
			x.nextJnl = max(x.nextJnl, seq)
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			if len(v)%blockKeyLen != 0 {
				return fmt.Errorf("%w: journal entry %d of %d bytes", errBadKey, seq, len(v))
			}
			b := &batchPostings{jnl: seq}
			for ; len(v) > 0; v = v[blockKeyLen:] {
				item, err := txn.Get(v[:blockKeyLen])
				if errors.Is(err, badger.ErrKeyNotFound) {
					continue // pruned since, or never written (a crash mid-write)
				}
				if err != nil {
					return err
				}
				val, err := item.ValueCopy(nil)
				if err != nil {
					return err
				}
				blk, err := parseBlock(item.KeyCopy(nil), val)
				if err != nil {
					return err
				}
				blk.postings(b)
			}
			x.add(b)
		}
		return nil
	})
}

// postings adds the block's events to the timelines they belong to.
func (b *block) postings(bp *batchPostings) {
	ref := blockRef(b.key)
	var hb [4]byte
	for i := range b.ids {
		p := posting{tk: b.tks[i], id: b.ids[i], ref: ref}
		binary.BigEndian.PutUint32(hb[:], uint32(hourOf(p.tk))^(1<<31))
		b.endpoints(i, func(ep []byte) {
			bp.add(string(hb[:])+string(ep), p)
		})
	}
}

// runIndex writes postings when enough are held or they have waited
// flushEvery, until Close.
func (s *Store) runIndex() {
	x := s.index
	defer close(x.done)
	t := time.NewTicker(flushEvery / 3)
	defer t.Stop()
	for {
		select {
		case <-x.stop:
			return
		case <-x.wake:
		case <-t.C:
			x.mu.Lock()
			due := len(x.pending) > 0 && time.Since(x.since) >= flushEvery
			x.mu.Unlock()
			if !due {
				continue
			}
		}
		if err := s.flushIndex(); err != nil {
			badgerLogger{s.opts.Logger}.Warningf("writing the timeline index: %v (kept in memory and in the journal; retried)", err)
		}
	}
}

// flushIndex writes the postings held in memory and deletes the journal
// entries they cover. Only runIndex and Close call it. While it writes,
// the postings stay readable as x.flushing: nothing changes them.
func (s *Store) flushIndex() error {
	x := s.index
	x.mu.Lock()
	if len(x.pending) == 0 {
		x.mu.Unlock()
		return nil
	}
	take, jnl := x.pending, x.journal
	x.flushing, x.flushEp = take, x.byEp
	x.pending, x.byEp, x.journal, x.count = map[string][]posting{}, map[string][]int32{}, nil, 0
	x.mu.Unlock()
	err := s.writePostings(take, jnl)
	x.mu.Lock()
	x.flushing, x.flushEp = nil, nil
	if err != nil { // keep them for the next flush
		for k, ps := range take {
			x.put(k, ps)
			x.count += len(ps)
		}
		x.journal = append(jnl, x.journal...)
		if x.since.IsZero() {
			x.since = time.Now()
		}
	}
	x.mu.Unlock()
	return err
}

func (s *Store) writePostings(take map[string][]posting, jnl []uint64) error {
	s.gate.RLock()
	defer s.gate.RUnlock()
	if s.closed {
		return ErrClosed
	}
	// The seq is reserved (stored) before it is used: a crash between the
	// two skips one, where the other way round would reuse it and
	// overwrite the postings written with it.
	var seq uint64
	err := s.db.Update(func(txn *badger.Txn) error {
		item, err := txn.Get(nameKey(prefixMeta, postingSeqKey))
		switch {
		case errors.Is(err, badger.ErrKeyNotFound):
		case err != nil:
			return err
		default:
			if err := item.Value(func(v []byte) error {
				if len(v) != 8 {
					return fmt.Errorf("%w: posting seq of %d bytes", errBadKey, len(v))
				}
				seq = binary.BigEndian.Uint64(v)
				return nil
			}); err != nil {
				return err
			}
		}
		return txn.Set(nameKey(prefixMeta, postingSeqKey), binary.BigEndian.AppendUint64(nil, seq+1))
	})
	if err != nil {
		return s.writeErr("write the timeline index", err)
	}
	keys := make([]string, 0, len(take))
	for k := range take {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	wb := s.db.NewWriteBatch()
	var buf []byte
	for _, k := range keys {
		// take is also x.flushing, which timeline pages read (under x.mu)
		// while this writes it: sort a copy, change nothing of take.
		ps := sortPostings(slices.Clone(take[k]))
		start := len(buf)
		buf = appendPostings(buf, readHour([]byte(k[:4])), ps)
		if err := wb.Set(postingKey([]byte(k), seq), buf[start:len(buf):len(buf)]); err != nil {
			wb.Cancel()
			return s.writeErr("write the timeline index", err)
		}
		if len(buf) > 4<<20 {
			buf = nil
		}
	}
	for _, j := range jnl {
		if err := wb.Delete(journalKey(j)); err != nil {
			wb.Cancel()
			return s.writeErr("write the timeline index", err)
		}
	}
	return s.writeErr("write the timeline index", wb.Flush())
}

// hourPostings returns the postings of the endpoint encoded as ep in hour
// h, stored and held, sorted and without duplicates.
func hourPostings(txn *badger.Txn, h int32, ep []byte, held []posting) ([]posting, error) {
	prefix := append([]byte{prefixPosting}, postingPrefix(h, ep)...)
	opt := badger.DefaultIteratorOptions
	opt.Prefix = prefix
	opt.PrefetchValues = false
	it := txn.NewIterator(opt)
	defer it.Close()
	// Each written list is sorted: merge them rather than sort them all.
	var lists [][]posting
	if len(held) > 0 {
		lists = append(lists, sortPostings(slices.Clone(held)))
	}
	for it.Rewind(); it.Valid(); it.Next() {
		if len(it.Item().Key()) != len(prefix)+8 {
			continue // another endpoint whose encoding extends this one's: impossible, lengths are prefixed
		}
		var (
			ps  []posting
			err error
		)
		if err = it.Item().Value(func(v []byte) error {
			ps, err = readPostings(nil, h, v)
			return err
		}); err != nil {
			return nil, err
		}
		if !slices.IsSortedFunc(ps, comparePostings) { // never written so; but never trusted
			ps = sortPostings(ps)
		}
		lists = append(lists, ps)
	}
	return mergePostings(lists), nil
}

// mergePostings merges sorted lists into one, without duplicates.
func mergePostings(lists [][]posting) []posting {
	for len(lists) > 1 {
		next := lists[:0:0]
		for i := 0; i < len(lists); i += 2 {
			if i+1 == len(lists) {
				next = append(next, lists[i])
				continue
			}
			a, b := lists[i], lists[i+1]
			m := make([]posting, 0, len(a)+len(b))
			for len(a) > 0 && len(b) > 0 {
				if comparePostings(a[0], b[0]) <= 0 {
					m, a = append(m, a[0]), a[1:]
				} else {
					m, b = append(m, b[0]), b[1:]
				}
			}
			next = append(next, append(append(m, a...), b...))
		}
		lists = next
	}
	if len(lists) == 0 {
		return nil
	}
	return slices.CompactFunc(lists[0], func(a, b posting) bool { return a.tk == b.tk && a.id == b.id })
}

// postingHours finds the hours that hold postings of any endpoint.
type postingHours struct {
	txn     *badger.Txn
	reverse bool
	it      *badger.Iterator
}

// next returns the first hour from h on (back from h when reverse) that
// holds postings; ok is false when there is none.
func (x *postingHours) next(h int32) (int32, bool) {
	if x.it == nil {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixPosting}
		opt.Reverse = x.reverse
		x.it = x.txn.NewIterator(opt)
	}
	if x.reverse {
		x.it.Seek(appendHour([]byte{prefixPosting}, h+1)) // the last key before hour h+1
	} else {
		x.it.Seek(appendHour([]byte{prefixPosting}, h))
	}
	if !x.it.Valid() || len(x.it.Item().Key()) < 5 {
		return 0, false
	}
	return readHour(x.it.Item().Key()[1:5]), true
}

func (x *postingHours) close() {
	if x.it != nil {
		x.it.Close()
	}
}

// walkTimeline calls fn with the postings of ep from lo to hi (hi
// exclusive), oldest first or newest first, hour by hour, starting after
// the key at (a cursor) when it is set. fn returns false to stop.
func (s *Store) walkTimeline(ctx context.Context, txn *badger.Txn, held map[int32][]posting, ep Endpoint, lo, hi tkey, reverse bool, after *EventKey, fn func(p posting) (bool, error)) error {
	if lo >= hi {
		return nil
	}
	var cur *posting
	if after != nil {
		cur = &posting{tk: timeKey(after.Time), id: after.ID}
	}
	epb := appendEndpoint(nil, ep)
	first, last := hourOf(lo), hourOf(hi-1)
	heldHours := make([]int32, 0, len(held))
	for h := range held {
		heldHours = append(heldHours, h)
	}
	slices.Sort(heldHours)
	hours := postingHours{txn: txn, reverse: reverse}
	defer hours.close()
	h := first
	if reverse {
		h = last
	}
	n := 0
	for i := 0; ; i++ {
		// Hours without postings are skipped in one seek: a line dated
		// 2200 must not make every page walk the empty hours up to it.
		next, ok := hours.next(h)
		if j, found := slices.BinarySearch(heldHours, h); reverse {
			if !found {
				j--
			}
			if j >= 0 && (!ok || heldHours[j] > next) {
				next, ok = heldHours[j], true
			}
		} else if j < len(heldHours) && (!ok || heldHours[j] < next) {
			next, ok = heldHours[j], true
		}
		if !ok || next < first || next > last {
			return nil
		}
		h = next
		ps, err := hourPostings(txn, h, epb, held[h])
		if err != nil {
			return err
		}
		if reverse {
			slices.Reverse(ps)
		}
		for _, p := range ps {
			if p.tk < lo || p.tk >= hi {
				continue
			}
			if cur != nil {
				if c := comparePostings(p, *cur); c == 0 || (c < 0) != reverse {
					continue
				}
			}
			if n++; n%1024 == 0 && ctx.Err() != nil {
				return ctx.Err()
			}
			more, err := fn(p)
			if err != nil || !more {
				return err
			}
		}
		if i%64 == 63 && ctx.Err() != nil {
			return ctx.Err()
		}
		if reverse {
			h--
		} else {
			h++
		}
	}
}

// maxCachedBlocks bounds the blocks a query keeps (a few MB).
const maxCachedBlocks = 64

// blockCache holds the blocks one query has read.
type blockCache struct {
	txn    *badger.Txn
	it     *badger.Iterator // over block keys, made once: making one costs more than a seek
	blocks map[string]*block
	bucket map[tkey][]*block
}

// keys returns the block keys starting with prefix.
func (c *blockCache) keys(prefix []byte) [][]byte {
	if c.it == nil {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixBlock}
		c.it = c.txn.NewIterator(opt)
	}
	var keys [][]byte
	for c.it.Seek(prefix); c.it.ValidForPrefix(prefix); c.it.Next() {
		keys = append(keys, c.it.Item().KeyCopy(nil))
	}
	return keys
}

// close releases the cache's iterator.
func (c *blockCache) close() {
	if c.it != nil {
		c.it.Close()
	}
}

func newBlockCache(txn *badger.Txn) *blockCache {
	return &blockCache{txn: txn, blocks: map[string]*block{}, bucket: map[tkey][]*block{}}
}

// get reads the block under key.
func (c *blockCache) get(key []byte) (*block, error) {
	if b, ok := c.blocks[string(key)]; ok {
		return b, nil
	}
	item, err := c.txn.Get(key)
	if err != nil {
		return nil, err
	}
	val, err := item.ValueCopy(nil)
	if err != nil {
		return nil, err
	}
	b, err := parseBlock(bytes.Clone(key), val)
	if err != nil {
		return nil, err
	}
	if len(c.blocks) >= maxCachedBlocks { // a filtered page may read many
		clear(c.blocks)
		clear(c.bucket)
	}
	c.blocks[string(key)] = b
	return b, nil
}

// minute returns every block of the minute starting at bucket.
func (c *blockCache) minute(bucket tkey) ([]*block, error) {
	if bs, ok := c.bucket[bucket]; ok {
		return bs, nil
	}
	var bs []*block
	for _, k := range c.keys(blockBound(bucket)) {
		b, err := c.get(k)
		if errors.Is(err, badger.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		bs = append(bs, b)
	}
	c.bucket[bucket] = bs
	return bs, nil
}

// find returns the block and position of the event a posting names;
// ok is false when it is no longer stored (pruned).
func (c *blockCache) find(p posting) (*block, int, bool, error) {
	bucket := bucketOf(p.tk)
	// The posting's reference picks the block among its minute's.
	prefix := binary.BigEndian.AppendUint32(blockBound(bucket), p.ref)
	for _, k := range c.keys(prefix) {
		b, err := c.get(k)
		if err != nil && !errors.Is(err, badger.ErrKeyNotFound) {
			return nil, 0, false, err
		}
		if err == nil {
			if i := b.find(p.tk, p.id); i >= 0 {
				return b, i, true, nil
			}
		}
	}
	// Not there: blocks of the minute were merged since; look in all.
	bs, err := c.minute(bucket)
	if err != nil {
		return nil, 0, false, err
	}
	for _, b := range bs {
		if i := b.find(p.tk, p.id); i >= 0 {
			return b, i, true, nil
		}
	}
	return nil, 0, false, nil
}
