package demo

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
)

// host is one machine of the office.
type host struct {
	idx     int
	ip      netip.Addr
	ipStr   string
	name    string // short host name, as in syslog
	segment string
	role    string
	owner   string
	user    string // login of the person using it
	ua      string // the browser's user agent
	mac     string

	leftOn bool    // stays on at night and at weekends
	firstD int64   // JST day of its first use (the newcomer's first day)
	favs   []*site // the person's usual sites
	favW   []float64
	odd    bool // runs an app that tries to reach the internet directly
	bulky  bool // syncs big scans to cloud storage every day
	nextP  uint16
}

// Roles of the inventory.
const (
	roleGateway = "gateway"
	roleProxy   = "proxy"
	roleFile    = "file-server"
	roleApp     = "app-server"
	roleNAS     = "nas"
	roleSensor  = "ids-sensor"
	roleAdminPC = "admin-pc"
	rolePrinter = "printer"
	rolePC      = "pc"
)

// segment is one network of the office.
type segment struct {
	name   string
	prefix netip.Prefix
	use    string
}

// office is the organisation the demo writes the logs of.
type office struct {
	hosts    []*host // every machine, in inventory order
	segments []segment
	gw       *host
	proxy    *host
	fs       *host
	app      *host
	nas      *host
	sensor   *host
	admin    *host
	printer  *host
	pcs      []*host // the office PCs (not the admin PC)
	newcomer *host
	byIP     map[netip.Addr]*host

	sites *siteBook
}

var surnames = []string{"sato", "suzuki", "takahashi", "tanaka", "ito", "watanabe", "yamamoto", "nakamura", "kobayashi", "kato",
	"yoshida", "yamada", "sasaki", "yamaguchi", "matsumoto", "inoue", "kimura", "hayashi", "shimizu", "yamazaki",
	"mori", "abe", "ikeda", "hashimoto", "yamashita", "ishikawa", "nakajima", "maeda", "fujita", "ogawa"}

var departments = []string{"Sales", "Sales", "Sales", "Accounting", "General Affairs", "Engineering", "Engineering"}

var browsers = []string{
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
	"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/123.0.0.0 Safari/537.36 Edg/123.0.2420.97",
}

// pcAddr is the address of the i-th office PC: 200 per /24, in 10.0.10.0/24
// to 10.0.19.0/24, then 10.0.100.0/24 upwards.
func pcAddr(i int) netip.Addr {
	block, n := i/200, i%200
	third := 10 + block
	if block >= 10 {
		third = 100 + block - 10
	}
	return netip.AddrFrom4([4]byte{10, 0, byte(third), byte(21 + n)})
}

// newOffice builds the office of opts. r is the office's own random
// stream: the people, their habits and the choice of victim.
func newOffice(opts Options, first int64) *office {
	r := rand.New(rand.NewPCG(uint64(opts.Seed), 0x6f6666696365)) //nolint:gosec // G404: stream "office", reproducible from the seed; nothing here is secret
	o := &office{byIP: make(map[netip.Addr]*host), sites: newSiteBook()}
	mac := func() string {
		return fmt.Sprintf("%02x:%02x:%02x:%02x:%02x:%02x", 0x00, 0x1b, 0x21, r.IntN(256), r.IntN(256), r.IntN(256))
	}
	add := func(ip, name, seg, role, owner, user string) *host {
		h := &host{idx: len(o.hosts), ip: netip.MustParseAddr(ip), name: name, segment: seg, role: role, owner: owner, user: user, mac: mac(), firstD: -1 << 40}
		h.ipStr = h.ip.String()
		h.nextP = uint16(49152 + r.IntN(8000))
		o.hosts = append(o.hosts, h)
		o.byIP[h.ip] = h
		return h
	}
	admin := "yamada"
	o.gw = add("10.0.20.1", "gw01", "servers", roleGateway, "IT (yamada)", "")
	o.proxy = add("10.0.20.3", "proxy01", "servers", roleProxy, "IT (yamada)", "")
	o.fs = add("10.0.20.10", "fs01", "servers", roleFile, "IT (yamada)", "")
	o.app = add("10.0.20.11", "app01", "servers", roleApp, "IT (yamada)", "")
	o.nas = add("10.0.20.12", "nas01", "servers", roleNAS, "IT (yamada)", "")
	o.sensor = add("10.0.30.5", "sensor01", "admin", roleSensor, "IT (yamada)", "")
	o.admin = add("10.0.30.10", "adm-pc01", "admin", roleAdminPC, "IT (yamada)", admin)
	o.admin.ua = browsers[0]
	o.admin.leftOn = true
	o.printer = add("10.0.10.250", "mfp01", "office", rolePrinter, "General Affairs", "")
	for _, h := range []*host{o.gw, o.proxy, o.fs, o.app, o.nas, o.sensor} {
		h.leftOn = true
	}
	o.printer.leftOn = true

	npc := opts.Endpoints - len(o.hosts)
	lastThird := -1
	for i := range npc {
		ip := pcAddr(i)
		if third := int(ip.As4()[2]); third != lastThird {
			lastThird = third
			o.segments = append(o.segments, segment{name: "office", prefix: netip.PrefixFrom(netip.AddrFrom4([4]byte{10, 0, byte(third), 0}), 24), use: "office PCs"})
		}
		user := surnames[i%len(surnames)]
		if i >= len(surnames) {
			user = fmt.Sprintf("%s%d", user, i/len(surnames)+1)
		}
		dept := departments[r.IntN(len(departments))]
		h := add(ip.String(), fmt.Sprintf("pc-%03d", i+1), "office", rolePC, fmt.Sprintf("%s (%s)", user, dept), user)
		h.ua = browsers[r.IntN(len(browsers))]
		h.leftOn = r.IntN(10) < 3
		h.odd = r.IntN(10) < 2
		h.bulky = dept == "Accounting"
		o.choseHabits(h, r, dept)
		o.pcs = append(o.pcs, h)
	}
	o.segments = append(o.segments,
		segment{name: "servers", prefix: netip.MustParsePrefix("10.0.20.0/24"), use: "servers, gateway and proxy"},
		segment{name: "admin", prefix: netip.MustParsePrefix("10.0.30.0/24"), use: "IT administration and the IDS sensor"},
	)
	o.newcomer = o.pcs[len(o.pcs)-1]
	o.newcomer.firstD = first
	o.newcomer.leftOn = false
	return o
}

// choseHabits gives a person their usual sites.
func (o *office) choseHabits(h *host, r *rand.Rand, dept string) {
	n := 3 + r.IntN(4)
	seen := map[*site]bool{}
	for len(h.favs) < n {
		s := o.sites.personal[r.IntN(len(o.sites.personal))]
		if dept == "Engineering" && r.IntN(3) == 0 {
			s = o.sites.personal[20+r.IntN(5)] // the software-development and security sites
		}
		if seen[s] {
			continue
		}
		seen[s] = true
		h.favs = append(h.favs, s)
		h.favW = append(h.favW, 1+r.Float64()*4)
	}
}

// port returns the next ephemeral source port of h.
func (h *host) port() uint16 {
	h.nextP++
	if h.nextP < 49152 {
		h.nextP = 49152
	}
	return h.nextP
}

// isPC tells whether h is a Windows desktop.
func (h *host) isPC() bool { return h.role == rolePC || h.role == roleAdminPC }
