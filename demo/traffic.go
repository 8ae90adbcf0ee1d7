package demo

import (
	"fmt"
	"math/rand/v2"
	"strings"
)

// The user agents of Windows' own components.
const (
	uaWU       = "Windows-Update-Agent/10.0.10011.16384 Client-Protocol/2.71"
	uaBITS     = "Microsoft BITS/7.8"
	uaDefender = "MpCommunication"
	uaCrypto   = "Microsoft-CryptoAPI/10.0"
	uaNCSI     = "Microsoft NCSI"
	uaTelem    = "MSDW"
	uaGUpdate  = "Google Update/1.3.36.372;winhttp"
	uaOneDrive = "Microsoft SkyDriveSync 24.086.0428.0002 ship; Windows NT 10.0 (19045)"
	uaNAS      = "Synology-DSM/7.2.1"
)

func newRand(seed int64, stream uint64) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(seed), stream)) //nolint:gosec // G404: the demo must be reproducible from its seed; nothing here is secret
}

// browser is a person using the web through the proxy.
type browser struct {
	h *host
	r *rand.Rand
}

func (b *browser) act(g *gen, now int64) int64 {
	p, at := g.working(b.h, now)
	if !at {
		return g.nextArrival(b.h, now+minute) + between(b.r, 2*minute, 12*minute)
	}
	gap := int64(4 * minute)
	if now >= p.lunch && now < p.back {
		gap = 12 * minute
		if b.r.IntN(2) == 0 {
			return now + 20*second + expo(b.r, gap)
		}
	}
	g.visit(now, b.h, b.r)
	return now + 20*second + expo(b.r, gap)
}

// visit is one page view: the main site, a few CDN hosts, sometimes a
// certificate status check.
func (g *gen) visit(t int64, h *host, r *rand.Rand) {
	ss := g.o.sites
	x := r.Float64()
	var s *site
	switch {
	case x < 0.52 && len(h.favs) > 0:
		s = h.favs[weighted(r, h.favW)]
	case x < 0.90:
		s = ss.popular[weighted(r, ss.popularW)]
	case x < 0.975:
		s = ss.personal[r.IntN(len(ss.personal))]
	case x < 0.99:
		s = ss.blocked[r.IntN(len(ss.blocked))]
	default:
		g.tunnelTo(t, h, &request{method: "CONNECT", typo: typos[r.IntN(len(typos))], port: 443, ua: h.ua})
		return
	}
	if s == ss.sharepoint && (h.bulky && r.IntN(4) == 0 || r.IntN(10) == 0) {
		g.upload(t, h, r)
		return
	}
	dur := min(lognorm(r, 6e9, 1.3), 10*minute)
	if s.cat == "webmail" || s.cat == "business" {
		dur = min(lognorm(r, 60e9, 1.0), 30*minute)
	}
	g.tunnel(t, h, s, 443, h.ua, lognorm(r, 3500, 0.9), lognorm(r, 60e3, 1.2), dur)
	if s.blocked {
		return
	}
	for i := range r.IntN(4) {
		cdn := ss.cdn[r.IntN(len(ss.cdn))]
		g.tunnel(t+int64(i+1)*between(r, 80*ms, 700*ms), h, cdn, 443, h.ua, lognorm(r, 1500, 0.6), lognorm(r, 40e3, 1.3), lognorm(r, 3e9, 1.0))
	}
	if r.IntN(60) == 0 {
		// an old bookmark to a page that is gone
		g.fetch(t+between(r, 50*ms, 400*ms), h, &request{method: "GET", site: s, path: "/old/index.html", ua: h.ua, status: 404,
			recv: between(r, 900, 1500), mime: "text/html", elapsed: between(r, 30*ms, 200*ms)})
	}
	if r.IntN(8) == 0 {
		g.fetch(t+between(r, 50*ms, 400*ms), h, &request{method: "POST", site: ss.ocsp, path: "/", ua: uaCrypto,
			sent: 83, reqMime: "application/ocsp-request", recv: 471 + r.Int64N(1500), mime: "application/ocsp-response", elapsed: between(r, 20*ms, 120*ms)})
	}
}

// tunnelTo runs one CONNECT request on its own connection.
func (g *gen) tunnelTo(t int64, h *host, r *request) {
	c := g.openProxy(t, h)
	g.send(t+ms, c, r)
	g.closeProxy(c, 0)
}

// upload is a document sync to the office's cloud storage: big every day
// for the accounting staff who scan invoices, small for others.
func (g *gen) upload(t int64, h *host, r *rand.Rand) {
	size := lognorm(r, 2.5e6, 0.8)
	if h.bulky {
		size = lognorm(r, 120e6, 0.35)
	}
	dur := size/(6<<20)*second + between(r, 2*second, 10*second)
	g.tunnel(t, h, g.o.sites.sharepoint, 443, uaOneDrive, size, lognorm(r, 30e3, 0.5), dur)
}

// background is what a Windows PC does by itself while it is on: update
// and signature checks, the antivirus cloud, telemetry, the connectivity
// probe at start-up and, on a few PCs, an app that tries to reach the
// internet directly.
type background struct {
	h      *host
	r      *rand.Rand
	wasOn  bool
	timers [7]int64
	delta  int64 // the Defender update release last fetched
}

const (
	tmWU = iota
	tmDefender
	tmAV
	tmTelemetry
	tmBrowserUpdate
	tmCTL
	tmDirect
)

func (b *background) act(g *gen, now int64) int64 {
	if !g.on(b.h, now) {
		b.wasOn = false
		return g.nextOn(b.h, now+minute)
	}
	r := b.r
	if !b.wasOn {
		b.wasOn = true
		g.ncsi(now, b.h, r)
		b.timers = [7]int64{
			now + between(r, 2*minute, 15*minute),
			now + between(r, 1*minute, 10*minute),
			now + between(r, 30*second, 3*minute),
			now + between(r, 1*minute, 20*minute),
			now + between(r, 5*minute, 60*minute),
			now + between(r, 10*minute, 4*hour),
			never,
		}
		if b.h.odd {
			b.timers[tmDirect] = now + between(r, 10*minute, 5*hour)
		}
	}
	ss := g.o.sites
	for i, due := range b.timers {
		if due > now {
			continue
		}
		t := due
		switch i {
		case tmWU:
			g.tunnel(t, b.h, ss.wuScan, 443, uaWU, lognorm(r, 9e3, 0.4), lognorm(r, 25e3, 0.6), lognorm(r, 2e9, 0.5))
			if r.IntN(6) == 0 {
				g.tunnel(t+between(r, ms, 900*ms), b.h, ss.wuSLS, 443, uaWU, 1200, lognorm(r, 8e3, 0.3), between(r, 200*ms, 900*ms))
			}
			b.timers[i] = t + jitter(r, hour, 10.0/60)
		case tmDefender:
			g.tunnel(t, b.h, ss.defender, 443, uaDefender, 1500, lognorm(r, 4e3, 0.3), between(r, 150*ms, 700*ms))
			if rel := (t - g.start) / (8 * hour); rel != b.delta {
				b.delta = rel
				g.defenderDelta(t+between(r, 2*second, 20*second), b.h, rel)
			}
			b.timers[i] = t + jitter(r, hour, 10.0/60)
		case tmAV:
			g.tunnel(t, b.h, ss.avCloud, 443, uaDefender, lognorm(r, 2500, 0.3), lognorm(r, 5e3, 0.3), between(r, 100*ms, 600*ms))
			b.timers[i] = t + jitter(r, 30*minute, 2.0/30)
		case tmTelemetry:
			g.tunnel(t, b.h, ss.telemetry, 443, uaTelem, lognorm(r, 12e3, 0.8), 3800, between(r, 200*ms, 2*second))
			b.timers[i] = t + between(r, 15*minute, 45*minute)
		case tmBrowserUpdate:
			g.tunnel(t, b.h, ss.gUpdate, 443, uaGUpdate, 2100, lognorm(r, 3e3, 0.4), between(r, 150*ms, 900*ms))
			b.timers[i] = t + jitter(r, 5*hour, 0.2)
		case tmCTL:
			g.fetch(t, b.h, &request{method: "GET", site: ss.ctl, path: "/msdownload/update/v3/static/trustedr/en/authrootstl.cab",
				ua: uaCrypto, recv: 60144, mime: "application/vnd.ms-cab-compressed", elapsed: between(r, 30*ms, 300*ms),
				cache: true, fileKey: fmt.Sprintf("authrootstl.cab/%d", (t-g.start)/(3*day))})
			b.timers[i] = t + jitter(r, day, 0.1)
		case tmDirect:
			g.misconfigured(t, b.h, r)
			b.timers[i] = t + jitter(r, day, 0.3)
		}
	}
	next := never
	for _, t := range b.timers {
		next = min(next, t)
	}
	return next
}

// ncsi is Windows' network connectivity probe when a PC starts.
func (g *gen) ncsi(t int64, h *host, r *rand.Rand) {
	ss := g.o.sites
	g.pcLookup(t, h, ss.ncsi)
	g.fetch(t+between(r, 20*ms, 200*ms), h, &request{method: "GET", site: ss.ncsi, path: "/connecttest.txt", ua: uaNCSI,
		recv: 22, mime: "text/plain", elapsed: between(r, 20*ms, 150*ms), fileKey: "connecttest.txt"})
}

// defenderDelta downloads a Microsoft Defender definition update, an
// executable, from the usual update host. Every PC fetches the same file,
// the first from the internet and the rest from the proxy's cache.
func (g *gen) defenderDelta(t int64, h *host, release int64) {
	start := toTime(g.start).In(jst)
	ver := fmt.Sprintf("1.%d.%d.0", 409+release/30, 120+release%30*7)
	hash := fmt.Sprintf("%x", uint32(release*2654435761)^0x5bd1e995)
	name := fmt.Sprintf("am_delta_patch_%s_%s%s.exe", ver, hash, hash)
	path := fmt.Sprintf("/c/msdownload/update/software/defu/%d/%02d/%s", start.Year(), int(start.Month()), name)
	size := 180000 + (release*7919)%900000
	g.fetch(t, h, &request{method: "GET", site: g.o.sites.wuDownload, path: path, ua: uaBITS, recv: size,
		mime: "application/octet-stream", elapsed: between(g.ids, 80*ms, 900*ms), cache: true, fileKey: "defu/" + name, pe: true})
}

// misconfigured is a PC's app that looks up the Windows time server and
// tries to reach it directly; the firewall drops it.
func (g *gen) misconfigured(t int64, h *host, r *rand.Rand) {
	a := g.pcLookup(t, h, g.o.sites.timeMS)
	t += a.rtt + between(r, ms, 5*ms)
	for i := range 1 + r.IntN(2) {
		c := &connRec{proto: "udp", service: "-", dur: -1, ob: 48, rb: 0, state: "S0", localResp: false, history: "D", opk: 1}
		g.pcDirect(t+int64(i)*between(r, 900*ms, 2*second), h, g.o.sites.timeMS.ipStrs[0], "UDP", 123, false, c)
	}
}

// documents are the files people keep on the share.
var documents = []struct {
	name string
	size int64
}{
	{`営業部\2026\見積書_0423.xlsx`, 48211},
	{`営業部\2026\提案書_新規取引.pptx`, 2811904},
	{`営業部\顧客リスト.xlsx`, 391772},
	{`経理部\請求書_控え_2026-03.pdf`, 1203344},
	{`経理部\月次報告_2026-02.xlsx`, 220117},
	{`総務部\議事録_定例会議.docx`, 35920},
	{`総務部\社内規程\就業規則.pdf`, 884006},
	{`開発部\設計書_v3.docx`, 512880},
	{`共有\テンプレート\報告書.dotx`, 44103},
	{`共有\スキャン\scan_0007.pdf`, 3377410},
}

// share is a PC's day on the file server: mapping \\FS01\share in the
// morning and opening, saving and printing documents until evening.
type share struct {
	h      *host
	r      *rand.Rand
	f      flow
	day    int64
	mapped bool
}

func (s *share) act(g *gen, now int64) int64 {
	p, at := g.working(s.h, now)
	if !at {
		s.mapped = false
		return g.nextArrival(s.h, now+minute) + between(s.r, 3*minute, 6*minute)
	}
	if !s.mapped || s.day != localDay(now) {
		s.mapped, s.day = true, localDay(now)
		g.mapShare(now, s, p.leave)
		return now + expo(s.r, 20*minute) + minute
	}
	g.document(now, s)
	return now + expo(s.r, 25*minute) + 30*second
}

// mapShare connects a PC to the file server for the day.
func (g *gen) mapShare(t int64, s *share, until int64) {
	r := s.r
	fs := g.o.fs
	a := g.local(t, s.h.ipStr, fs)
	g.sensorDNS(t, s.h, fs.name+"."+internalDomain, a)
	t += a.rtt + between(r, ms, 20*ms)
	s.f = flow{uid: g.uid('C'), orig: s.h.ipStr, origP: s.h.port(), resp: fs.ipStr, respP: 445}
	g.conn(t, &connRec{flow: s.f, proto: "tcp", service: "smb,gssapi,ntlm", dur: until - t + between(r, 0, 5*minute),
		ob: lognorm(r, 6e6, 0.6), rb: lognorm(r, 30e6, 0.7), state: "SF", localResp: true, history: "ShADadfF"})
	g.smbMap(t+between(r, 5*ms, 30*ms), &s.f, `\\FS01\IPC$`, "PIPE")
	g.dceRPC(t+between(r, 40*ms, 80*ms), &s.f, between(r, 300*us, 2*ms), `\pipe\srvsvc`, "srvsvc", "NetrShareGetInfo")
	g.smbMap(t+between(r, 90*ms, 200*ms), &s.f, `\\FS01\share`, "DISK")
}

// document opens a document on the share and reads or saves it; now and
// then it goes to the printer.
func (g *gen) document(t int64, s *share) {
	r := s.r
	d := documents[r.IntN(len(documents))]
	fuid := g.uid('F')
	path := `\\FS01\share`
	size := d.size + r.Int64N(4096)
	modified := t - between(r, hour, 60*day)
	g.smbFile(t, &s.f, fuid, "SMB::FILE_OPEN", path, d.name, size, modified)
	action, isOrig := "SMB::FILE_READ", false
	if r.IntN(3) == 0 {
		action, isOrig = "SMB::FILE_WRITE", true
	}
	dur := between(r, 20*ms, 2*second)
	if isOrig {
		modified = t + dur/2
	}
	g.smbFile(t+dur/2, &s.f, fuid, action, path, d.name, size, modified)
	g.filesLog(t+dur/2, &fileRec{flow: s.f, fuid: fuid, source: "SMB", mime: mimeOf(d.name), name: d.name, dur: dur, isOrig: isOrig, size: size, key: d.name})
	g.smbFile(t+dur, &s.f, fuid, "SMB::FILE_CLOSE", path, d.name, size, modified)
	if r.IntN(6) == 0 {
		pt := t + dur + between(r, 20*second, 3*minute)
		f := flow{uid: g.uid('C'), orig: s.h.ipStr, origP: s.h.port(), resp: g.o.printer.ipStr, respP: 9100}
		g.conn(pt, &connRec{flow: f, proto: "tcp", service: "-", dur: between(r, 2*second, 20*second), ob: size * 2, rb: 0, state: "SF", localResp: true, history: "ShADfFa"})
	}
}

func mimeOf(name string) string {
	switch {
	case strings.HasSuffix(name, ".pdf"):
		return "application/pdf"
	case strings.HasSuffix(name, ".exe"):
		return "application/x-dosexec"
	case strings.HasSuffix(name, ".docx"), strings.HasSuffix(name, ".dotx"):
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case strings.HasSuffix(name, ".pptx"):
		return "application/vnd.openxmlformats-officedocument.presentationml.presentation"
	}
	return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
}

// cloudSync is the accounting staff's daily scan upload: on every day at
// the desk, once in the morning and once in the afternoon, a 100+ MB sync
// to the office's cloud storage. It is what normal business looks like in
// the hours an exfiltration would show, so the baseline must see it.
type cloudSync struct {
	h       *host
	r       *rand.Rand
	started bool
}

func (c *cloudSync) act(g *gen, now int64) int64 {
	if !c.started {
		c.started = true
		return g.nextArrival(c.h, now) + between(c.r, 30*minute, 2*hour)
	}
	if p, ok := g.working(c.h, now); ok && g.on(c.h, now) && now < p.leave-10*minute {
		g.upload(now, c.h, c.r)
	}
	// Next: later today (after lunch) or tomorrow morning.
	d := localDay(now)
	p := g.planFor(c.h, d)
	if p.works && now < p.back {
		return p.back + between(c.r, 20*minute, 2*hour)
	}
	for next := d + 1; next < d+30; next++ {
		if q := g.planFor(c.h, next); q.works {
			return q.arrive + between(c.r, 30*minute, 2*hour)
		}
	}
	return now + 30*day
}
