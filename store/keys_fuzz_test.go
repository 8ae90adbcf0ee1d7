package store

import (
	"bytes"
	"net/netip"
	"testing"
	"time"
)

// FuzzKeyDecoders feeds every key decoder arbitrary bytes (a damaged
// store, a key of another family): none panics, and what one accepts is
// exactly a key its encoder writes, so a decoded key read back and
// written again lands on the same record (the day bucket of an index key
// aside: it is derived from the time, not read).
func FuzzKeyDecoders(f *testing.F) {
	at := time.Date(2026, 11, 20, 9, 14, 3, 123456789, time.UTC)
	for _, k := range [][]byte{
		eventKey(EventKey{Time: at, ID: EventID("/var/log/squid/access.log", 4096, "1763630043.123 ...")}),
		eventKey(EventKey{ID: 1}),
		eventKey(EventKey{Time: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ID: 7}),
		endpointKey(Endpoint{Addr: netip.MustParseAddr("10.0.10.23")}, EventKey{Time: at, ID: 42}),
		endpointKey(Endpoint{Addr: netip.MustParseAddr("2001:db8::23")}, EventKey{Time: at, ID: 42}),
		endpointKey(Endpoint{Addr: netip.MustParseAddr("::ffff:10.0.0.1")}, EventKey{Time: at, ID: 42}),
		endpointKey(Endpoint{Host: "pc-011.corp.local"}, EventKey{Time: at, ID: 42}),
		endpointPrefix(day(at), Endpoint{Host: ""}),
		nameKey(prefixAlert, "9f86d081884c7d65"),
		nameKey(prefixIncident, "INC-20261122-01"),
		nameKey(prefixMeta, "engine"),
		offsetKey("/var/log/squid/access.log"),
		offsetKey("/tmp/日本/conn.log"),
		auditKey(1),
		auditKey(1 << 40),
		{}, {prefixEndpoint, 0, 0, 0, 0, tagIPv6, 16},
		// an IPv4-mapped address under the IPv6 tag: never written
		append([]byte{prefixEndpoint, 0x80, 0, 0x4f, 0x1d, tagIPv6, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 10, 0, 0, 1}, eventKey(EventKey{Time: at})[1:]...),
	} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key []byte) {
		if k, err := parseEventKey(key); err == nil && !bytes.Equal(eventKey(k), key) {
			t.Fatalf("event key %x decodes to %+v, written back as %x", key, k, eventKey(k))
		}
		if ep, k, err := parseEndpointKey(key); err == nil {
			if again := endpointKey(ep, k); !bytes.Equal(again[5:], key[5:]) {
				t.Fatalf("index key %x decodes to %+v %+v, written back as %x", key, ep, k, again)
			}
		}
		for _, p := range []byte{prefixAlert, prefixIncident, prefixBaseline, prefixAllowList, prefixMeta, prefixEndpointSummary} {
			if name, err := parseNameKey(p, key); err == nil && !bytes.Equal(nameKey(p, name), key) {
				t.Fatalf("%c key %x decodes to %q, written back as %x", p, key, name, nameKey(p, name))
			}
		}
		if path, err := parseOffsetKey(key); err == nil && !bytes.Equal(offsetKey(path), key) {
			t.Fatalf("offset key %x decodes to %q, written back as %x", key, path, offsetKey(path))
		}
		if seq, err := parseAuditKey(key); err == nil && !bytes.Equal(auditKey(seq), key) {
			t.Fatalf("audit key %x decodes to %d, written back as %x", key, seq, auditKey(seq))
		}
	})
}

// FuzzParseEndpoint: an endpoint id as the console and alerts write it
// reads back as the same endpoint.
func FuzzParseEndpoint(f *testing.F) {
	for _, s := range []string{"10.0.10.23", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1%eth0", "pc-011.corp.local", "", "01.2.3.4", "PC-011"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e := ParseEndpoint(s)
		if again := ParseEndpoint(e.String()); again != e {
			t.Fatalf("%q reads as %+v, its String %q as %+v", s, e, e.String(), again)
		}
		if e.Addr.Is4In6() {
			t.Fatalf("%q reads as a mapped address %v", s, e.Addr)
		}
	})
}
