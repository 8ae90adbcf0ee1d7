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
	Indicator string // the list entry that matched ("*.evil.example", "203.0.113.5:8443")
	List      string // the file it came from
	Comment   string // the entry's or the list's comment, when there is one
}

// Geo finds an address's country.
type Geo interface {
	Country(a netip.Addr) (iso string, ok bool)
}

// Categories finds a site's category.
type Categories interface {
	Category(domain string) (string, bool)
}
