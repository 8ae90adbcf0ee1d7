package asset

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

func TestNetworks(t *testing.T) {
	n, err := ParseNetworks(DefaultInternal)
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]bool{
		"10.1.2.3":        true,
		"172.31.255.255":  true,
		"172.32.0.1":      false,
		"192.168.1.1":     true,
		"100.64.0.1":      true,
		"8.8.8.8":         false,
		"fd00::1":         true,
		"2001:db8::1":     false,
		"::ffff:10.0.0.1": true,
	}
	for s, want := range cases {
		if got := n.Contains(netip.MustParseAddr(s)); got != want {
			t.Errorf("%s: got %v, want %v", s, got, want)
		}
	}
	if n.Contains(netip.Addr{}) {
		t.Error("the invalid address is internal")
	}
	if _, err := ParseNetworks([]string{"10.0.0.0/33"}); err == nil {
		t.Error("bad CIDR accepted")
	}
}

func TestLoadCSVAndYAML(t *testing.T) {
	dir := t.TempDir()
	csvPath := filepath.Join(dir, "assets.csv")
	if err := os.WriteFile(csvPath, []byte("# office inventory\nhost,ip,segment,role,owner\nfs01,10.0.20.10,servers,file server,総務\n,10.0.10.0/24,office,,\npc-23,10.0.10.23,office,pc,tanaka\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err := Load(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	if a, ok := inv.Lookup(netip.MustParseAddr("10.0.10.23")); !ok || a.Host != "pc-23" || a.Owner != "tanaka" {
		t.Fatalf("most specific entry: %+v %v", a, ok)
	}
	if a, ok := inv.Lookup(netip.MustParseAddr("10.0.10.99")); !ok || a.Segment != "office" || a.Host != "" {
		t.Fatalf("network entry: %+v %v", a, ok)
	}
	if _, ok := inv.Lookup(netip.MustParseAddr("10.0.30.1")); ok {
		t.Fatal("address outside the inventory found")
	}
	if a, ok := inv.AddrOf("FS01.office.example"); !ok || a != netip.MustParseAddr("10.0.20.10") {
		t.Fatalf("AddrOf: %v %v", a, ok)
	}

	yamlPath := filepath.Join(dir, "assets.yaml")
	if err := os.WriteFile(yamlPath, []byte("- ip: 10.0.20.10\n  host: fs01\n  segment: servers\n- cidr: 10.0.10.0/24\n  segment: office\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	inv, err = Load(yamlPath)
	if err != nil || inv.Len() != 2 || inv.Segment(netip.MustParseAddr("10.0.10.5")) != "office" {
		t.Fatalf("yaml: %v %d", err, inv.Len())
	}

	bad := filepath.Join(dir, "bad.csv")
	_ = os.WriteFile(bad, []byte("ip,host\nnot-an-ip,x\n"), 0o600)
	if _, err := Load(bad); err == nil {
		t.Fatal("bad address accepted")
	}
	noIP := filepath.Join(dir, "noip.csv")
	_ = os.WriteFile(noIP, []byte("host,segment\nx,y\n"), 0o600)
	if _, err := Load(noIP); err == nil {
		t.Fatal("inventory without an address column accepted")
	}
}
