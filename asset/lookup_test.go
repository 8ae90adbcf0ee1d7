package asset

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
)

// randomInventory is n single addresses and networks of IPv4 and IPv6,
// nested and overlapping, some listed twice.
func randomInventory(r *rand.Rand, n int) *Inventory {
	var entries []Asset
	for i := range n {
		var p netip.Prefix
		if r.IntN(5) == 0 {
			a := netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(4)), 14: byte(r.IntN(4)), 15: byte(r.IntN(8))})
			p = netip.PrefixFrom(a, []int{128, 64, 48, 40}[r.IntN(4)])
		} else {
			a := netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(8)), byte(r.IntN(32))})
			p = netip.PrefixFrom(a, []int{32, 32, 32, 24, 20, 16, 8}[r.IntN(7)])
		}
		entries = append(entries, Asset{Prefix: p, Host: fmt.Sprintf("h%d", i)})
	}
	return NewInventory(entries)
}

// TestLookupIsTheMostSpecificEntry: Lookup answers as a walk over every
// entry, most specific first, would: the first entry whose network holds
// the address.
func TestLookupIsTheMostSpecificEntry(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 20 {
		inv := randomInventory(r, 1+r.IntN(300))
		for range 500 {
			var a netip.Addr
			switch r.IntN(3) {
			case 0:
				a = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, 0, byte(r.IntN(4)), 14: byte(r.IntN(4)), 15: byte(r.IntN(8))})
			case 1:
				a = netip.AddrFrom16(netip.AddrFrom4([4]byte{10, 0, byte(r.IntN(8)), byte(r.IntN(32))}).As16()) // IPv4-mapped
			default:
				a = netip.AddrFrom4([4]byte{10, byte(r.IntN(2)), byte(r.IntN(8)), byte(r.IntN(32))})
			}
			var want Asset
			found := false
			for _, e := range inv.All() {
				if e.Prefix.Contains(a.Unmap()) {
					want, found = e, true
					break
				}
			}
			got, ok := inv.Lookup(a)
			if ok != found || got != want {
				t.Fatalf("round %d: Lookup(%s) = %+v, %v; the walk finds %+v, %v", round, a, got, ok, want, found)
			}
		}
	}
	if _, ok := (*Inventory)(nil).Lookup(netip.MustParseAddr("10.0.0.1")); ok {
		t.Error("a nil inventory finds an asset")
	}
	inv := randomInventory(r, 50)
	if _, ok := inv.Lookup(netip.MustParseAddr("fe80::1%eth0")); ok {
		t.Error("an address with a zone matched")
	}
}

// BenchmarkLookup: an office of 4,000 machines, an address each lookup.
func BenchmarkLookup(b *testing.B) {
	entries := make([]Asset, 0, 4000)
	for i := range 4000 {
		entries = append(entries, Asset{Prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i % 250)}), 32), Host: fmt.Sprint("pc", i)})
	}
	entries = append(entries, Asset{Prefix: netip.MustParsePrefix("10.0.0.0/16"), Segment: "office"})
	inv := NewInventory(entries)
	addrs := []netip.Addr{netip.MustParseAddr("10.0.15.3"), netip.MustParseAddr("10.0.99.1"), netip.MustParseAddr("93.184.216.34")}
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		inv.Lookup(addrs[i%len(addrs)])
	}
}
