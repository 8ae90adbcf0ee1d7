package demo

import (
	"math/rand/v2"
	"net/netip"
	"net/url"
)

// The attacker's names and files.
const (
	deliveryFile = "請求書_2026.pdf.exe"
	sinkholed    = "mail-sync.hopto.org" // parked C2 name, sinkholed in dnsmasq's configuration
	uaMalware    = "Mozilla/4.0 (compatible; MSIE 8.0; Windows NT 6.1; Trident/4.0)"
	uaExfil      = "rclone/v1.66.0"
	payloadKey   = "attack/update.exe" // content identity of the second stage and the copies it spreads
	payloadSize  = 286720
	c2Port       = 8443
)

// plan is the attack of one demo: who, when and with what names.
type plan struct {
	T                    int64
	victim, peerA, peerB *host

	delivery, foothold, beacon, sink                                int64
	fanout, spreadA, spreadB, peerC2, brute, collect, exfil, bypass int64

	exeA, exeB, svcA, svcB string
	exfilSize              int64
}

// newPlan places the attack around the anchor T. The delivery comes in
// the victim's working hours between 20 h and 9 h 40 min before T when
// there are such hours, else exactly 9 h 40 min before T.
func newPlan(g *gen, T int64) *plan {
	o := g.o
	r := newRand(g.opts.Seed, 0x61747461636b) // "attack"
	n := len(o.pcs) - 1                       // not the newcomer
	perm := r.Perm(n)
	p := &plan{T: T, victim: o.pcs[perm[0]], peerA: o.pcs[perm[1]], peerB: o.pcs[perm[2]]}
	p.victim.leftOn = true

	p.delivery = T - 9*hour - 40*minute
	for t := p.delivery; t >= T-20*hour; t -= 10 * minute {
		if dp := g.planFor(p.victim, localDay(t)); dp.works && t >= dp.arrive+30*minute && t <= dp.leave-30*minute && (t < dp.lunch || t >= dp.back) {
			p.delivery = t + between(r, 0, 9*minute)
			break
		}
	}
	p.foothold = p.delivery + 3*minute + between(r, 0, 60*second)
	p.beacon = p.foothold + 2*minute + between(r, 0, 30*second)
	p.sink = p.foothold + 4*minute + between(r, 0, 60*second)

	p.fanout = T + 5*second
	p.spreadA = T + 18*second
	p.spreadB = T + 24*second
	p.peerC2 = T + 30*second
	p.brute = T + 32*second
	p.collect = T + 45*second
	p.exfil = T + 48*second
	p.bypass = T + 52*second

	letters := func(k int) string {
		const abc = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		b := make([]byte, k)
		for i := range b {
			b[i] = abc[r.IntN(len(abc))]
		}
		return string(b)
	}
	p.exeA, p.exeB = letters(8)+".exe", letters(8)+".exe"
	p.svcA, p.svcB = letters(4), letters(4)
	p.exfilSize = between(r, 280e6, 380e6)
	return p
}

func (p *plan) deliveryURL() string {
	return "/s/" + url.PathEscape(deliveryFile)
}

// script runs one-off steps at their times.
type script struct {
	steps []scriptStep
}

type scriptStep struct {
	at  int64
	run func(g *gen, t int64)
}

func (s *script) act(g *gen, now int64) int64 {
	for len(s.steps) > 0 && s.steps[0].at <= now {
		st := s.steps[0]
		s.steps = s.steps[1:]
		st.run(g, now)
	}
	if len(s.steps) == 0 {
		return never
	}
	return s.steps[0].at
}

// actors returns the attack's actors with their first times.
func (p *plan) actors(g *gen) []scheduled {
	r := newRand(g.opts.Seed, 0x7374657073) // "steps"
	ss := g.o.sites
	v := p.victim
	steps := []scriptStep{
		{p.delivery - 50*second, func(g *gen, t int64) {
			// the lure arrives by mail; the victim opens the link from webmail
			g.tunnel(t, v, ss.webmail, 443, v.ua, lognorm(r, 9e3, 0.3), lognorm(r, 180e3, 0.4), between(r, 20*second, 45*second))
		}},
		{p.delivery, func(g *gen, t int64) {
			g.fetch(t, v, &request{method: "GET", site: ss.delivery, path: p.deliveryURL(), ua: v.ua, recv: 734208,
				mime: "application/octet-stream", elapsed: between(r, 1200*ms, 2500*ms), fileName: deliveryFile, fileKey: "attack/invoice", pe: true})
		}},
		{p.foothold, func(g *gen, t int64) {
			g.fetch(t, v, &request{method: "GET", ip: addrFoothold.String(), path: "/update.exe", ua: uaMalware, recv: payloadSize,
				mime: "application/x-msdownload", elapsed: between(r, 700*ms, 1600*ms), fileKey: payloadKey, pe: true})
		}},
		{p.fanout, func(g *gen, t int64) { g.fanout(t, p, r) }},
		{p.spreadA, func(g *gen, t int64) { g.psexec(t, v, p.peerA, p.exeA, r) }},
		{p.spreadB, func(g *gen, t int64) { g.psexec(t, v, p.peerB, p.exeB, r) }},
		{p.peerC2, func(g *gen, t int64) {
			a := g.sinkhole(t, p.peerB.ipStr, sinkholed)
			g.sensorDNS(t, p.peerB, sinkholed, a)
		}},
		{p.brute, func(g *gen, t int64) { g.bruteForce(t, v, g.o.fs, r) }},
		{p.collect, func(g *gen, t int64) { g.collect(t, v, r) }},
		{p.exfil, func(g *gen, t int64) {
			g.tunnel(t, v, ss.exfil, 443, uaExfil, p.exfilSize, lognorm(r, 60e3, 0.3), between(r, 8*second, 9*second))
		}},
		{p.bypass, func(g *gen, t int64) {
			for i := range 3 {
				c := &connRec{proto: "tcp", service: "ssl", dur: between(r, 800*ms, 2500*ms), ob: lognorm(r, 40e3, 0.4), rb: lognorm(r, 5e3, 0.3),
					state: "SF", localResp: false, history: "ShADadFf"}
				g.pcDirect(t+int64(i)*between(r, 1500*ms, 2500*ms), v, addrBypass.String(), "TCP", 443, true, c)
			}
		}},
	}
	return []scheduled{
		{at: steps[0].at, a: &script{steps: steps}},
		{at: p.beacon, a: &beacon{h: v, r: newRand(g.opts.Seed, 0x62656163306e)}},
		{at: p.peerC2 + 2*second, a: &beacon{h: p.peerB, r: newRand(g.opts.Seed, 0x62656163316e)}},
		{at: p.sink, a: &sinkLookups{h: v, r: newRand(g.opts.Seed, 0x73696e6b)}},
	}
}

// beacon is the implant calling its C2 through the proxy every ~300 s.
type beacon struct {
	h *host
	r *rand.Rand
}

func (b *beacon) act(g *gen, now int64) int64 {
	r := b.r
	g.tunnel(now, b.h, g.o.sites.c2, c2Port, uaMalware, lognorm(r, 1300, 0.12), lognorm(r, 4800, 0.15), between(r, 300*ms, 1200*ms))
	return now + jitter(r, 300*second, 0.1)
}

// sinkLookups is the implant resolving its parked C2 name every ~10 min;
// dnsmasq answers 0.0.0.0 from its configuration.
type sinkLookups struct {
	h *host
	r *rand.Rand
}

func (s *sinkLookups) act(g *gen, now int64) int64 {
	a := g.sinkhole(now, s.h.ipStr, sinkholed)
	g.sensorDNS(now, s.h, sinkholed, a)
	return now + jitter(s.r, 600*second, 0.1)
}

// fanout probes TCP 445 on the victim's own segment and on the server
// segment: existing PCs drop (S0), other hosts reset (REJ), SMB servers
// accept and are reset by the scanner.
func (g *gen) fanout(t int64, p *plan, r *rand.Rand) {
	v := p.victim
	own := v.ip.As4()
	var targets []netip.Addr
	for i := 1; i < 255; i++ {
		a := netip.AddrFrom4([4]byte{own[0], own[1], own[2], byte(i)}) //nolint:gosec // G602: own is a [4]byte; constant indices are checked by the compiler (securego/gosec#1495)
		if a != v.ip && g.o.byIP[a] != nil {
			targets = append(targets, a)
		}
	}
	for i := 1; i < 255; i++ {
		targets = append(targets, netip.AddrFrom4([4]byte{10, 0, 20, byte(i)}))
	}
	for _, a := range targets {
		t += between(r, 15*ms, 45*ms)
		f := flow{uid: g.uid('C'), orig: v.ipStr, origP: v.port(), resp: a.String(), respP: 445}
		c := &connRec{flow: f, proto: "tcp", service: "-", localResp: true}
		h := g.o.byIP[a]
		switch {
		case h == g.o.fs || h == g.o.nas || h == p.peerA || h == p.peerB:
			c.dur, c.ob, c.rb, c.state, c.history, c.opk, c.rpk = between(r, 300*us, 2*ms), 0, 0, "RSTO", "ShAR", 2, 1
		case h != nil && h.isPC():
			c.dur, c.ob, c.rb, c.state, c.history, c.opk = between(r, 900*ms, 1100*ms), 0, 0, "S0", "S", 2
		case h != nil || a.As4()[3]%5 == 0:
			c.dur, c.ob, c.rb, c.state, c.history, c.opk, c.rpk = between(r, 200*us, 900*us), 0, 0, "REJ", "Sr", 1, 1
		default:
			c.dur, c.ob, c.rb, c.state, c.history, c.opk = -1, 0, 0, "S0", "S", 1
		}
		g.conn(t, c)
	}
}

// psexec copies the implant to a peer's ADMIN$ share and runs it as a
// service through the service control manager (impacket psexec style).
// The service's name is in no log the sensor writes: dce_rpc.log names
// only the operations.
func (g *gen) psexec(t int64, from, to *host, exe string, r *rand.Rand) {
	f := flow{uid: g.uid('C'), orig: from.ipStr, origP: from.port(), resp: to.ipStr, respP: 445}
	g.conn(t, &connRec{flow: f, proto: "tcp", service: "gssapi,smb,dce_rpc,ntlm", dur: between(r, 4*second, 6*second),
		ob: payloadSize + lognorm(r, 18e3, 0.2), rb: lognorm(r, 14e3, 0.2), state: "SF", localResp: true, history: "ShADadfF"})
	ipc := `\\` + to.ipStr + `\IPC$`
	admin := `\\` + to.ipStr + `\ADMIN$`
	t += between(r, 20*ms, 60*ms)
	g.smbMap(t, &f, ipc, "PIPE")
	t += between(r, 20*ms, 60*ms)
	g.smbMap(t, &f, admin, "DISK")
	fuid := g.uid('F')
	t += between(r, 10*ms, 30*ms)
	g.smbFile(t, &f, fuid, "SMB::FILE_OPEN", admin, exe, 0, -1)
	w := between(r, 200*ms, 700*ms)
	g.smbFile(t+w, &f, fuid, "SMB::FILE_WRITE", admin, exe, payloadSize, t)
	g.filesLog(t+w, &fileRec{flow: f, fuid: fuid, source: "SMB", mime: "application/x-dosexec", name: exe, dur: w, isOrig: true, size: payloadSize, key: payloadKey, pe: true})
	t += w + between(r, 5*ms, 20*ms)
	g.smbFile(t, &f, fuid, "SMB::FILE_CLOSE", admin, exe, payloadSize, t)
	t += between(r, 20*ms, 60*ms)
	g.smbFile(t, &f, "", "SMB::FILE_OPEN", "", `\svcctl`, 0, -1)
	t += between(r, 5*ms, 20*ms)
	for _, op := range []string{"OpenSCManagerW", "CreateServiceW", "StartServiceW", "CloseServiceHandle", "CloseServiceHandle"} {
		rtt := between(r, 400*us, 3*ms)
		if op == "StartServiceW" {
			rtt = between(r, 30*ms, 90*ms)
		}
		g.dceRPC(t, &f, rtt, `\pipe\ntsvcs`, "svcctl", op)
		t += rtt + between(r, 2*ms, 30*ms)
	}
}

// bruteForce guesses SSH passwords on the file server: a few accounts,
// three tries per connection, until the backup account's password works.
func (g *gen) bruteForce(t int64, from, srv *host, r *rand.Rand) {
	src := from.ipStr
	users := []string{"root", "admin", "administrator", "fsadmin", "test", "backup"}
	valid := map[string]bool{"root": true, "backup": true}
	for ui, user := range users {
		for conn := range 2 {
			pid := g.pid(srv.name)
			port := from.port()
			ps := itoa(int(port))
			start := t
			f := flow{uid: g.uid('C'), orig: src, origP: port, resp: srv.ipStr, respP: 22}
			if !valid[user] {
				g.authLine(t, srv.name, "sshd", pid, "Invalid user ", user, " from ", src, " port ", ps)
			}
			success := false
			for try := range 3 {
				t += between(r, 120*ms, 260*ms)
				if ui == len(users)-1 && conn == 1 && try == 1 {
					g.authLine(t, srv.name, "sshd", pid, "Accepted password for ", user, " from ", src, " port ", ps, " ssh2")
					g.authLine(t, srv.name, "sshd", pid, "pam_unix(sshd:session): session opened for user ", user, "(uid=1001) by (uid=0)")
					g.sessions[srv.name]++
					g.authLine(t+between(r, 5*ms, 30*ms), srv.name, "systemd-logind", logind[srv.name], "New session ", itoa(g.sessions[srv.name]), " of user ", user, ".")
					success = true
					break
				}
				if valid[user] {
					g.authLine(t, srv.name, "sshd", pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=", src, "  user=", user)
					g.authLine(t+between(r, 20*ms, 60*ms), srv.name, "sshd", pid, "Failed password for ", user, " from ", src, " port ", ps, " ssh2")
				} else {
					g.authLine(t, srv.name, "sshd", pid, "pam_unix(sshd:auth): check pass; user unknown")
					g.authLine(t, srv.name, "sshd", pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=", src, " ")
					g.authLine(t+between(r, 20*ms, 60*ms), srv.name, "sshd", pid, "Failed password for invalid user ", user, " from ", src, " port ", ps, " ssh2")
				}
			}
			t += between(r, 60*ms, 120*ms)
			if success {
				g.conn(start, &connRec{flow: f, proto: "tcp", service: "ssh", dur: 10 * minute, ob: lognorm(r, 90e3, 0.3), rb: lognorm(r, 3e6, 0.3),
					state: "SF", localResp: true, history: "ShAdDaFf"})
				return
			}
			if valid[user] {
				g.authLine(t, srv.name, "sshd", pid, "Connection closed by authenticating user ", user, " ", src, " port ", ps, " [preauth]")
				g.authLine(t, srv.name, "sshd", pid, "PAM 2 more authentication failures; logname= uid=0 euid=0 tty=ssh ruser= rhost=", src, "  user=", user)
			} else {
				g.authLine(t, srv.name, "sshd", pid, "Connection closed by invalid user ", user, " ", src, " port ", ps, " [preauth]")
			}
			g.conn(start, &connRec{flow: f, proto: "tcp", service: "ssh", dur: t - start, ob: lognorm(r, 2600, 0.1), rb: lognorm(r, 3100, 0.1),
				state: "SF", localResp: true, history: "ShAdDaFf"})
			t += between(r, 10*ms, 40*ms)
		}
	}
}

// collect is the attacker reading the share's documents in a burst before
// packing them for upload.
func (g *gen) collect(t int64, v *host, r *rand.Rand) {
	fs := g.o.fs
	f := flow{uid: g.uid('C'), orig: v.ipStr, origP: v.port(), resp: fs.ipStr, respP: 445}
	var total int64
	for _, d := range documents {
		total += d.size
	}
	g.conn(t, &connRec{flow: f, proto: "tcp", service: "smb,gssapi,ntlm", dur: 3 * second, ob: lognorm(r, 40e3, 0.2), rb: total + 60e3,
		state: "SF", localResp: true, history: "ShADadfF"})
	g.smbMap(t+between(r, 5*ms, 20*ms), &f, `\\FS01\share`, "DISK")
	t += 30 * ms
	for _, d := range documents {
		fuid := g.uid('F')
		modified := t - between(r, hour, 60*day)
		g.smbFile(t, &f, fuid, "SMB::FILE_OPEN", `\\FS01\share`, d.name, d.size, modified)
		g.smbFile(t+20*ms, &f, fuid, "SMB::FILE_READ", `\\FS01\share`, d.name, d.size, modified)
		g.filesLog(t+20*ms, &fileRec{flow: f, fuid: fuid, source: "SMB", mime: mimeOf(d.name), name: d.name, dur: 40 * ms, size: d.size, key: d.name})
		t += between(r, 150*ms, 300*ms)
	}
}

// iocLines are the demo's trail file: one domain, one ip:port and one
// file hash of the attacker, and decoys that never appear in the logs.
func iocLines() []string {
	return []string{
		"# mamori demo trail (maltrail style): made-up indicators for the built-in demo.",
		"# Not threat intelligence: the addresses are documentation or GeoIP test networks.",
		"# Reference: mamori demo scenario \"invoice lure\"",
		siteC2Name,
		addrFoothold.String() + ":80",
		sha256Hex(payloadKey),
		"",
		"# decoys: never seen in the demo",
		"cdn-sync.servehttp.com",
		"update-check.zapto.org",
		"192.0.2.200:4444",
		"198.51.100.201:8080",
		sha256Hex("decoy/loader.dll"),
		sha256Hex("decoy/stealer.exe"),
	}
}

const (
	siteC2Name    = "kx7-update.duckdns.org"
	siteExfilName = "content.dropboxapi.com"
)
