// Package geo answers which country an internet address is in, from an
// offline MaxMind-format database (GeoLite2-Country or GeoLite2-City,
// GeoIP2, or another vendor's database in the same format with the same
// "country" record). The database is a file given on the command line or
// in the configuration: nothing is downloaded at run time, so the rescue
// team's laptop without internet works the same as the office's box.
//
// A DB implements detect.Geo for the N-COUNTRY rule.
package geo

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is an open country database. It is safe for concurrent use.
type DB struct {
	r    *maxminddb.Reader
	path string
}

// record is the part of a GeoIP2/GeoLite2 Country or City record that
// names the country. RegisteredCountry is where the network is registered:
// the fallback for networks without a located country (satellite
// providers, anycast).
type record struct {
	Country struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"country"`
	RegisteredCountry struct {
		ISOCode string `maxminddb:"iso_code"`
	} `maxminddb:"registered_country"`
}

// notCountry are the MaxMind database types that hold no country: opening
// one of them by mistake (the ASN database sits next to the country one)
// is an error rather than a rule that silently never fires.
var notCountry = []string{"ASN", "ISP", "Connection-Type", "Domain", "Anonymous-IP", "User-Count", "Static-IP-Score"}

// Open opens a MaxMind-format database file. It fails with an error naming
// the file when the file is missing, is not a MaxMind database (truncated,
// corrupt, another format) or is a database without countries.
func Open(path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("geoip database: %w", err)
	}
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, fmt.Errorf("geoip database %s: not a readable MaxMind database: %w", path, err)
	}
	kind := r.Metadata.DatabaseType
	for _, bad := range notCountry {
		if strings.Contains(kind, bad) {
			_ = r.Close()
			return nil, fmt.Errorf("geoip database %s: is a %s database, which has no countries (give a Country or City database)", path, kind)
		}
	}
	return &DB{r: r, path: path}, nil
}

// Country returns the ISO 3166-1 alpha-2 code of the country a is located
// in ("JP"), or of the country its network is registered in when the
// database locates it nowhere. ok is false for addresses the database does
// not cover (private and documentation ranges, unassigned space) and on a
// lookup error.
func (db *DB) Country(a netip.Addr) (iso string, ok bool) {
	if db == nil || !a.IsValid() {
		return "", false
	}
	res := db.r.Lookup(a.Unmap())
	if !res.Found() {
		return "", false
	}
	var rec record
	if err := res.Decode(&rec); err != nil {
		return "", false
	}
	iso = rec.Country.ISOCode
	if iso == "" {
		iso = rec.RegisteredCountry.ISOCode
	}
	if !validISO(iso) {
		return "", false
	}
	return iso, true
}

// validISO accepts a two-letter upper-case code: what a broken or hostile
// database puts there must not end up in alert texts unchecked.
func validISO(s string) bool {
	return len(s) == 2 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z'
}

// Describe says which database is open, for `mamori rules`:
// "GeoLite2-Country built 2024-05-01 (/path/to/file.mmdb)".
func (db *DB) Describe() string {
	m := db.r.Metadata
	return fmt.Sprintf("%s built %s (%s)", m.DatabaseType, m.BuildTime().UTC().Format(time.DateOnly), db.path)
}

// Close releases the database.
func (db *DB) Close() error {
	if db == nil {
		return errors.New("geoip database: not open")
	}
	return db.r.Close()
}
