package store

// Event blocks
//
// Events are stored in blocks rather than one entry each: the events of one
// write (a batch from one source) that fall in one minute, sorted by key,
// at most maxBlockEvents of them. A block is one Badger entry:
//
//	key    'k' minute(8) hash(8) count(4)
//	value  version(1) n(uvarint) keysLen(uvarint) frames(uvarint) frameLen(uvarint)…
//	       keys: per event, in key order: time delta from the previous
//	             (the first from the minute; uvarint), id(8), the number of
//	             timelines it is indexed under (1) and each endpoint
//	       frames: the events (length-prefixed event codec), frameEvents
//	             to a frame, each frame compressed with zstd
//
// The LSM tree then holds one key per few hundred events instead of two or
// three per event, so compactions stay small as the store grows; values
// go to the value log, which Badger does not compress, so the block
// compresses its events itself (a frame of events of one source shares
// most of its bytes). Frames keep reading one event cheap: a timeline
// page decompresses only the frames it shows.
//
// hash is the xxhash of the keys section: the same events written again
// (a batch replayed after a crash reads the same lines into the same
// batches) make the same block under the same key, which overwrites it.
// When a replay groups lines differently (a followed file read in other
// pieces after a crash), the copies live in different blocks of the same
// minute and readers merge a minute's blocks by event key, dropping
// duplicates, so an event is still read, counted and shown exactly once.
//
// count is the number of events, in the key so that counting and pruning
// read keys only.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"
	"github.com/klauspost/compress/zstd"

	"github.com/mamori-soc/mamori/event"
)

const (
	prefixBlock byte = 'k'

	blockVersion   = 1
	maxBlockEvents = 4096
	frameEvents    = 64
	blockKeyLen    = 1 + 8 + 8 + 4
	bucketNS       = int64(time.Minute)
)

// tkey is a time as the 8 bytes appendTime writes, as a number: time
// order is number order.
type tkey = uint64

func timeKey(t time.Time) tkey { return binary.BigEndian.Uint64(appendTime(make([]byte, 0, 8), t)) }

func keyTime(k tkey) time.Time {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], k)
	return readTime(b[:])
}

// bucketOf is the start of the minute of k. The zero time is its own
// bucket; events are never dated before 1970 (event.MinTime), so a query
// bound there falls in the first bucket after the zero time's.
func bucketOf(k tkey) tkey {
	if k == 0 {
		return 0
	}
	ns := int64(k ^ 1<<63)
	if ns <= 0 {
		return 1
	}
	return uint64(ns-ns%bucketNS) ^ 1<<63
}

// hourOf is k's hour since 1970 (the zero time's is math.MinInt32).
func hourOf(k tkey) int32 {
	if k == 0 {
		return -1 << 31
	}
	return int32(floorDiv(int64(k^1<<63), int64(time.Hour)))
}

func hourStart(h int32) tkey {
	if h == -1<<31 {
		return 0
	}
	return uint64(int64(h)*int64(time.Hour)) ^ 1<<63
}

func blockKey(bucket tkey, hash uint64, n int) []byte {
	b := make([]byte, 0, blockKeyLen)
	b = append(b, prefixBlock)
	b = binary.BigEndian.AppendUint64(b, bucket)
	b = binary.BigEndian.AppendUint64(b, hash)
	return binary.BigEndian.AppendUint32(b, uint32(n))
}

// blockBound is the first block key of the minute at or after k.
func blockBound(k tkey) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixBlock}, k)
}

// parseBlockKey returns a block key's minute and event count.
func parseBlockKey(key []byte) (bucket tkey, n int, err error) {
	if len(key) != blockKeyLen || key[0] != prefixBlock {
		return 0, 0, fmt.Errorf("%w: block key %x", errBadKey, key)
	}
	return binary.BigEndian.Uint64(key[1:9]), int(binary.BigEndian.Uint32(key[17:])), nil
}

// blockRef is the part of a block's hash a posting keeps to find the
// block among those of its minute.
func blockRef(key []byte) uint32 { return binary.BigEndian.Uint32(key[9:13]) }

var (
	encoder = sync.OnceValue(func() *zstd.Encoder {
		e, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
			zstd.WithEncoderCRC(false), zstd.WithZeroFrames(true))
		return e
	})
	decoder = sync.OnceValue(func() *zstd.Decoder {
		d, _ := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(64<<20))
		return d
	})
)

// blockItem is an event going into a block.
type blockItem struct {
	tk, id uint64
	ev     *event.Event
}

func compareItems(a, b blockItem) int {
	if a.tk != b.tk {
		if a.tk < b.tk {
			return -1
		}
		return 1
	}
	switch {
	case a.id < b.id:
		return -1
	case a.id > b.id:
		return 1
	}
	return 0
}

// blockWriter builds blocks, reusing its buffers.
type blockWriter struct {
	keys, plain, ev []byte
	eps             []Endpoint
}

// build encodes items (sorted, of one minute, distinct) as a block value
// appended to dst; endpoints lists an event's timelines.
func (w *blockWriter) build(dst []byte, bucket tkey, items []blockItem, endpoints func(*event.Event, []Endpoint) []Endpoint) (key, val []byte, err error) {
	w.keys = w.keys[:0]
	prev := bucket
	for _, it := range items {
		w.keys = binary.AppendUvarint(w.keys, it.tk-prev)
		prev = it.tk
		w.keys = binary.BigEndian.AppendUint64(w.keys, it.id)
		w.eps = endpoints(it.ev, w.eps)
		w.keys = append(w.keys, byte(len(w.eps)))
		for _, ep := range w.eps {
			w.keys = appendEndpoint(w.keys, ep)
		}
	}
	start := len(dst)
	nframes := (len(items) + frameEvents - 1) / frameEvents
	dst = append(dst, blockVersion)
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	dst = binary.AppendUvarint(dst, uint64(len(w.keys)))
	dst = binary.AppendUvarint(dst, uint64(nframes))
	// The frame lengths come before the frames: reserve the most they can
	// take and close the gap after.
	lens := len(dst)
	dst = append(dst, make([]byte, nframes*binary.MaxVarintLen32)...)
	dst = append(dst, w.keys...)
	frameLens := make([]int, 0, nframes)
	for f := 0; f < len(items); f += frameEvents {
		w.plain = w.plain[:0]
		for _, it := range items[f:min(f+frameEvents, len(items))] {
			if w.ev, err = it.ev.AppendBinary(w.ev[:0]); err != nil {
				return nil, nil, err
			}
			w.plain = binary.AppendUvarint(w.plain, uint64(len(w.ev)))
			w.plain = append(w.plain, w.ev...)
		}
		n := len(dst)
		dst = encoder().EncodeAll(w.plain, dst)
		frameLens = append(frameLens, len(dst)-n)
	}
	var lb []byte
	for _, l := range frameLens {
		lb = binary.AppendUvarint(lb, uint64(l))
	}
	gap := nframes*binary.MaxVarintLen32 - len(lb)
	copy(dst[lens:], lb)
	copy(dst[lens+len(lb):], dst[lens+len(lb)+gap:])
	dst = dst[:len(dst)-gap]
	return blockKey(bucket, xxhash.Sum64(w.keys), len(items)), dst[start:len(dst):len(dst)], nil
}

// block is a stored block, decoded as far as it was needed.
type block struct {
	key    []byte
	bucket tkey
	tks    []tkey
	ids    []uint64
	epsAt  []uint32 // where each event's endpoints start in keys
	keys   []byte
	frames [][]byte      // compressed
	plain  [][]byte      // decompressed, when read
	val    []byte        // the value the block was parsed from
	bufs   *buffers      // where its bytes go back to, or nil
	spans  [][][2]uint32 // where each event of a decompressed frame lies
}

var errBadBlock = errors.New("store: corrupt event block")

// parseBlock reads a block's header and keys; val must stay unchanged
// while the block is used.
func parseBlock(key, val []byte) (*block, error) {
	bucket, count, err := parseBlockKey(key)
	if err != nil {
		return nil, err
	}
	fail := func(what string) (*block, error) {
		return nil, fmt.Errorf("%w %x: %s", errBadBlock, key, what)
	}
	if len(val) < 1 || val[0] != blockVersion {
		return fail("unknown version")
	}
	p := val[1:]
	next := func() uint64 {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			p = nil
			return 1<<63 - 1
		}
		p = p[n:]
		return v
	}
	n, keysLen, nframes := next(), next(), next()
	if n != uint64(count) || n > maxBlockEvents || nframes != (n+frameEvents-1)/frameEvents {
		return fail("bad header")
	}
	b := &block{key: key, bucket: bucket, tks: make([]tkey, n), ids: make([]uint64, n), epsAt: make([]uint32, n),
		frames: make([][]byte, nframes), plain: make([][]byte, nframes), spans: make([][][2]uint32, nframes)}
	lens := make([]uint64, nframes)
	for i := range lens {
		lens[i] = next()
	}
	if keysLen > uint64(len(p)) {
		return fail("short keys")
	}
	b.val = val
	b.keys, p = p[:keysLen], p[keysLen:]
	for i := range b.frames {
		if lens[i] > uint64(len(p)) {
			return fail("short frame")
		}
		b.frames[i], p = p[:lens[i]], p[lens[i]:]
	}
	k := b.keys
	prev := bucket
	for i := range n {
		d, m := binary.Uvarint(k)
		if m <= 0 || len(k) < m+9 {
			return fail("short keys")
		}
		prev += d
		b.tks[i] = prev
		b.ids[i] = binary.BigEndian.Uint64(k[m:])
		b.epsAt[i] = uint32(len(b.keys) - len(k) + m + 8)
		k = k[m+8:]
		neps := int(k[0])
		k = k[1:]
		for range neps {
			if len(k) < 2 || len(k) < 2+int(k[1]) {
				return fail("short endpoint")
			}
			k = k[2+int(k[1]):]
		}
	}
	if len(k) != 0 {
		return fail("trailing keys")
	}
	return b, nil
}

func (b *block) len() int { return len(b.ids) }

// find returns the position of the event with key (tk, id), or -1.
func (b *block) find(tk tkey, id uint64) int {
	i, ok := slices.BinarySearchFunc(b.tks, tk, func(a, t tkey) int {
		switch {
		case a < t:
			return -1
		case a > t:
			return 1
		}
		return 0
	})
	if !ok {
		return -1
	}
	for ; i < len(b.tks) && b.tks[i] == tk; i++ {
		if b.ids[i] == id {
			return i
		}
	}
	return -1
}

// endpoints calls fn with each timeline event i is indexed under, as the
// bytes appendEndpoint wrote.
func (b *block) endpoints(i int, fn func(ep []byte)) {
	k := b.keys[b.epsAt[i]:]
	n := int(k[0])
	k = k[1:]
	for range n {
		l := 2 + int(k[1])
		fn(k[:l])
		k = k[l:]
	}
}

// buffers recycles the bytes of blocks read one minute after another
// (their values and decompressed frames), which are dead once their
// minute's events are decoded: a replay of the whole store then makes
// garbage of the events only. Not safe for concurrent use; a nil *buffers
// recycles nothing.
type buffers struct{ free [][]byte }

func (p *buffers) get() []byte {
	if p == nil || len(p.free) == 0 {
		return nil
	}
	b := p.free[len(p.free)-1]
	p.free = p.free[:len(p.free)-1]
	return b[:0]
}

func (p *buffers) put(b []byte) {
	if p != nil && cap(b) > 0 && len(p.free) < 256 {
		p.free = append(p.free, b)
	}
}

// release gives the block's bytes back to bufs; the block must not be
// used after.
func (b *block) release(bufs *buffers) {
	if bufs == nil {
		return
	}
	bufs.put(b.val)
	for _, pl := range b.plain {
		bufs.put(pl)
	}
	b.val, b.plain, b.frames, b.keys = nil, nil, nil, nil
}

// event decodes event i into ev.
func (b *block) event(i int, ev *event.Event) error {
	f, j := i/frameEvents, i%frameEvents
	if b.plain[f] == nil {
		if err := b.inflate(f); err != nil {
			return err
		}
	}
	sp := b.spans[f][j]
	if err := ev.UnmarshalBinary(b.plain[f][sp[0]:sp[1]]); err != nil {
		return fmt.Errorf("store: event in block %x: %w", b.key, err)
	}
	return nil
}

// inflate decompresses frame f and finds its events.
func (b *block) inflate(f int) error {
	plain, err := decoder().DecodeAll(b.frames[f], b.bufs.get())
	if err != nil {
		return fmt.Errorf("%w %x: frame %d: %w", errBadBlock, b.key, f, err)
	}
	want := min(frameEvents, b.len()-f*frameEvents)
	spans := make([][2]uint32, 0, want)
	for p := 0; p < len(plain); {
		l, n := binary.Uvarint(plain[p:])
		if n <= 0 || uint64(len(plain)-p-n) < l {
			return fmt.Errorf("%w %x: frame %d: short event", errBadBlock, b.key, f)
		}
		spans = append(spans, [2]uint32{uint32(p + n), uint32(p + n + int(l))})
		p += n + int(l)
	}
	if len(spans) != want {
		return fmt.Errorf("%w %x: frame %d holds %d events, want %d", errBadBlock, b.key, f, len(spans), want)
	}
	b.plain[f], b.spans[f] = plain, spans
	return nil
}
