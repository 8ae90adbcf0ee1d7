package geo

import (
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mamori-soc/mamori/detect"
)

const testdata = "../../testdata/geoip-maxmind-test"

var _ detect.Geo = (*DB)(nil)

func open(t *testing.T, name string) *DB {
	t.Helper()
	db, err := Open(filepath.Join(testdata, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

func TestCountry(t *testing.T) {
	country := open(t, "GeoLite2-Country-Test.mmdb")
	city := open(t, "GeoLite2-City-Test.mmdb")
	cases := map[string]struct {
		addr string
		want string // "" for not found
	}{
		"GB network":                {"81.2.69.142", "GB"},
		"US network":                {"216.160.83.56", "US"},
		"SE network":                {"89.160.20.112", "SE"},
		"last address of a network": {"89.160.20.127", "SE"},
		"Bhutan":                    {"67.43.156.14", "BT"},
		"IPv4-mapped IPv6":          {"::ffff:81.2.69.142", "GB"},
		"IPv6 network":              {"2001:218::1", "JP"},
		"continent only":            {"2a02:d500::1", ""},
		"private":                   {"10.0.10.31", ""},
		"documentation":             {"198.51.100.77", ""},
		"just outside a network":    {"81.2.69.141", ""},
	}
	for name, c := range cases {
		a := netip.MustParseAddr(c.addr)
		for dbName, db := range map[string]*DB{"country": country, "city": city} {
			if dbName == "city" && !a.Unmap().Is4() {
				continue // the City test database covers other IPv6 networks
			}
			got, ok := db.Country(a)
			if got != c.want || ok != (c.want != "") {
				t.Errorf("%s (%s db): Country(%s) = %q, %v; want %q", name, dbName, c.addr, got, ok, c.want)
			}
		}
	}
	if _, ok := country.Country(netip.Addr{}); ok {
		t.Error("the zero address has a country")
	}
}

// TestCountryMatchesSource checks every network of the JSON source slice
// (the data the test database was built from) at its first and last
// address.
func TestCountryMatchesSource(t *testing.T) {
	db := open(t, "GeoLite2-Country-Test.mmdb")
	b, err := os.ReadFile(filepath.Join(testdata, "GeoLite2-Country-Test.slice.json"))
	if err != nil {
		t.Fatal(err)
	}
	type iso struct {
		ISOCode string `json:"iso_code"`
	}
	var src []map[string]struct {
		Country    *iso `json:"country"`
		Registered *iso `json:"registered_country"`
	}
	if err := json.Unmarshal(b, &src); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range src {
		for cidr, rec := range m {
			p := netip.MustParsePrefix(cidr)
			want := ""
			switch {
			case rec.Country != nil:
				want = rec.Country.ISOCode
			case rec.Registered != nil:
				want = rec.Registered.ISOCode
			}
			for _, a := range []netip.Addr{p.Addr(), lastAddr(p)} {
				got, ok := db.Country(a)
				if got != want || ok != (want != "") {
					t.Errorf("%s: Country(%s) = %q, %v; the source says %q", cidr, a, got, ok, want)
				}
				n++
			}
		}
	}
	if n < 10 {
		t.Fatalf("only %d addresses checked", n)
	}
}

func lastAddr(p netip.Prefix) netip.Addr {
	b := p.Masked().Addr().AsSlice()
	host := b[:]
	bits := p.Bits()
	for i := range host {
		for j := 0; j < 8; j++ {
			if i*8+j >= bits {
				host[i] |= 0x80 >> j
			}
		}
	}
	a, _ := netip.AddrFromSlice(host)
	return a
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	good, err := os.ReadFile(filepath.Join(testdata, "GeoLite2-Country-Test.mmdb"))
	if err != nil {
		t.Fatal(err)
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	cases := map[string]struct {
		path string
		want string // in the error
	}{
		"missing":     {filepath.Join(dir, "nope.mmdb"), "no such file"},
		"empty":       {write("empty.mmdb", nil), "empty.mmdb"},
		"truncated":   {write("cut.mmdb", good[:len(good)/2]), "not a readable MaxMind database"},
		"text file":   {write("text.mmdb", []byte("1.2.3.4,JP\n")), "not a readable MaxMind database"},
		"ASN instead": {filepath.Join(testdata, "GeoLite2-ASN-Test.mmdb"), "has no countries"},
	}
	for name, c := range cases {
		db, err := Open(c.path)
		if err == nil {
			_ = db.Close()
			t.Errorf("%s: opened", name)
			continue
		}
		if !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %q does not say %q", name, err, c.want)
		}
	}
}

func TestDescribe(t *testing.T) {
	db := open(t, "GeoLite2-Country-Test.mmdb")
	if d := db.Describe(); !strings.Contains(d, "GeoLite2-Country") || !strings.Contains(d, "GeoLite2-Country-Test.mmdb") {
		t.Fatalf("Describe() = %q", d)
	}
}

func BenchmarkCountry(b *testing.B) {
	db, err := Open(filepath.Join(testdata, "GeoLite2-Country-Test.mmdb"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	a := netip.MustParseAddr("81.2.69.142")
	b.ReportAllocs()
	for b.Loop() {
		db.Country(a)
	}
}
