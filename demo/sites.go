package demo

import (
	"hash/fnv"
	"net/netip"
)

// site is an internet destination of the office.
type site struct {
	name    string
	cat     string   // site category, written to intel/categories.txt
	tls     bool     // reached through a CONNECT tunnel (else plain HTTP)
	pool    string   // address pool: a country of the GeoIP test database
	ttl     int64    // DNS TTL in seconds
	cname   []string // CNAME chain the resolver reports before the address
	v6      bool     // the name has AAAA records
	blocked bool     // the proxy denies its category
	weight  float64  // how likely a visit picks it, within its group
	ips     []netip.Addr
	ipStrs  []string
	v6Str   string // the AAAA answer, when v6
}

// Address pools. Benign destinations come from the networks of "usual"
// countries in MaxMind's GeoLite2-Country test database (US, GB, SE); the
// attacker's from countries nobody in the office ever reaches (CN, PH, BT)
// or from documentation ranges.
var pools = map[string][]netip.Prefix{
	"US": {netip.MustParsePrefix("216.160.83.56/29")},
	"GB": {netip.MustParsePrefix("81.2.69.144/28"), netip.MustParsePrefix("81.2.69.160/27"), netip.MustParsePrefix("81.2.69.192/28"), netip.MustParsePrefix("2.125.160.216/29")},
	"SE": {netip.MustParsePrefix("89.160.20.128/25"), netip.MustParsePrefix("89.160.20.112/28")},
	"JP": {netip.MustParsePrefix("203.0.113.120/29")}, // documentation range: no country
}

// siteBook holds the internet destinations of one demo. Names are real
// public services (for the benign traffic) or names under real dynamic-DNS
// zones (for the attacker); addresses are not theirs.
type siteBook struct {
	popular, personal, blocked, cdn []*site
	popularW                        []float64 // the popular sites' weights
	sharepoint                      *site     // the office's cloud storage
	webmail                         *site     // the office's mail

	wuScan, wuSLS, wuDownload, ctl, defender, avCloud, telemetry, ncsi, ocsp *site
	gUpdate, gDownload, nasConnect, nasUpdate, nasBackup, timeMS, ntp        *site
	delivery, c2, exfil                                                      *site

	all []*site // every site once, in a fixed order
}

func newSiteBook() *siteBook {
	b := &siteBook{}

	b.popular = []*site{
		{name: "www.google.co.jp", cat: "search", tls: true, pool: "US", ttl: 300, v6: true, weight: 10},
		{name: "www.google.com", cat: "search", tls: true, pool: "US", ttl: 300, v6: true, weight: 4},
		{name: "www.yahoo.co.jp", cat: "portal", tls: true, pool: "GB", ttl: 60, cname: []string{"edge12.g.yimg.jp"}, weight: 8},
		{name: "news.yahoo.co.jp", cat: "news", tls: true, pool: "GB", ttl: 60, cname: []string{"edge12.g.yimg.jp"}, weight: 4},
		{name: "outlook.office365.com", cat: "webmail", tls: true, pool: "SE", ttl: 300, cname: []string{"outlook.ms-acdc.office.com"}, v6: true, weight: 8},
		{name: "teams.microsoft.com", cat: "business", tls: true, pool: "SE", ttl: 3600, cname: []string{"teams.office.com"}, weight: 6},
		{name: "login.microsoftonline.com", cat: "business", tls: true, pool: "SE", ttl: 300, weight: 3},
		{name: "www.office.com", cat: "business", tls: true, pool: "SE", ttl: 3600, weight: 2},
		{name: "contoso-my.sharepoint.com", cat: "cloud-storage", tls: true, pool: "SE", ttl: 300, weight: 3},
	}
	b.personal = []*site{
		{name: "www.nhk.or.jp", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "www3.nhk.or.jp", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "www.asahi.com", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "www.nikkei.com", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "mainichi.jp", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "www.itmedia.co.jp", cat: "news", tls: true, pool: "GB", ttl: 300},
		{name: "www.jma.go.jp", cat: "government", tls: true, pool: "GB", ttl: 600},
		{name: "tenki.jp", cat: "weather", tls: true, pool: "GB", ttl: 300},
		{name: "www.nta.go.jp", cat: "government", tls: true, pool: "GB", ttl: 600},
		{name: "www.e-gov.go.jp", cat: "government", tls: true, pool: "GB", ttl: 600},
		{name: "www.meti.go.jp", cat: "government", tls: true, pool: "GB", ttl: 600},
		{name: "www.mhlw.go.jp", cat: "government", tls: true, pool: "GB", ttl: 600},
		{name: "www.amazon.co.jp", cat: "shopping", tls: true, pool: "US", ttl: 60},
		{name: "www.rakuten.co.jp", cat: "shopping", tls: true, pool: "GB", ttl: 300},
		{name: "www.askul.co.jp", cat: "business", tls: true, pool: "GB", ttl: 300},
		{name: "www.jreast.co.jp", cat: "travel", tls: true, pool: "GB", ttl: 300},
		{name: "www.navitime.co.jp", cat: "travel", tls: true, pool: "GB", ttl: 300},
		{name: "www.jal.co.jp", cat: "travel", tls: true, pool: "GB", ttl: 300},
		{name: "ja.wikipedia.org", cat: "reference", tls: true, pool: "SE", ttl: 600, cname: []string{"dyna.wikimedia.org"}, v6: true},
		{name: "www.weblio.jp", cat: "reference", tls: true, pool: "GB", ttl: 300},
		{name: "github.com", cat: "software-development", tls: true, pool: "US", ttl: 60},
		{name: "stackoverflow.com", cat: "software-development", tls: true, pool: "US", ttl: 300},
		{name: "qiita.com", cat: "software-development", tls: true, pool: "GB", ttl: 60},
		{name: "www.ipa.go.jp", cat: "security", tls: true, pool: "GB", ttl: 600},
		{name: "www.jpcert.or.jp", cat: "security", tls: true, pool: "GB", ttl: 600},
		{name: "mail.google.com", cat: "webmail", tls: true, pool: "US", ttl: 300, v6: true},
		{name: "www.mizuhobank.co.jp", cat: "finance", tls: true, pool: "GB", ttl: 300},
		{name: "www.smbc.co.jp", cat: "finance", tls: true, pool: "GB", ttl: 300},
	}
	b.blocked = []*site{
		{name: "www.nicovideo.jp", cat: "streaming", tls: true, pool: "GB", ttl: 300, blocked: true},
		{name: "abema.tv", cat: "streaming", tls: true, pool: "GB", ttl: 300, blocked: true},
		{name: "www.netflix.com", cat: "streaming", tls: true, pool: "US", ttl: 60, blocked: true},
	}
	b.cdn = []*site{
		{name: "www.gstatic.com", cat: "cdn", tls: true, pool: "US", ttl: 300, v6: true},
		{name: "fonts.googleapis.com", cat: "cdn", tls: true, pool: "US", ttl: 300, v6: true},
		{name: "fonts.gstatic.com", cat: "cdn", tls: true, pool: "US", ttl: 300, v6: true},
		{name: "s.yimg.jp", cat: "cdn", tls: true, pool: "GB", ttl: 60},
		{name: "cdn.jsdelivr.net", cat: "cdn", tls: true, pool: "SE", ttl: 60},
		{name: "ajax.googleapis.com", cat: "cdn", tls: true, pool: "US", ttl: 300},
		{name: "res.cdn.office.net", cat: "cdn", tls: true, pool: "SE", ttl: 300},
	}
	// The sites the machines reach by themselves.
	b.wuScan = &site{name: "fe3.delivery.mp.microsoft.com", cat: "software-update", tls: true, pool: "SE", ttl: 300, cname: []string{"fe3cr.delivery.mp.microsoft.com"}}
	b.wuSLS = &site{name: "slscr.update.microsoft.com", cat: "software-update", tls: true, pool: "SE", ttl: 300}
	b.wuDownload = &site{name: "download.windowsupdate.com", cat: "software-update", pool: "SE", ttl: 300, cname: []string{"wu-b-net.trafficmanager.net"}}
	b.ctl = &site{name: "ctldl.windowsupdate.com", cat: "software-update", pool: "SE", ttl: 300}
	b.defender = &site{name: "definitionupdates.microsoft.com", cat: "software-update", tls: true, pool: "SE", ttl: 300}
	b.avCloud = &site{name: "wdcp.microsoft.com", cat: "security", tls: true, pool: "SE", ttl: 300}
	b.telemetry = &site{name: "v10.events.data.microsoft.com", cat: "telemetry", tls: true, pool: "SE", ttl: 300, cname: []string{"global.asimov.events.data.trafficmanager.net"}}
	b.ncsi = &site{name: "www.msftconnecttest.com", cat: "connectivity-check", pool: "SE", ttl: 300, cname: []string{"www.msftncsi.com.edgesuite.net"}}
	b.ocsp = &site{name: "ocsp.digicert.com", cat: "pki", pool: "US", ttl: 3600}
	b.gUpdate = &site{name: "update.googleapis.com", cat: "software-update", tls: true, pool: "US", ttl: 300, v6: true}
	b.gDownload = &site{name: "edgedl.me.gvt1.com", cat: "software-update", pool: "US", ttl: 300}
	b.nasConnect = &site{name: "global.quickconnect.to", cat: "software-update", tls: true, pool: "GB", ttl: 300}
	b.nasUpdate = &site{name: "update7.synology.com", cat: "software-update", tls: true, pool: "GB", ttl: 300}
	b.nasBackup = &site{name: "s3.us-west-004.backblazeb2.com", cat: "cloud-storage", tls: true, pool: "US", ttl: 60}
	b.timeMS = &site{name: "time.windows.com", cat: "ntp", pool: "SE", ttl: 300, cname: []string{"twc.trafficmanager.net"}}
	b.ntp = &site{name: "ntp.nict.jp", cat: "ntp", pool: "JP", ttl: 3600}

	// The attacker's.
	b.delivery = &site{name: "docs-invoice.ddns.net", cat: "dynamic-dns", pool: "PH", ttl: 60}
	b.c2 = &site{name: siteC2Name, cat: "dynamic-dns", tls: true, pool: "CN", ttl: 60}
	b.exfil = &site{name: siteExfilName, cat: "cloud-storage", tls: true, pool: "US", ttl: 300}

	for _, s := range b.popular {
		b.popularW = append(b.popularW, s.weight)
		switch s.cat {
		case "cloud-storage":
			b.sharepoint = s
		case "webmail":
			b.webmail = s
		}
	}
	for _, g := range [][]*site{b.popular, b.personal, b.blocked, b.cdn} {
		b.all = append(b.all, g...)
	}
	b.all = append(b.all, b.wuScan, b.wuSLS, b.wuDownload, b.ctl, b.defender, b.avCloud, b.telemetry, b.ncsi, b.ocsp,
		b.gUpdate, b.gDownload, b.nasConnect, b.nasUpdate, b.nasBackup, b.timeMS, b.ntp, b.delivery, b.c2, b.exfil)
	addresses(b.all)
	return b
}

// Names that resolve nowhere: what people mistype.
var typos = []string{"www.yahooo.co.jp", "www.gooogle.co.jp", "www.amazon.co.pj", "outlook.office356.com", "www.nhk.ro.jp"}

// attackPools hold the attacker's networks (GeoLite2-Country test data).
var attackPools = map[string]netip.Addr{
	"CN": netip.MustParseAddr("111.235.161.47"),
	"PH": netip.MustParseAddr("202.196.230.18"),
}

// Fixed internet addresses of the story and the office's uplink.
var (
	addrFoothold  = netip.MustParseAddr("198.51.100.77") // bare-IP second stage
	addrBypass    = netip.MustParseAddr("67.43.156.14")  // direct connection, GeoIP test network of Bhutan
	addrGWOutside = netip.MustParseAddr("203.0.113.10")
	addrISPDNS    = netip.MustParseAddr("198.51.100.53")
)

// addresses gives every site its addresses: a fixed function of its name,
// so the same name has the same addresses in every demo.
func addresses(sites []*site) {
	for _, s := range sites {
		if len(s.ips) > 0 {
			continue
		}
		if a, ok := attackPools[s.pool]; ok {
			s.ips = []netip.Addr{a}
		} else {
			h := fnv.New64a()
			_, _ = h.Write([]byte(s.name)) // a hash.Hash's Write never returns an error
			sum := h.Sum64()
			n := 1 + int(sum%3)
			if s.pool == "JP" || s.pool == "US" {
				n = 2
			}
			for i := range n {
				s.ips = append(s.ips, pick(pools[s.pool], sum>>8+uint64(i)*7919))
			}
		}
		if s.v6 {
			h := fnv.New32a()
			_, _ = h.Write([]byte(s.name)) // a hash.Hash's Write never returns an error
			sum := h.Sum32()
			s.v6Str = netip.AddrFrom16([16]byte{0x20, 0x01, 0x0d, 0xb8, byte(sum >> 24), byte(sum >> 16), 14: byte(sum >> 8), 15: byte(sum)}).String()
		}
		s.ipStrs = make([]string, len(s.ips))
		for i, a := range s.ips {
			s.ipStrs[i] = a.String()
		}
	}
}

// pick returns the n-th address (modulo their number) of the prefixes.
func pick(ps []netip.Prefix, n uint64) netip.Addr {
	total := uint64(0)
	for _, p := range ps {
		total += 1 << (32 - p.Bits())
	}
	n %= total
	for _, p := range ps {
		size := uint64(1) << (32 - p.Bits())
		if n < size {
			a := p.Addr().As4()
			v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
			v += uint32(n)
			return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
		}
		n -= size
	}
	return ps[0].Addr()
}
