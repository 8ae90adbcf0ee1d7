package catalog

import (
	"net/netip"
	"testing"
)

// TestServiceOf: the shipped services name NTP by its port on any
// address, resolvers only at their addresses and on their ports, and the
// update, revocation and connectivity hosts by their zones.
func TestServiceOf(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Services()) < 5 {
		t.Fatalf("%d services", len(c.Services()))
	}
	tests := map[string]struct {
		name      string
		addr      string
		transport string
		port      uint16
		id, by    string // "" for no match
	}{
		"a distribution's pool name":   {name: "2.ubuntu.pool.ntp.org", id: "ntp", by: "zone pool.ntp.org"},
		"NTP to any address":           {addr: "91.189.91.157", transport: "udp", port: 123, id: "ntp", by: "port 123/udp"},
		"tcp/123 is not NTP":           {addr: "91.189.91.157", transport: "tcp", port: 123},
		"Google's resolver on 53":      {addr: "8.8.8.8", transport: "udp", port: 53, id: "public-dns", by: "address 8.8.8.8 on 53/udp"},
		"Cloudflare's DNS over TLS":    {addr: "2606:4700:4700::1111", transport: "tcp", port: 853, id: "public-dns"},
		"a resolver's address on 8080": {addr: "8.8.8.8", transport: "tcp", port: 8080},
		"DNS to any other address":     {addr: "203.0.113.53", transport: "udp", port: 53},
		"a CRL":                        {name: "crl.comodoca.com", id: "certificate-revocation", by: "zone crl.comodoca.com"},
		"Let's Encrypt OCSP":           {name: "r3.o.lencr.org", id: "certificate-revocation"},
		"Windows Update":               {name: "fe3.delivery.mp.microsoft.com", id: "windows-update"},
		"Windows' connectivity probe":  {name: "www.msftconnecttest.com", addr: "13.107.4.52", transport: "tcp", port: 80, id: "connectivity-check"},
		"the address alone is nothing": {addr: "13.107.4.52", transport: "tcp", port: 80},
		"a vendor's web site":          {name: "www.microsoft.com"},
		"a lookalike":                  {name: "windowsupdate.com.evil.example"},
		"antivirus":                    {name: "dnl-07.geo.kaspersky.com", id: "antivirus-update"},
		"name wins over the port":      {name: "time.windows.com", addr: "20.101.57.9", transport: "udp", port: 123, id: "ntp", by: "zone time.windows.com"},
	}
	for name, tc := range tests {
		var a netip.Addr
		if tc.addr != "" {
			a = netip.MustParseAddr(tc.addr)
		}
		m, ok := c.ServiceOf(tc.name, a, tc.transport, tc.port)
		switch {
		case tc.id == "" && ok:
			t.Errorf("%s: matched %s by %s", name, m.Service.ID, m.By)
		case tc.id != "" && (!ok || m.Service.ID != tc.id):
			t.Errorf("%s: %+v %v, want %s", name, m, ok, tc.id)
		case tc.by != "" && m.By != tc.by:
			t.Errorf("%s: by %q, want %q", name, m.By, tc.by)
		}
	}
}
