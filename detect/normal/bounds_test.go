package normal

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// churn is a week of hostile variety: every event from a new internal
// address, to a new internet address and name, with a new user agent, a
// new query, a new file and a new DNS answer.
func churn(n int, fn func(*event.Event)) {
	base := t0
	for i := range n {
		a := byte(i >> 16)
		ep := netip.AddrFrom4([4]byte{10, a, byte(i >> 8), byte(i)})
		far := netip.AddrFrom4([4]byte{81, a, byte(i >> 8), byte(i)})
		tm := base.Add(time.Duration(i) * 3 * time.Second) // a week at 200k events
		host := fmt.Sprintf("h%d.example%d.com", i, i%5000)
		ua := fmt.Sprintf("tool%d/%d.0 (build %x)", i, i%7, i*2654435761)
		for _, ev := range []*event.Event{
			{Time: tm, Kind: event.KindDNS, Format: "dnsmasq", SrcIP: ep, Query: host, Answers: []string{far.String()}},
			{Time: tm, Kind: event.KindHTTP, Format: "squid", SrcIP: ep, DstIP: far, DstPort: uint16(1024 + i%60000), Method: "CONNECT",
				URL: fmt.Sprintf("%s:%d", host, 1024+i%60000), Domain: host, UserAgent: ua, Status: 200},
			{Time: tm, Kind: event.KindHTTP, Format: "zeek.http", SrcIP: ep, DstIP: far, DstPort: 80, Method: "PUT",
				URL: fmt.Sprintf("http://%s/up/f%d.z%02d?q=%x", host, i, i%100, i*7919), Domain: host, UserAgent: ua, BytesOut: 1 << 30},
			{Time: tm, Kind: event.KindConnection, Format: "netfilter", SrcIP: ep, DstIP: far, DstPort: uint16(1 + i%65000), Transport: "tcp", Action: event.ActionAllow},
			{Time: tm, Kind: event.KindConnection, Format: "zeek.conn", SrcIP: ep, DstIP: netip.AddrFrom4([4]byte{10, 200, byte(i >> 8), byte(i)}), DstPort: uint16(1 + i%49000), Transport: "tcp"},
			{Time: tm, Kind: event.KindSMB, Format: "zeek.smb_files", SrcIP: ep, DstIP: netip.AddrFrom4([4]byte{10, 201, byte(i >> 8), byte(i)}), DstPort: 445,
				Method: "SMB::FILE_WRITE", FileName: fmt.Sprintf(`\\x\ADMIN$\%d.exe`, i)},
		} {
			ev.Endpoint = ep
			fn(ev)
		}
	}
}

// TestBounded feeds each rule a week of distinct keys, while learning and
// after, and checks that every table it keeps stays within its bound.
func TestBounded(t *testing.T) {
	n := 70_000 // more than the largest bound, 1<<16
	if testing.Short() || raceEnabled {
		n = 20_000 // past the smaller bounds only
	}
	env := engineEnv(t)
	for _, f := range Factories() {
		t.Run(f.Rule, func(t *testing.T) {
			d := f.New(detect.Params{}, env)
			l := d.(detect.Learner)
			em := detect.NewEmitter(d.Rule())
			tk, _ := d.(detect.Ticker)
			i := 0
			churn(n, func(ev *event.Event) {
				if i++; i < 3*n { // half of it while learning
					l.Learn(ev)
					return
				}
				d.Observe(ev, em)
				if tk != nil && i%600 == 0 {
					tk.Tick(ev.Time, em)
					em.Findings()
				}
			})
			for name, c := range sizes(d) {
				if c.n > c.max {
					t.Errorf("%s holds %d, bound %d", name, c.n, c.max)
				}
				if testing.Verbose() {
					t.Logf("%-22s %7d / %d", name, c.n, c.max)
				}
			}
		})
	}
}

type size struct{ n, max int }

// sizes lists what a rule keeps and its bound.
func sizes(d detect.Detector) map[string]size {
	out := map[string]size{}
	var r *rule
	profile := func(name string, p *detect.SetProfile) {
		maxVals := 0
		for _, v := range p.Endpoints {
			maxVals = max(maxVals, len(v))
		}
		out[name+" endpoints"] = size{len(p.Endpoints) + len(p.Saturated), 1 << 16}
		out[name+" values/endpoint"] = size{maxVals, p.MaxValues}
		out[name+" org values"] = size{len(p.Org), 200_000}
	}
	rel := func(x *relays) {
		out["relays"] = size{len(x.known), maxRelays}
		out["proxy clients"] = size{x.clients.Len(), 1 << 16}
		out["upstreams"] = size{x.upstream.Len(), 8192}
		out["relay scores"] = size{x.scores.Len(), 4096}
	}
	switch x := d.(type) {
	case *country:
		r = &x.rule
		profile("countries", x.prof)
		rel(x.relays)
		out["geo cache"] = size{x.geo.Len(), 1 << 16}
	case *internalSvc:
		r = &x.rule
		profile("exact", x.exact)
		profile("class", x.class)
		out["value names"] = size{len(x.names), 1 << 16}
	case *app:
		r = &x.rule
		profile("agents", x.prof)
		out["agent cache"] = size{x.agent.Len(), 8192}
		out["products"] = size{len(x.versions), maxProducts}
		for _, m := range x.versions {
			out["majors"] = size{max(out["majors"].n, len(m)), maxMajors}
		}
	case *siteCategory:
		r = &x.rule
		profile("categories", x.prof)
		out["category cache"] = size{x.cats.Len(), 1 << 15}
	case *port:
		r = &x.rule
		profile("ports", x.prof)
		rel(x.relays)
		out["port names"] = size{len(x.names), 1 << 16}
	case *exeSource:
		r = &x.rule
		profile("sites", x.prof)
	case *uploadType:
		r = &x.rule
		profile("types", x.prof)
	case *ipDirect:
		r = &x.rule
		profile("addresses", x.prof)
	case *query:
		r = &x.rule
		out["sites"] = size{len(x.sites), x.maxSites}
	case *connectPort:
		r = &x.rule
		profile("ports", x.prof)
	case *lanExe:
		r = &x.rule
		profile("classes", x.prof)
		out["copies"] = size{x.copies.Len(), 4096}
		out["active"] = size{x.active.Len(), 4096}
	case *bypass:
		r = &x.rule
		profile("destinations", x.prof)
		rel(x.relays)
	case *noDNS:
		r = &x.rule
		profile("unresolved", x.prof)
		rel(x.relays)
		out["answers"] = size{x.resolved.Len(), 200_000}
		out["resolved by anyone"] = size{x.anyone.Len(), 100_000}
		out["endpoints with lookups"] = size{x.lookups.Len(), 1 << 16}
		out["pending"] = size{x.pending.Len(), 4096}
	}
	out["endpoint cache"] = size{len(r.eps.m), r.eps.max}
	out["limiter keys"] = size{r.lim.seen.Len(), 1 << 14}
	out["limiter queue"] = size{len(r.lim.queue), 4 << 14}
	return out
}
