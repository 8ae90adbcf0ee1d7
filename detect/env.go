package detect

import (
	"net/netip"
	"time"

	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
)

// Env is what detectors consult besides the events: the organisation's
// network and inventory, the optional databases and lists, organisation-wide
// prevalence and the event-time clock. Optional parts are nil when not
// configured; a detector that needs one reports it through Missing.
type Env struct {
	Networks   asset.Networks
	Assets     *asset.Inventory
	Catalog    *catalog.Catalog
	Prevalence *Prevalence
	// Relays are the machines that carry others' traffic, which
	// prevalence leaves out; the engine sets it.
	Relays     *Relays
	Intel      Intel      // IOC lists; nil when none are configured
	Geo        Geo        // country lookup; nil without a GeoIP database
	Categories Categories // site categories; nil without a list
	// Zones are what the configuration adds to the catalog's shipped
	// zone lists, by list id: the ddns: files add to
	// catalog.ListDynamicDNS (see intel.LoadZones). Nil adds nothing.
	Zones map[string]*catalog.DomainSet
	// Self are the addresses of the machine mamori runs on (its
	// interfaces): the organisation's own, whatever the networks say.
	Self []netip.Addr
	// Location is the office's time zone: hours of the working day and
	// weekends are counted in it. Nil means UTC.
	Location *time.Location
	// Now is the event-time watermark: the newest event time processed.
	Now func() time.Time
}

// Local returns t in the office's time zone.
func (e *Env) Local(t time.Time) time.Time {
	if e.Location == nil {
		return t.UTC()
	}
	return t.In(e.Location)
}

// Internal reports whether a is one of the organisation's addresses.
func (e *Env) Internal(a netip.Addr) bool { return e.Networks.Contains(a) }

// Own reports whether a is the organisation's own in any way the
// configuration says: in the internal networks, in the inventory (a public
// server's address), or one of the machine mamori runs on. An own address
// is never the other party of an IOC hit: a list naming it is about the
// office, not an attacker it talked to.
func (e *Env) Own(a netip.Addr) bool {
	if !a.IsValid() {
		return false
	}
	a = a.Unmap()
	if e.Internal(a) {
		return true
	}
	if _, ok := e.Assets.Lookup(a); ok {
		return true
	}
	for _, s := range e.Self {
		if s.Unmap() == a {
			return true
		}
	}
	return false
}

// Segment returns the inventory segment of an endpoint id, or "".
func (e *Env) Segment(endpoint string) string {
	if a, err := netip.ParseAddr(endpoint); err == nil {
		return e.Assets.Segment(a)
	}
	return ""
}

// HostOf returns the inventory host name of an address, or "".
func (e *Env) HostOf(a netip.Addr) string {
	as, _ := e.Assets.Lookup(a)
	return as.Host
}

// Intel answers whether indicators are on a configured IOC list.
type Intel interface {
	// Domain, IP, URL and Hash return the hit and true when the indicator
	// is listed. IP considers the port: an "ip:port" entry matches only
	// that port.
	Domain(name string) (Hit, bool)
	IP(a netip.Addr, port uint16) (Hit, bool)
	URL(url string) (Hit, bool)
	Hash(hex string) (Hit, bool)
	// Lists describes what is loaded, for `mamori rules`.
	Lists() []string
}

// Hit is an IOC match: what matched and the list it came from.
type Hit struct {
	Indicator string   // the list entry that matched ("*.evil.example", "203.0.113.5:8443")
	List      string   // the file it came from
	Comment   string   // the entry's or the list's comment, when there is one
	Kind      ListKind // what the list's entries are
}

// ListKind is what a list's entries are, which weighs a hit: a malware
// list's C2 address reached from the office is an infection; a scanner
// list's address probing a public server is the internet's background.
type ListKind uint8

// The list kinds. The zero value is the default: a list given as an IOC
// list is taken to list attackers.
const (
	// ListMalicious: malware, C2 and attack infrastructure.
	ListMalicious ListKind = iota
	// ListSuspicious: services attackers also use, as do others: dynamic
	// DNS, anonymising proxies, what-is-my-IP services, free hosting, Tor.
	ListSuspicious
	// ListScanner: internet-wide scanners and crawlers (research
	// projects, search engines' census scans), listed so that their
	// traffic can be told apart.
	ListScanner
)

// String names the kind: "malicious", "suspicious" or "scanner".
func (k ListKind) String() string {
	switch k {
	case ListSuspicious:
		return "suspicious"
	case ListScanner:
		return "scanner"
	}
	return "malicious"
}

// Geo finds an address's country.
type Geo interface {
	Country(a netip.Addr) (iso string, ok bool)
}

// Categories finds a site's category.
type Categories interface {
	Category(domain string) (string, bool)
}
