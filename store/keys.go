package store

// Key layout
//
// Every record family has its own one-byte prefix. Timestamps are fixed-width
// big-endian with the sign bit flipped, so that byte order is time order even
// before 1970; variable-length parts are length-prefixed so that no two keys
// of different records can collide (a host "ab" plus "c" must not equal "a"
// plus "bc").
//
//	prefix  key                                         value
//	'k'     'k' minute(8) hash(8) count(4)               block of events (block.go)
//	'i'     'i' hour(4) endpoint seq(8)                  timeline postings of an endpoint (index.go)
//	'j'     'j' seq(8)                                   journal: blocks whose postings are not written yet
//	'a'     'a' len(1) alertID                           alert (JSON)
//	'n'     'n' len(1) incidentID                        incident (JSON)
//	'b'     'b' len(1) name                              baseline blob
//	'o'     'o' len(2) path or key                       source offset (JSON)
//	'u'     'u' seq(8)                                   audit record (JSON), append-only
//	'l'     'l' len(1) entryID                           allow-list entry made in the console (JSON)
//	'm'     'm' len(1) name                              store metadata
//	'p'     'p' len(1) endpointID                        endpoint summary (JSON)
//	'r'     'r' day(4)                                   when events of that day were last stored: unix seconds(8), for retention
//
// Events are stored in blocks of one minute of one write, a few hundred
// events each, and indexed by postings of one hour of one endpoint, written
// every few hundred thousand events: a handful of LSM entries per thousand
// events where there were two or three per event (see block.go and
// index.go). An event keeps its key (time and id, EventKey) inside its
// block.
//
// Stores written before blocks (format 1; migrate.go converts them) had
//
//	'e'     'e' ts(8) id(8)                              event (event codec)
//	'x'     'x' day(4) endpoint ts(8) id(8)              empty: per-endpoint timeline index
//
// The hour and day are counted since 1970, UTC, sign bit flipped, so that
// byte order is time order.
//
// endpoint is tag(1) len(1) bytes: tag 4 with the 4 bytes of an IPv4
// address, tag 6 with 16 bytes of an IPv6 address, tag 'h' with a host name
// (the endpoint has no known address), at most 255 bytes.
//
// id is a 64-bit hash of the source file, the line's offset and its bytes
// (EventID), so that re-ingesting the same line of the same file gives the
// same key: a replay after a crash never duplicates an event.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"time"

	"github.com/cespare/xxhash/v2"
)

// Key prefixes, one per record family (the blocks, postings and journal
// are in block.go and index.go).
const (
	prefixEvent     byte = 'e' // format 1 only
	prefixEndpoint  byte = 'x' // format 1 only
	prefixAlert     byte = 'a'
	prefixIncident  byte = 'n'
	prefixBaseline  byte = 'b'
	prefixOffset    byte = 'o'
	prefixAudit     byte = 'u'
	prefixAllowList byte = 'l'
	prefixMeta      byte = 'm'

	prefixEndpointSummary byte = 'p'
	prefixStored          byte = 'r'
)

const (
	tagIPv4 byte = 4
	tagIPv6 byte = 6
	tagHost byte = 'h'
)

var errBadKey = errors.New("store: malformed key")

// EventID returns the id of the line at offset in file: the same line of the
// same file always gets the same id.
func EventID(file string, offset int64, line string) uint64 {
	d := xxhash.New()
	_, _ = d.WriteString(file)
	var b [9]byte
	binary.BigEndian.PutUint64(b[1:], uint64(offset))
	_, _ = d.Write(b[:])
	_, _ = d.WriteString(line)
	return d.Sum64()
}

// EventKey identifies a stored event: its time and its id.
type EventKey struct {
	Time time.Time
	ID   uint64
}

// appendTime appends t as 8 bytes that sort in time order. Events are
// stored only with times that fit (event.CheckTime); a bound of a query
// beyond them is clamped to the first or last instant that does, rather
// than wrapped around.
func appendTime(b []byte, t time.Time) []byte {
	ns := int64(math.MinInt64) // the zero time sorts first
	switch {
	case t.IsZero():
	case t.After(maxKeyTime):
		ns = math.MaxInt64
	case t.Before(minKeyTime):
		ns = math.MinInt64 + 1
	default:
		ns = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(b, uint64(ns)^(1<<63))
}

// The times appendTime can write exactly.
var (
	minKeyTime = time.Unix(0, math.MinInt64+1)
	maxKeyTime = time.Unix(0, math.MaxInt64)
)

func readTime(b []byte) time.Time {
	ns := int64(binary.BigEndian.Uint64(b) ^ (1 << 63))
	if ns == math.MinInt64 {
		return time.Time{}
	}
	return time.Unix(0, ns).UTC()
}

func eventKey(k EventKey) []byte {
	b := make([]byte, 0, 17)
	b = append(b, prefixEvent)
	b = appendTime(b, k.Time)
	return binary.BigEndian.AppendUint64(b, k.ID)
}

func parseEventKey(key []byte) (EventKey, error) {
	if len(key) != 17 || key[0] != prefixEvent {
		return EventKey{}, fmt.Errorf("%w: event key %x", errBadKey, key)
	}
	return EventKey{Time: readTime(key[1:9]), ID: binary.BigEndian.Uint64(key[9:])}, nil
}

// eventTimeBound is the key of the first event at or after t.
func eventTimeBound(t time.Time) []byte {
	return appendTime([]byte{prefixEvent}, t)
}

// Endpoint names an endpoint in the index: an address, or a host name when
// the address is unknown.
type Endpoint struct {
	Addr netip.Addr
	Host string
}

// ParseEndpoint reads an endpoint id as the UI and the alerts write it: an
// IP address, else a host name.
func ParseEndpoint(s string) Endpoint {
	if a, err := netip.ParseAddr(s); err == nil {
		return Endpoint{Addr: a.Unmap()}
	}
	return Endpoint{Host: s}
}

func (e Endpoint) String() string {
	if e.Addr.IsValid() {
		return e.Addr.String()
	}
	return e.Host
}

// IsZero reports whether e names nothing.
func (e Endpoint) IsZero() bool { return !e.Addr.IsValid() && e.Host == "" }

func appendEndpoint(b []byte, e Endpoint) []byte {
	switch {
	case e.Addr.Is4() || e.Addr.Is4In6():
		v := e.Addr.Unmap().As4()
		return append(append(b, tagIPv4, 4), v[:]...)
	case e.Addr.IsValid():
		v := e.Addr.As16()
		return append(append(b, tagIPv6, 16), v[:]...)
	default:
		h := e.Host
		if len(h) > 255 {
			h = h[:255]
		}
		return append(append(b, tagHost, byte(len(h))), h...)
	}
}

// readEndpoint decodes an endpoint at the start of b and returns the rest.
func readEndpoint(b []byte) (Endpoint, []byte, error) {
	if len(b) < 2 || len(b) < 2+int(b[1]) {
		return Endpoint{}, nil, fmt.Errorf("%w: short endpoint", errBadKey)
	}
	tag, n, body, rest := b[0], int(b[1]), b[2:2+int(b[1])], b[2+int(b[1]):]
	switch {
	case tag == tagIPv4 && n == 4, tag == tagIPv6 && n == 16:
		a, _ := netip.AddrFromSlice(body)
		if a.Is4In6() {
			// Never written (appendEndpoint stores it as IPv4): reading it
			// would name an endpoint no index key of it can be found under.
			return Endpoint{}, nil, fmt.Errorf("%w: IPv4-mapped address under the IPv6 tag", errBadKey)
		}
		return Endpoint{Addr: a}, rest, nil
	case tag == tagHost:
		return Endpoint{Host: string(body)}, rest, nil
	}
	return Endpoint{}, nil, fmt.Errorf("%w: endpoint tag %d length %d", errBadKey, tag, n)
}

// day is a time's day bucket: days since 1970-01-01 UTC.
func day(t time.Time) int32 {
	if t.IsZero() {
		return math.MinInt32
	}
	return int32(floorDiv(t.Unix(), 86400))
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// dayStart is the first instant of day d.
func dayStart(d int32) time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// endpointPrefix is the prefix of e's index keys on day d.
func endpointPrefix(d int32, e Endpoint) []byte {
	return appendEndpoint(appendDay([]byte{prefixEndpoint}, d), e)
}

func endpointKey(e Endpoint, k EventKey) []byte {
	b := endpointPrefix(day(k.Time), e)
	b = appendTime(b, k.Time)
	return binary.BigEndian.AppendUint64(b, k.ID)
}

func parseEndpointKey(key []byte) (Endpoint, EventKey, error) {
	if len(key) < 5 || key[0] != prefixEndpoint {
		return Endpoint{}, EventKey{}, fmt.Errorf("%w: endpoint key %x", errBadKey, key)
	}
	ep, rest, err := readEndpoint(key[5:])
	if err != nil {
		return Endpoint{}, EventKey{}, err
	}
	if len(rest) != 16 {
		return Endpoint{}, EventKey{}, fmt.Errorf("%w: endpoint key tail %d bytes", errBadKey, len(rest))
	}
	return ep, EventKey{Time: readTime(rest[:8]), ID: binary.BigEndian.Uint64(rest[8:])}, nil
}

// nameKey builds prefix len(1) name keys for the families named by strings.
func nameKey(prefix byte, name string) []byte {
	if len(name) > 255 {
		name = name[:255]
	}
	return append([]byte{prefix, byte(len(name))}, name...)
}

func parseNameKey(prefix byte, key []byte) (string, error) {
	if len(key) < 2 || key[0] != prefix || int(key[1]) != len(key)-2 {
		return "", fmt.Errorf("%w: %c key %x", errBadKey, prefix, key)
	}
	return string(key[2:]), nil
}

func offsetKey(path string) []byte {
	if len(path) > math.MaxUint16 {
		path = path[:math.MaxUint16]
	}
	b := binary.BigEndian.AppendUint16([]byte{prefixOffset}, uint16(len(path)))
	return append(b, path...)
}

func parseOffsetKey(key []byte) (string, error) {
	if len(key) < 3 || key[0] != prefixOffset || int(binary.BigEndian.Uint16(key[1:3])) != len(key)-3 {
		return "", fmt.Errorf("%w: offset key %x", errBadKey, key)
	}
	return string(key[3:]), nil
}

// appendDay appends day d so that byte order is day order.
func appendDay(b []byte, d int32) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(d)^(1<<31))
}

func readDay(b []byte) int32 { return int32(binary.BigEndian.Uint32(b) ^ (1 << 31)) }

func storedKey(d int32) []byte { return appendDay([]byte{prefixStored}, d) }

func parseStoredKey(key []byte) (int32, error) {
	if len(key) != 5 || key[0] != prefixStored {
		return 0, fmt.Errorf("%w: stored-day key %x", errBadKey, key)
	}
	return readDay(key[1:]), nil
}

func auditKey(seq uint64) []byte {
	return binary.BigEndian.AppendUint64([]byte{prefixAudit}, seq)
}

func parseAuditKey(key []byte) (uint64, error) {
	if len(key) != 9 || key[0] != prefixAudit {
		return 0, fmt.Errorf("%w: audit key %x", errBadKey, key)
	}
	return binary.BigEndian.Uint64(key[1:]), nil
}
