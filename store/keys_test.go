package store

import (
	"bytes"
	"net/netip"
	"sort"
	"testing"
	"time"
)

func TestEventKeyRoundTrip(t *testing.T) {
	cases := map[string]EventKey{
		"now":         {Time: time.Date(2026, 11, 22, 9, 0, 0, 123, time.UTC), ID: 42},
		"before 1970": {Time: time.Date(1969, 7, 20, 20, 17, 0, 0, time.UTC), ID: 1},
		"epoch":       {Time: time.Unix(0, 0).UTC(), ID: 0},
		"zero time":   {ID: ^uint64(0)},
		"relative ts": {Time: time.Unix(22, 300000000).UTC(), ID: 7},
	}
	for name, k := range cases {
		t.Run(name, func(t *testing.T) {
			got, err := parseEventKey(eventKey(k))
			if err != nil {
				t.Fatal(err)
			}
			if !got.Time.Equal(k.Time) || got.ID != k.ID {
				t.Fatalf("got %+v, want %+v", got, k)
			}
		})
	}
}

func TestEventKeysSortInTimeOrder(t *testing.T) {
	times := []time.Time{
		{},
		time.Date(1969, 12, 31, 23, 59, 59, 0, time.UTC),
		time.Unix(0, 0),
		time.Unix(0, 1),
		time.Date(2018, 3, 24, 17, 15, 20, 0, time.UTC),
		time.Date(2026, 11, 22, 0, 0, 0, 0, time.UTC),
	}
	keys := make([][]byte, len(times))
	for i, tm := range times {
		keys[len(times)-1-i] = eventKey(EventKey{Time: tm, ID: uint64(i)})
	}
	sort.Slice(keys, func(i, j int) bool { return bytes.Compare(keys[i], keys[j]) < 0 })
	for i, k := range keys {
		got, _ := parseEventKey(k)
		if !got.Time.Equal(times[i]) {
			t.Fatalf("position %d: got %v, want %v", i, got.Time, times[i])
		}
	}
	if bytes.Compare(eventTimeBound(times[4]), eventKey(EventKey{Time: times[4]})) > 0 {
		t.Fatal("time bound sorts after the first key at that time")
	}
}

func TestEndpointKeyRoundTrip(t *testing.T) {
	at := EventKey{Time: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), ID: 99}
	cases := map[string]Endpoint{
		"ipv4":         {Addr: netip.MustParseAddr("10.0.10.23")},
		"ipv6":         {Addr: netip.MustParseAddr("fd00::23")},
		"host":         {Host: "fs01"},
		"empty host":   {},
		"4-char host":  {Host: "\x0a\x00\x0a\x17"},
		"unicode host": {Host: "経理-pc"},
	}
	for name, ep := range cases {
		t.Run(name, func(t *testing.T) {
			gotEp, gotKey, err := parseEndpointKey(endpointKey(ep, at))
			if err != nil {
				t.Fatal(err)
			}
			if gotEp != ep || !gotKey.Time.Equal(at.Time) || gotKey.ID != at.ID {
				t.Fatalf("got %v %+v, want %v %+v", gotEp, gotKey, ep, at)
			}
		})
	}
}

func TestEndpointPrefixesDoNotOverlap(t *testing.T) {
	// A host named like the bytes of an address, and hosts that are prefixes
	// of each other, must have disjoint key ranges.
	eps := []Endpoint{
		{Addr: netip.MustParseAddr("10.0.10.2")},
		{Addr: netip.MustParseAddr("10.0.10.23")},
		{Host: "pc"},
		{Host: "pc1"},
		{Host: "\x0a\x00\x0a\x02"},
	}
	for i, a := range eps {
		for j, b := range eps {
			if i != j && bytes.HasPrefix(endpointPrefix(5, b), endpointPrefix(5, a)) {
				t.Errorf("prefix of %q covers %q", a, b)
			}
		}
	}
}

func TestIPv4MappedAddressesIndexAsIPv4(t *testing.T) {
	a := Endpoint{Addr: netip.MustParseAddr("::ffff:10.0.0.1")}
	b := Endpoint{Addr: netip.MustParseAddr("10.0.0.1")}
	if !bytes.Equal(endpointPrefix(5, a), endpointPrefix(5, b)) {
		t.Fatal("an IPv4-mapped IPv6 address indexes apart from its IPv4 form")
	}
}

func TestNameAndOffsetAndAuditKeys(t *testing.T) {
	for _, name := range []string{"", "a", "9f86d081884c7d65", "日本語"} {
		got, err := parseNameKey(prefixAlert, nameKey(prefixAlert, name))
		if err != nil || got != name {
			t.Fatalf("name key %q: got %q, %v", name, got, err)
		}
	}
	if _, err := parseNameKey(prefixAlert, nameKey(prefixIncident, "x")); err == nil {
		t.Fatal("an incident key parsed as an alert key")
	}
	for _, p := range []string{"/var/log/squid/access.log", "/tmp/日本/conn.log", ""} {
		got, err := parseOffsetKey(offsetKey(p))
		if err != nil || got != p {
			t.Fatalf("offset key %q: got %q, %v", p, got, err)
		}
	}
	for _, seq := range []uint64{0, 1, 1 << 40} {
		got, err := parseAuditKey(auditKey(seq))
		if err != nil || got != seq {
			t.Fatalf("audit key %d: got %d, %v", seq, got, err)
		}
	}
	if bytes.Compare(auditKey(2), auditKey(10)) >= 0 {
		t.Fatal("audit keys do not sort by sequence")
	}
}

func TestEventIDIsStableAndDistinct(t *testing.T) {
	a := EventID("/var/log/a.log", 10, "line")
	if a != EventID("/var/log/a.log", 10, "line") {
		t.Fatal("same line, different id")
	}
	for name, b := range map[string]uint64{
		"other file":   EventID("/var/log/b.log", 10, "line"),
		"other offset": EventID("/var/log/a.log", 11, "line"),
		"other line":   EventID("/var/log/a.log", 10, "line2"),
	} {
		if a == b {
			t.Errorf("%s: same id", name)
		}
	}
}

func TestParseRejectsMalformedKeys(t *testing.T) {
	if _, err := parseEventKey([]byte{prefixEvent, 1, 2}); err == nil {
		t.Error("short event key accepted")
	}
	if _, _, err := parseEndpointKey([]byte{prefixEndpoint, 0, 0, 0, 0, tagIPv4, 16}); err == nil {
		t.Error("endpoint key with bad length accepted")
	}
	if _, _, err := parseEndpointKey(append(endpointPrefix(5, Endpoint{Host: "x"}), 1, 2)); err == nil {
		t.Error("endpoint key with short tail accepted")
	}
}

func TestIndexKeysOfOneDaySortTogether(t *testing.T) {
	// All endpoints' index keys of a day lie between that day's bounds, and
	// days sort in time order, before 1970 too.
	d1 := time.Date(2026, 11, 20, 23, 59, 0, 0, time.UTC)
	d2 := d1.Add(2 * time.Minute)
	a := endpointKey(Endpoint{Addr: netip.MustParseAddr("10.0.0.200")}, EventKey{Time: d1})
	b := endpointKey(Endpoint{Host: "aaa"}, EventKey{Time: d2})
	if bytes.Compare(a, b) >= 0 {
		t.Fatal("a later day's index key sorts before an earlier day's")
	}
	if day(time.Date(1969, 12, 31, 23, 0, 0, 0, time.UTC)) != -1 || day(time.Unix(0, 0)) != 0 {
		t.Fatal("day numbering")
	}
	if !dayStart(day(d1)).Equal(time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)) {
		t.Fatal("dayStart")
	}
}
