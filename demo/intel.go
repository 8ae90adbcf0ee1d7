package demo

import (
	"bytes"
	"embed"
	"encoding/csv"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

//go:embed geoip/GeoLite2-Country-Test.mmdb geoip/LICENSE-APACHE.txt geoip/LICENSE-MIT.txt
var geoipFiles embed.FS

const geoIPName = "GeoLite2-Country-Test.mmdb"

// writeIntel writes the asset inventory and the intel directory: the IOC
// trail, the site categories and the GeoIP test database.
func writeIntel(dir string, g *gen) error {
	intel := filepath.Join(dir, "intel")
	if err := os.MkdirAll(intel, 0o700); err != nil {
		return fmt.Errorf("demo: create %s: %w", intel, err)
	}
	files := map[string][]byte{
		filepath.Join(dir, "assets.csv"):       inventory(g.o),
		filepath.Join(intel, "iocs.txt"):       []byte(strings.Join(iocLines(), "\n") + "\n"),
		filepath.Join(intel, "categories.txt"): categories(g.o.sites),
	}
	for _, name := range []string{geoIPName, "LICENSE-APACHE.txt", "LICENSE-MIT.txt"} {
		b, err := geoipFiles.ReadFile("geoip/" + name)
		if err != nil {
			return fmt.Errorf("demo: embedded %s: %w", name, err)
		}
		out := name
		if name != geoIPName {
			out = "GeoLite2-Country-Test." + name
		}
		files[filepath.Join(intel, out)] = b
	}
	for path, b := range files {
		if err := os.WriteFile(path, b, 0o600); err != nil {
			return fmt.Errorf("demo: write %s: %w", path, err)
		}
	}
	return nil
}

// inventory is the asset list: the segments first, then every machine
// (the gateway twice: inside and on the internet).
func inventory(o *office) []byte {
	rows := [][]string{{"ip", "host", "segment", "role", "owner"}}
	for _, s := range o.segments {
		rows = append(rows, []string{s.prefix.String(), "", s.name, "segment", s.use})
	}
	for _, h := range o.hosts {
		rows = append(rows, []string{h.ipStr, h.name, h.segment, h.role, h.owner})
		if h == o.gw {
			rows = append(rows, []string{addrGWOutside.String(), h.name, "edge", h.role, h.owner})
		}
	}
	var buf bytes.Buffer
	// writing to memory cannot fail and the fields have no line breaks
	_ = csv.NewWriter(&buf).WriteAll(rows)
	return buf.Bytes()
}

// categories is the site-category list: every name the demo's traffic
// reaches, and the dynamic-DNS zones as a whole.
func categories(b *siteBook) []byte {
	var buf bytes.Buffer
	buf.WriteString("# mamori demo site categories: domain<TAB>category. A domain covers its subdomains.\n")
	for _, s := range b.all {
		if s.cat == "dynamic-dns" {
			continue
		}
		fmt.Fprintf(&buf, "%s\t%s\n", s.name, s.cat)
	}
	for _, zone := range []string{"duckdns.org", "ddns.net", "hopto.org"} {
		fmt.Fprintf(&buf, "%s\tdynamic-dns\n", zone)
	}
	return buf.Bytes()
}
