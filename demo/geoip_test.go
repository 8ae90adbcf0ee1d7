package demo

import (
	"os"
	"testing"

	"github.com/oschwald/maxminddb-golang/v2"
)

// TestGeoIPCountries checks the claim the address plan rests on: with the
// GeoIP test database, the office's usual destinations are in the United
// States, the United Kingdom and Sweden (or have no country), and the
// attacker's in countries nobody else reaches.
func TestGeoIPCountries(t *testing.T) {
	b, err := os.ReadFile(defManifest.GeoIP)
	if err != nil {
		t.Fatal(err)
	}
	db, err := maxminddb.OpenBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	country := func(ip string) string {
		var rec struct {
			Country struct {
				ISOCode string `maxminddb:"iso_code"`
			} `maxminddb:"country"`
		}
		if err := db.Lookup(mustAddr(t, ip)).Decode(&rec); err != nil {
			t.Fatal(err)
		}
		return rec.Country.ISOCode
	}
	book := newSiteBook()
	usual := map[string]bool{"US": true, "GB": true, "SE": true, "": true}
	known, total := 0, 0
	for _, s := range book.all {
		if s == book.c2 || s == book.delivery {
			continue
		}
		for _, ip := range s.ipStrs {
			c := country(ip)
			if !usual[c] {
				t.Errorf("%s (%s) is in %q", s.name, ip, c)
			}
			total++
			if c != "" {
				known++
			}
		}
	}
	if known < total*9/10 {
		t.Errorf("only %d of %d benign addresses have a country", known, total)
	}
	for ip, want := range map[string]string{book.c2.ipStrs[0]: "CN", book.delivery.ipStrs[0]: "PH", addrBypass.String(): "BT"} {
		if c := country(ip); c != want {
			t.Errorf("attacker's %s is in %q, want %q", ip, c, want)
		}
	}
}
