package catalog

import (
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"strings"
)

// The categories of well-known services (services.yaml). They are the
// site categories the rules treat as timers by design (S-BEACON's
// benign_categories), plus dns.
var serviceCategories = []string{"ntp", "dns", "software-update", "antivirus", "pki", "connectivity-check"}

// Service is a well-known internet service that machines contact on a
// timer by design (time synchronisation, public resolvers, operating-system
// and antivirus updates, certificate revocation, connectivity checks),
// shipped so that rules know it without counting how many endpoints
// reach it: a capture of one machine has no prevalence to count.
type Service struct {
	ID          string `yaml:"id"`
	Category    string `yaml:"category"`
	Title       Text   `yaml:"title"`
	Description Text   `yaml:"description"`
	// Ports name the service on any address ("udp/123": NTP is NTP
	// whoever serves it).
	Ports []string `yaml:"ports"`
	// Zones are the DNS zones the service's hosts are under.
	Zones []string `yaml:"zones"`
	// Addresses are the service's addresses and networks; with
	// AddressPorts they name it only on those ports (8.8.8.8 is a resolver
	// on udp/53, tcp/853 and tcp/443).
	Addresses    []string `yaml:"addresses"`
	AddressPorts []string `yaml:"address_ports"`
	// References say where the names and addresses come from.
	References []string `yaml:"references"`

	zones        *DomainSet
	addrs        []netip.Prefix
	addressPorts []servicePort
}

// servicePort is a transport and port: "udp/123".
type servicePort struct {
	transport string
	port      uint16
}

func (p servicePort) String() string { return strconv.Itoa(int(p.port)) + "/" + p.transport }

// parsePort reads "udp/123".
func parsePort(s string) (servicePort, error) {
	tr, num, ok := strings.Cut(strings.ToLower(strings.TrimSpace(s)), "/")
	if !ok || (tr != "tcp" && tr != "udp") {
		return servicePort{}, fmt.Errorf("%q is not a port: want tcp/N or udp/N", s)
	}
	n, err := strconv.ParseUint(num, 10, 16)
	if err != nil || n == 0 {
		return servicePort{}, fmt.Errorf("%q is not a port: bad number", s)
	}
	return servicePort{tr, uint16(n)}, nil
}

// ServiceMatch is a well-known service an event's destination is, and
// what showed it ("zone pool.ntp.org", "address 8.8.8.8 on 53/udp",
// "port 123/udp").
type ServiceMatch struct {
	Service *Service
	By      string
}

// services indexes the services for ServiceOf.
type services struct {
	list  []Service
	ports map[servicePort]*Service
}

// Services returns the shipped well-known services.
func (c *Catalog) Services() []Service { return c.services.list }

// ServiceOf says whether a destination is a well-known service: by its
// name (the most specific zone of any service), else by its address (on
// the service's address ports, when it names some), else by the port
// alone (udp/123). transport is "tcp" or "udp" as the parsers write it;
// port 0 matches no port. Any argument may be empty.
func (c *Catalog) ServiceOf(name string, addr netip.Addr, transport string, port uint16) (ServiceMatch, bool) {
	var best ServiceMatch
	bestLen := -1
	if name != "" {
		for i := range c.services.list {
			s := &c.services.list[i]
			if z, ok := s.zones.Match(name); ok && len(z) > bestLen {
				best, bestLen = ServiceMatch{s, "zone " + z}, len(z)
			}
		}
		if bestLen >= 0 {
			return best, true
		}
	}
	sp := servicePort{strings.ToLower(transport), port}
	if addr.IsValid() {
		addr = addr.Unmap()
		for i := range c.services.list {
			s := &c.services.list[i]
			for _, p := range s.addrs {
				if !p.Contains(addr) {
					continue
				}
				if len(s.addressPorts) == 0 {
					return ServiceMatch{s, "address " + addr.String()}, true
				}
				if slices.Contains(s.addressPorts, sp) {
					return ServiceMatch{s, "address " + addr.String() + " on " + sp.String()}, true
				}
			}
		}
	}
	if s, ok := c.services.ports[sp]; ok && port != 0 {
		return ServiceMatch{s, "port " + sp.String()}, true
	}
	return ServiceMatch{}, false
}

// buildServices parses the services' ports, zones and addresses and
// reports what is wrong with them.
func (ck *checker) buildServices(list []Service) services {
	const f = fileServices
	idx := services{list: list, ports: map[servicePort]*Service{}}
	seen := map[string]bool{}
	for i := range list {
		s := &list[i]
		e := s.ID
		switch {
		case s.ID == "":
			e = fmt.Sprintf("services[%d]", i)
			ck.addf(f, e, "id", "empty")
		case seen[s.ID]:
			ck.addf(f, e, "id", "duplicate")
		}
		seen[s.ID] = true
		if !slices.Contains(serviceCategories, s.Category) {
			ck.addf(f, e, "category", "%q is not one of %s", s.Category, strings.Join(serviceCategories, ", "))
		}
		ck.text(f, e, "title", s.Title)
		ck.text(f, e, "description", s.Description)
		if len(s.Ports)+len(s.Zones)+len(s.Addresses) == 0 {
			ck.addf(f, e, "ports", "the service names no port, zone or address")
		}
		if len(s.References) == 0 {
			ck.addf(f, e, "references", "empty: say where the names and addresses come from")
		}
		for j, p := range s.Ports {
			sp, err := parsePort(p)
			if err != nil {
				ck.addf(f, e, fmt.Sprintf("ports[%d]", j), "%v", err)
				continue
			}
			if other, dup := idx.ports[sp]; dup {
				ck.addf(f, e, fmt.Sprintf("ports[%d]", j), "%s is already %s's", sp, other.ID)
				continue
			}
			idx.ports[sp] = s
		}
		for j, p := range s.AddressPorts {
			sp, err := parsePort(p)
			if err != nil {
				ck.addf(f, e, fmt.Sprintf("address_ports[%d]", j), "%v", err)
				continue
			}
			s.addressPorts = append(s.addressPorts, sp)
		}
		if len(s.AddressPorts) > 0 && len(s.Addresses) == 0 {
			ck.addf(f, e, "address_ports", "given without addresses")
		}
		var zones []string
		for j, z := range s.Zones {
			if err := checkDomain(z); err != nil || !strings.Contains(z, ".") {
				ck.addf(f, e, fmt.Sprintf("zones[%d]", j), "%q is not a DNS zone", z)
				continue
			}
			zones = append(zones, z)
		}
		s.zones = NewDomainSet(zones...)
		for j, a := range s.Addresses {
			p, err := netip.ParsePrefix(a)
			if err != nil {
				var ip netip.Addr
				if ip, err = netip.ParseAddr(a); err == nil {
					p = netip.PrefixFrom(ip, ip.BitLen())
				}
			}
			if err != nil || !p.Addr().IsGlobalUnicast() || p.Addr().IsPrivate() {
				ck.addf(f, e, fmt.Sprintf("addresses[%d]", j), "%q is not a public address or network", a)
				continue
			}
			s.addrs = append(s.addrs, p.Masked())
		}
	}
	return idx
}
