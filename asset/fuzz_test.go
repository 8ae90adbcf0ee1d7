package asset

import (
	"net/netip"
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad reads arbitrary bytes as an inventory file, CSV or YAML:
// nothing panics, and an inventory that loads is consistent: every entry
// is a valid prefix that its own address looks up, and a host name found
// by AddrOf names an address of the inventory.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{
		"# office inventory\nhost,ip,segment,role,owner\nfs01,10.0.20.10,servers,file server,総務\n,10.0.10.0/24,office,,\npc-23,10.0.10.23,office,pc,tanaka\n",
		"ip,host,segment,role,owner\n10.0.10.31,PC-011,office,pc,yamada\n10.0.20.0/24,,servers,,\n192.168.1.1,gw,dmz,gateway,it\n",
		"cidr,segment\n10.0.0.0/8,corp\n2001:db8::/32,v6\n",
		"address;host\n10.0.0.1;a\n",
		"ip,host\n\"10.0.0.1\",\"a,b\"\n",
		"ip,host\nnot-an-ip,x\n",
		"host,segment\nx,y\n",
	} {
		f.Add([]byte(s), false)
	}
	for _, s := range []string{
		"- ip: 10.0.20.10\n  host: fs01\n  segment: servers\n- cidr: 10.0.10.0/24\n  segment: office\n",
		"- {ip: 10.0.10.31, host: pc-011, role: pc, owner: 山田}\n",
		"[]\n", "{}\n", "- ip: [1, 2]\n", "- ip: ::ffff:10.0.0.1\n",
	} {
		f.Add([]byte(s), true)
	}
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte, isYAML bool) {
		path := filepath.Join(dir, "assets.csv")
		if isYAML {
			path = filepath.Join(dir, "assets.yaml")
		}
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		inv, err := Load(path)
		if err != nil {
			return
		}
		for _, a := range inv.All() {
			if !a.Prefix.IsValid() {
				t.Fatalf("entry %+v has an invalid prefix", a)
			}
			got, ok := inv.Lookup(a.Prefix.Addr())
			if !ok || !got.Prefix.Contains(a.Prefix.Addr()) || got.Prefix.Bits() < a.Prefix.Bits() {
				t.Fatalf("entry %+v: its address looks up %+v, %v", a, got, ok)
			}
			if a.Host != "" && a.Prefix.IsSingleIP() {
				if addr, ok := inv.AddrOf(a.Host); !ok || !addr.IsValid() {
					t.Fatalf("host %q of %+v not found by AddrOf", a.Host, a)
				} else if _, ok := inv.Lookup(addr); !ok {
					t.Fatalf("AddrOf(%q) = %v, not in the inventory", a.Host, addr)
				}
			}
		}
		_ = inv.Segment(netip.MustParseAddr("10.0.10.5"))
	})
}
