package app

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/store"
)

// BenchmarkOpenWithStoredAlerts measures what mamori does before the
// console's first frame on a store holding 100,000 alerts: open the store,
// load the catalog, restore the engine (baselines and every stored alert)
// and close again.
func BenchmarkOpenWithStoredAlerts(b *testing.B) {
	const n = 100_000
	dir := b.TempDir()
	st, err := store.Open(filepath.Join(dir, "db"), store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Date(2026, 11, 16, 9, 0, 0, 0, time.UTC)
	rules := []string{"S-BEACON", "N-APP", "M-DDNS", "S-FANOUT", "N-COUNTRY"}
	as := make([]alert.Alert, 0, 1000)
	for i := range n {
		ep := netip.AddrFrom4([4]byte{10, 0, byte(i >> 8 % 16), byte(i)}).String()
		at := t0.Add(time.Duration(i) * time.Second)
		as = append(as, alert.Alert{
			ID: fmt.Sprintf("a%07d", i), Rule: rules[i%len(rules)], Time: at, FirstSeen: at, LastSeen: at,
			Endpoint: ep, Peer: fmt.Sprintf("host%d.example.com", i%977), Severity: alert.Medium, Score: 0.6, Count: 1 + i%7,
			Perspective: alert.Statistical, Basis: alert.NormalBusiness, Phase: 5,
			Summary: fmt.Sprintf("beacon every 300 s ±4 %%, %d times over 8 h to host%d.example.com", i%90, i%977),
		})
		if len(as) == cap(as) {
			if err := st.PutAlerts(as); err != nil {
				b.Fatal(err)
			}
			as = as[:0]
		}
	}
	if err := st.Close(); err != nil {
		b.Fatal(err)
	}
	cfg := testConfig(dir)
	b.ResetTimer()
	for b.Loop() {
		a, err := Open(cfg, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if got := len(a.Engine.Alerts()); got != n {
			b.Fatalf("restored %d alerts, want %d", got, n)
		}
		if err := a.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

// TestOwnAddressesIncludeThisMachine: the addresses of the machine mamori
// runs on are the organisation's own (never an IOC hit's other party),
// whatever the internal networks say.
func TestOwnAddressesIncludeThisMachine(t *testing.T) {
	cfg := testConfig(t.TempDir())
	cfg.InternalNetworks = []string{"192.0.2.0/24"} // not this machine's
	a, err := Open(cfg, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	ifs, err := net.InterfaceAddrs()
	if err != nil {
		t.Skip("interfaces cannot be listed here:", err)
	}
	n := 0
	for _, ia := range ifs {
		p, err := netip.ParsePrefix(ia.String())
		if err != nil || !p.Addr().IsGlobalUnicast() {
			continue
		}
		n++
		if !a.Env.Own(p.Addr()) {
			t.Errorf("%s, an address of this machine, is not the office's own", p.Addr())
		}
	}
	for _, s := range a.Env.Self {
		if s.IsLoopback() || s.IsLinkLocalUnicast() {
			t.Errorf("self address %s is not a global one", s)
		}
	}
	if n == 0 {
		t.Log("this machine has no global address")
	}
}
