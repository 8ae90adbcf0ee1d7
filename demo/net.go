package demo

import (
	"strconv"
)

// internalDomain is the office's DNS domain, served from the gateway's
// /etc/hosts by dnsmasq.
const internalDomain = "office.lan"

// mirrored tells whether the Zeek sensor sees h's traffic: the SPAN port
// mirrors the office and admin VLANs, not the server VLAN.
func mirrored(h *host) bool { return h.segment == "office" || h.segment == "admin" }

// answer is what dnsmasq gave for one question.
type answer struct {
	rcode   string   // NOERROR, NXDOMAIN
	answers []string // CNAMEs and addresses, as Zeek lists them
	ttls    []int64
	rtt     int64
}

// resolve asks dnsmasq for qtype (A or AAAA) of s on behalf of client at
// t, writing the log-queries lines: from the cache when the name is
// cached, else forwarded to the ISP's resolver.
func (g *gen) resolve(t int64, client string, s *site, qtype string) answer {
	g.dnsmasqLine(t, "query["+qtype+"]", s.name, "from", client)
	key := s.name
	if qtype == "AAAA" {
		key += "/AAAA"
	}
	cached := g.dnsCache[key] > t
	var a answer
	src := "reply"
	if cached {
		src = "cached"
		a.rtt = between(g.ids, 100*us, 600*us)
	} else {
		g.dnsmasqLine(t, "forwarded", s.name, "to", addrISPDNS.String())
		a.rtt = between(g.ids, 4*ms, 45*ms)
		g.dnsCache[key] = t + s.ttl*second
	}
	rt := t + a.rtt
	name := s.name
	ttl := s.ttl
	if cached {
		ttl = max(1, (g.dnsCache[key]-t)/second)
	}
	for _, c := range s.cname {
		g.dnsmasqLine(rt, src, name, "is", "<CNAME>")
		a.answers = append(a.answers, c)
		a.ttls = append(a.ttls, ttl)
		name = c
	}
	a.rcode = "NOERROR"
	switch {
	case qtype == "A":
		for _, ip := range s.ipStrs {
			g.dnsmasqLine(rt, src, name, "is", ip)
			a.answers = append(a.answers, ip)
			a.ttls = append(a.ttls, ttl)
		}
	case s.v6:
		g.dnsmasqLine(rt, src, name, "is", s.v6Str)
		a.answers = append(a.answers, s.v6Str)
		a.ttls = append(a.ttls, ttl)
	default:
		g.dnsmasqLine(rt, src, name, "is", "NODATA-IPv6")
	}
	return a
}

// nxdomain is a lookup of a name that does not exist.
func (g *gen) nxdomain(t int64, client, name, qtype string) answer {
	g.dnsmasqLine(t, "query["+qtype+"]", name, "from", client)
	g.dnsmasqLine(t, "forwarded", name, "to", addrISPDNS.String())
	a := answer{rcode: "NXDOMAIN", rtt: between(g.ids, 8*ms, 60*ms)}
	g.dnsmasqLine(t+a.rtt, "reply", name, "is", "NXDOMAIN")
	return a
}

// local is a lookup of an office name, answered from /etc/hosts.
func (g *gen) local(t int64, client string, h *host) answer {
	name := h.name + "." + internalDomain
	g.dnsmasqLine(t, "query[A]", name, "from", client)
	a := answer{rcode: "NOERROR", answers: []string{h.ipStr}, ttls: []int64{0}, rtt: between(g.ids, 80*us, 400*us)}
	g.dnsmasqLine(t+a.rtt, "/etc/hosts", name, "is", h.ipStr)
	return a
}

// sinkhole is a lookup of a name the gateway's configuration answers with
// 0.0.0.0 (address=/name/0.0.0.0).
func (g *gen) sinkhole(t int64, client, name string) answer {
	g.dnsmasqLine(t, "query[A]", name, "from", client)
	a := answer{rcode: "NOERROR", answers: []string{"0.0.0.0"}, ttls: []int64{0}, rtt: between(g.ids, 80*us, 400*us)}
	g.dnsmasqLine(t+a.rtt, "config", name, "is", "0.0.0.0")
	return a
}

// sensorDNS writes what the Zeek sensor sees of a PC's A lookup: the UDP
// flow to the gateway and the dns.log record.
func (g *gen) sensorDNS(t int64, client *host, query string, a answer) {
	if !mirrored(client) {
		return
	}
	f := flow{uid: g.uid('C'), orig: client.ipStr, origP: client.port(), resp: g.o.gw.ipStr, respP: 53}
	q := int64(len(query) + 17)
	r := q
	for _, ans := range a.answers {
		r += 16 + int64(len(ans))
	}
	g.conn(t, &connRec{flow: f, proto: "udp", service: "dns", dur: a.rtt, ob: q, rb: r, state: "SF", localResp: true, history: "Dd"})
	g.dnsLog(t, &dnsRec{flow: f, trans: g.ids.IntN(65536), rtt: a.rtt, query: query, qtype: "A", rcode: a.rcode, answers: a.answers, ttls: a.ttls})
}

// pcLookup is a PC's own lookup of an internet name, seen by dnsmasq and
// by the sensor.
func (g *gen) pcLookup(t int64, client *host, s *site) answer {
	a := g.resolve(t, client.ipStr, s, "A")
	g.sensorDNS(t, client, s.name, a)
	return a
}

// proxyResolve makes the proxy resolve s unless its ipcache holds it, and
// returns the address it connects to.
func (g *gen) proxyResolve(t int64, s *site) (string, int64) {
	if g.ipCache[s.name] > t {
		return s.ipStrs[0], 0
	}
	a := g.resolve(t, g.o.proxy.ipStr, s, "A")
	g.resolve(t+between(g.ids, 50*us, 300*us), g.o.proxy.ipStr, s, "AAAA")
	g.ipCache[s.name] = t + s.ttl*second
	return s.ipStrs[0], a.rtt
}

// outbound writes the gateway's log of a new connection the proxy (or
// another server on the server VLAN) opens to the internet.
func (g *gen) outbound(t int64, from *host, dst string, dport uint16) {
	g.firewall(t, packet{
		prefix: "FW-ACCEPT-OUT: ", in: "eth1", out: "eth0",
		mac: g.o.gw.mac + ":" + from.mac + ":08:00",
		src: from.ipStr, dst: dst, proto: "TCP",
		spt: uint16(32768 + g.ids.IntN(28000)), dpt: dport, ttl: 63, length: 60, df: true,
	})
}

// routedMAC is the MAC header of a packet the core switch routed to the
// gateway from another VLAN.
func (g *gen) routedMAC() string { return g.o.gw.mac + ":" + coreSwitchMAC + ":08:00" }

const (
	coreSwitchMAC = "70:10:6f:3c:a1:02"
	ispRouterMAC  = "00:25:90:5e:11:c4"
	gwOutsideMAC  = "00:1b:21:8a:40:0e"
)

// pcDirect writes a PC's attempt to reach the internet without the proxy:
// the firewall's line (dropped or, for a too-broad rule, accepted) and the
// sensor's conn record.
func (g *gen) pcDirect(t int64, client *host, dst string, proto string, dport uint16, accept bool, c *connRec) {
	prefix := "FW-DROP: "
	if accept {
		prefix = "FW-ACCEPT-OUT: "
	}
	p := packet{prefix: prefix, in: "eth1", out: "eth0", mac: g.routedMAC(), src: client.ipStr, dst: dst,
		proto: proto, spt: client.port(), dpt: dport, ttl: 126, length: 52, df: true}
	if proto == "UDP" {
		p.length = 76
		p.df = false
	}
	g.firewall(t, p)
	if c != nil && mirrored(client) {
		c.flow = flow{uid: g.uid('C'), orig: client.ipStr, origP: p.spt, resp: dst, respP: dport}
		g.conn(t, c)
	}
}

// itoa is strconv.Itoa for the small numbers of the formats.
func itoa(v int) string { return strconv.Itoa(v) }
