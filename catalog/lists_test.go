package catalog

import (
	"strings"
	"testing"
)

func TestDomainSetMatch(t *testing.T) {
	s := NewDomainSet("duckdns.org", ".no-ip.com", "freedns.no-ip.com", "Blob.Core.Windows.NET.")
	tests := map[string]struct {
		name string
		zone string // "" for no match
	}{
		"subdomain":              {"cdn-update.duckdns.org", "duckdns.org"},
		"zone itself":            {"duckdns.org", "duckdns.org"},
		"case and trailing dot":  {"DuckDNS.org.", "duckdns.org"},
		"zone as a prefix":       {"duckdns.org.evil.com", ""},
		"zone as a label suffix": {"myduckdns.org", ""},
		"parent of zone":         {"org", ""},
		"leading dot entry":      {"host.no-ip.com", "no-ip.com"},
		"nested zones":           {"a.freedns.no-ip.com", "freedns.no-ip.com"},
		"normalised entry":       {"acct.blob.core.windows.net", "blob.core.windows.net"},
		"empty":                  {"", ""},
		"dot":                    {".", ""},
		"two trailing dots":      {"duckdns.org..", ""},
		"empty labels":           {"a..duckdns.org", "duckdns.org"},
		"address":                {"192.0.2.1", ""},
		"too long":               {strings.Repeat("a.", 130) + "duckdns.org", ""},
		"non-ASCII":              {"ДУКDNS.org", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			zone, ok := s.Match(tc.name)
			if zone != tc.zone || ok != (tc.zone != "") {
				t.Errorf("Match(%q) = %q, %v; want %q", tc.name, zone, ok, tc.zone)
			}
		})
	}
}

func TestDomainSetEmpty(t *testing.T) {
	for name, s := range map[string]*DomainSet{"nil": nil, "zero": {}, "no zones": NewDomainSet("", ".")} {
		if _, ok := s.Match("duckdns.org"); ok || s.Len() != 0 {
			t.Errorf("%s: matched or Len %d", name, s.Len())
		}
	}
}

// TestShippedLists matches real names against the embedded lists.
func TestShippedLists(t *testing.T) {
	c := load(t)
	tests := map[string]struct {
		list string
		name string
		zone string
	}{
		"duckdns subdomain":        {ListDynamicDNS, "cdn-update.duckdns.org", "duckdns.org"},
		"duckdns upper case":       {ListDynamicDNS, "DuckDNS.org.", "duckdns.org"},
		"duckdns as prefix":        {ListDynamicDNS, "duckdns.org.evil.com", ""},
		"no-ip (maltrail only)":    {ListDynamicDNS, "office-cam.no-ip.com", "no-ip.com"},
		"afraid.org shared (MISP)": {ListDynamicDNS, "x.0x.no", "0x.no"},
		"ddns.net":                 {ListDynamicDNS, "c2.ddns.net", "ddns.net"},
		"business site":            {ListDynamicDNS, "www.ipa.go.jp", ""},
		"cloud storage":            {ListTrustedSites, "exfil.blob.core.windows.net", "blob.core.windows.net"},
		"paas":                     {ListTrustedSites, "evil-app.herokuapp.com", "herokuapp.com"},
		"not cloud":                {ListTrustedSites, "www.ipa.go.jp", ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l, ok := c.List(tc.list)
			if !ok {
				t.Fatalf("no list %s", tc.list)
			}
			zone, ok := l.Match(tc.name)
			if zone != tc.zone || ok != (tc.zone != "") {
				t.Errorf("%s.Match(%q) = %q, %v; want %q", tc.list, tc.name, zone, ok, tc.zone)
			}
		})
	}
	if l, _ := c.List(ListDynamicDNS); l.Len() < 30000 {
		t.Errorf("dynamic-dns has %d zones, want the MISP and Maltrail lists (over 30,000)", l.Len())
	}
}

func BenchmarkDynamicDNSMatch(b *testing.B) {
	l, _ := load(b).List(ListDynamicDNS)
	names := []string{"cdn-update.duckdns.org", "www.example.co.jp", "a.b.c.d.e.f.example.com", "Mixed.Case.Example.ORG."}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		l.Match(names[i%len(names)])
	}
}

func FuzzDomainSetMatch(f *testing.F) {
	s := NewDomainSet("duckdns.org", "no-ip.com", "co.jp")
	for _, seed := range []string{"cdn-update.duckdns.org", "DuckDNS.org.", "duckdns.org.evil.com", "", ".", "\xff.co.jp", "A.CO.JP"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, name string) {
		zone, ok := s.Match(name)
		if !ok {
			return
		}
		n := normalise(name)
		if n != zone && !strings.HasSuffix(n, "."+zone) {
			t.Errorf("Match(%q) = %q, which %q is not in", name, zone, n)
		}
	})
}
