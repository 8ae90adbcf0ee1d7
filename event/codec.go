package event

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// codecVersion is the first byte of every encoded event. A decoder refuses
// versions it does not know rather than misreading them. Version 2 added
// Repeat after Raw, version 3 Ref.Line after Repeat; events of the earlier
// versions (without them) still decode.
const codecVersion = 3

// ErrCorrupt is returned when stored bytes cannot be decoded as an event.
var ErrCorrupt = errors.New("event: corrupt encoding")

// AppendBinary appends the compact binary form of e to b (it implements
// encoding.BinaryAppender). The layout is a version byte followed by the
// fields in declaration order: integers as varints, strings and byte slices
// length-prefixed, addresses as a length byte (0, 4 or 16) and their bytes.
// A time outside MinTime..MaxTime is an error (wrapping ErrTimeRange), and b
// is returned unchanged: it would otherwise wrap around into another century.
func (e *Event) AppendBinary(b []byte) ([]byte, error) {
	if err := CheckTime(e.Time); err != nil {
		return b, fmt.Errorf("event: encode: %w", err)
	}
	b = append(b, codecVersion)
	var ns int64 // the zero time encodes as 0
	if !e.Time.IsZero() {
		ns = e.Time.UnixNano()
	}
	b = binary.AppendVarint(b, ns)
	b = appendString(b, e.Format)
	b = append(b, byte(e.Kind))
	b = appendAddr(b, e.Endpoint)
	b = appendString(b, e.Host)
	b = appendString(b, e.User)
	b = appendString(b, e.Observer)
	b = appendAddr(b, e.SrcIP)
	b = binary.AppendUvarint(b, uint64(e.SrcPort))
	b = appendAddr(b, e.DstIP)
	b = binary.AppendUvarint(b, uint64(e.DstPort))
	b = appendString(b, e.Transport)
	b = appendString(b, e.Service)
	b = appendString(b, e.Domain)
	b = appendString(b, e.URL)
	b = appendString(b, e.Method)
	b = binary.AppendVarint(b, int64(e.Status))
	b = appendString(b, e.UserAgent)
	b = appendString(b, e.ContentType)
	b = binary.AppendVarint(b, e.BytesIn)
	b = binary.AppendVarint(b, e.BytesOut)
	b = binary.AppendVarint(b, int64(e.Duration))
	b = appendString(b, e.Query)
	b = appendString(b, e.QType)
	b = appendString(b, e.RCode)
	b = appendStrings(b, e.Answers)
	b = appendString(b, e.FileName)
	b = appendString(b, e.FileHash)
	b = binary.AppendVarint(b, e.FileSize)
	b = append(b, byte(e.Action), byte(e.Outcome))
	b = appendString(b, e.Label)
	b = appendString(b, e.Signature)
	b = binary.AppendVarint(b, e.SignatureID)
	b = binary.AppendVarint(b, int64(e.Severity))
	b = appendStrings(b, e.Refs)
	b = appendString(b, e.Message)
	b = appendString(b, e.Ref.File)
	b = binary.AppendVarint(b, e.Ref.Offset)
	b = appendString(b, e.Raw)
	b = binary.AppendUvarint(b, uint64(max(e.Repeat, 0)))
	b = binary.AppendUvarint(b, uint64(max(e.Ref.Line, 0)))
	return b, nil
}

// MarshalBinary implements encoding.BinaryMarshaler.
func (e *Event) MarshalBinary() ([]byte, error) {
	return e.AppendBinary(make([]byte, 0, 256+len(e.Raw)))
}

// UnmarshalBinary implements encoding.BinaryUnmarshaler. It copies what it
// keeps, so b may be reused afterwards.
func (e *Event) UnmarshalBinary(b []byte) error {
	d := decoder{b: b}
	v := d.byte()
	if d.err != nil {
		return d.err
	}
	if v < 1 || v > codecVersion {
		return fmt.Errorf("%w: unknown version %d", ErrCorrupt, v)
	}
	*e = Event{}
	if ns := d.varint(); ns != 0 {
		e.Time = time.Unix(0, ns).UTC()
	}
	e.Format = d.string()
	e.Kind = Kind(d.byte())
	e.Endpoint = d.addr()
	e.Host = d.string()
	e.User = d.string()
	e.Observer = d.string()
	e.SrcIP = d.addr()
	e.SrcPort = uint16(d.uvarint())
	e.DstIP = d.addr()
	e.DstPort = uint16(d.uvarint())
	e.Transport = d.string()
	e.Service = d.string()
	e.Domain = d.string()
	e.URL = d.string()
	e.Method = d.string()
	e.Status = int(d.varint())
	e.UserAgent = d.string()
	e.ContentType = d.string()
	e.BytesIn = d.varint()
	e.BytesOut = d.varint()
	e.Duration = time.Duration(d.varint())
	e.Query = d.string()
	e.QType = d.string()
	e.RCode = d.string()
	e.Answers = d.strings()
	e.FileName = d.string()
	e.FileHash = d.string()
	e.FileSize = d.varint()
	e.Action = Action(d.byte())
	e.Outcome = Outcome(d.byte())
	e.Label = d.string()
	e.Signature = d.string()
	e.SignatureID = d.varint()
	e.Severity = int(d.varint())
	e.Refs = d.strings()
	e.Message = d.string()
	e.Ref.File = d.string()
	e.Ref.Offset = d.varint()
	e.Raw = d.string()
	if v >= 2 {
		e.Repeat = int(min(d.uvarint(), 1<<31-1))
	}
	if v >= 3 {
		e.Ref.Line = int64(min(d.uvarint(), 1<<63-1))
	}
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%w: %d trailing bytes", ErrCorrupt, len(d.b))
	}
	return d.err
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendStrings(b []byte, ss []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(ss)))
	for _, s := range ss {
		b = appendString(b, s)
	}
	return b
}

func appendAddr(b []byte, a netip.Addr) []byte {
	switch {
	case !a.IsValid():
		return append(b, 0)
	case a.Is4():
		v := a.As4()
		return append(append(b, 4), v[:]...)
	default:
		v := a.As16()
		return append(append(b, 16), v[:]...)
	}
}

// decoder reads the fields back; the first error sticks and later reads
// return zero values, so UnmarshalBinary checks once at the end.
type decoder struct {
	b   []byte
	err error
}

func (d *decoder) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: truncated %s", ErrCorrupt, what)
	}
	d.b = nil
}

func (d *decoder) byte() byte {
	if len(d.b) < 1 {
		d.fail("byte")
		return 0
	}
	v := d.b[0]
	d.b = d.b[1:]
	return v
}

func (d *decoder) varint() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("varint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) uvarint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("uvarint")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *decoder) string() string {
	n := d.uvarint()
	if n > uint64(len(d.b)) {
		d.fail("string")
		return ""
	}
	s := string(d.b[:n])
	d.b = d.b[n:]
	return s
}

func (d *decoder) strings() []string {
	n := d.uvarint()
	if n == 0 {
		return nil
	}
	if n > uint64(len(d.b)) { // each string takes at least one byte
		d.fail("string list")
		return nil
	}
	ss := make([]string, 0, n)
	for range n {
		ss = append(ss, d.string())
	}
	return ss
}

func (d *decoder) addr() netip.Addr {
	switch n := d.byte(); n {
	case 0:
		return netip.Addr{}
	case 4, 16:
		if len(d.b) < int(n) {
			d.fail("address")
			return netip.Addr{}
		}
		a, _ := netip.AddrFromSlice(d.b[:n])
		d.b = d.b[n:]
		return a
	default:
		if d.err == nil {
			d.err = fmt.Errorf("%w: address length %d", ErrCorrupt, n)
		}
		d.b = nil
		return netip.Addr{}
	}
}
