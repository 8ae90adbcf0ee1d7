package demo

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
)

// adminWork is the IT administrator's day: SSH sessions to the servers
// (public key; a mistyped password now and then where a server still
// takes passwords) and, every other day, a remote look at a PC's Windows
// Update service through the service control manager.
type adminWork struct {
	h    *host
	r    *rand.Rand
	day  int64
	todo []int64 // today's remaining session starts; the sign bit marks a service check
}

// Flags on the times of adminWork.todo.
const (
	serviceCheck = int64(1) << 62
	mondayLogin  = int64(1) << 61
	todoFlags    = serviceCheck | mondayLogin
)

func (a *adminWork) act(g *gen, now int64) int64 {
	if d := localDay(now); d != a.day {
		a.day = d
		a.todo = a.todo[:0]
		if p := g.planFor(a.h, d); p.works && isWorkday(d) {
			for range 1 + a.r.IntN(4) {
				a.todo = append(a.todo, between(a.r, p.arrive+20*minute, p.leave-45*minute))
			}
			if weekday(d) == 1 {
				// Monday morning: the business application server first
				a.todo = append(a.todo, p.arrive+between(a.r, 5*minute, 15*minute)|mondayLogin)
			}
			if d%2 == 0 {
				a.todo = append(a.todo, between(a.r, p.arrive+30*minute, p.leave-30*minute)|serviceCheck)
			}
			slices.SortFunc(a.todo, func(x, y int64) int { return cmpInt(x&^todoFlags, y&^todoFlags) })
		}
	}
	for len(a.todo) > 0 && a.todo[0]&^todoFlags <= now {
		item := a.todo[0]
		a.todo = a.todo[1:]
		switch {
		case item&serviceCheck != 0:
			g.serviceQuery(now, a.h, g.o.pcs[a.r.IntN(len(g.o.pcs)-1)], a.r)
		case item&mondayLogin != 0:
			g.adminSSH(now, a.h, g.o.app, true, a.r)
		default:
			srv := []*host{g.o.fs, g.o.fs, g.o.app, g.o.proxy}[a.r.IntN(4)]
			g.adminSSH(now, a.h, srv, srv == g.o.app && a.r.IntN(5) == 0, a.r)
		}
	}
	if len(a.todo) > 0 {
		return a.todo[0] &^ todoFlags
	}
	return dayStart(a.day+1) + 5*minute
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// logind is the pid of systemd-logind on each server.
var logind = map[string]int{"fs01": 612, "app01": 598, "proxy01": 603}

var sudoCommands = map[string][]string{
	"fs01":    {"/usr/bin/systemctl status smbd", "/usr/bin/df -h /srv/share", "/usr/bin/smbstatus", "/usr/bin/tail -n 100 /var/log/samba/log.smbd"},
	"app01":   {"/usr/bin/systemctl restart salesdb", "/usr/bin/journalctl -u salesdb --since today", "/usr/bin/apt list --upgradable"},
	"proxy01": {"/usr/sbin/squid -k reconfigure", "/usr/bin/tail -n 200 /var/log/squid/access.log", "/usr/bin/systemctl status squid"},
}

// keyFingerprint is the SHA256 fingerprint of a user's ED25519 key.
func keyFingerprint(seed int64, user string) string {
	sum := sha256.Sum256([]byte(fmt.Sprintf("%d/%s/ed25519", seed, user)))
	return "SHA256:" + base64.RawStdEncoding.EncodeToString(sum[:])
}

// adminSSH is one administration session on a server; mistype makes the
// administrator get the password wrong once on a server that still takes
// passwords (after a weekend, say).
func (g *gen) adminSSH(t int64, from, srv *host, mistype bool, r *rand.Rand) {
	user := from.user
	pid := g.pid(srv.name)
	port := from.port()
	src := from.ipStr
	ps := itoa(int(port))
	start := t + between(r, 150*ms, 400*ms)
	if mistype {
		g.authLine(start, srv.name, "sshd", pid, "pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=", src, "  user=", user)
		g.authLine(start+between(r, 1500*ms, 2500*ms), srv.name, "sshd", pid, "Failed password for ", user, " from ", src, " port ", ps, " ssh2")
		start += between(r, 4*second, 9*second)
		g.authLine(start, srv.name, "sshd", pid, "Accepted password for ", user, " from ", src, " port ", ps, " ssh2")
	} else {
		g.authLine(start, srv.name, "sshd", pid, "Accepted publickey for ", user, " from ", src, " port ", ps, " ssh2: ED25519 ", keyFingerprint(g.opts.Seed, user))
	}
	g.sessions[srv.name]++
	sess := itoa(g.sessions[srv.name])
	g.authLine(start, srv.name, "sshd", pid, "pam_unix(sshd:session): session opened for user ", user, "(uid=1000) by (uid=0)")
	g.authLine(start+between(r, 5*ms, 30*ms), srv.name, "systemd-logind", logind[srv.name], "New session ", sess, " of user ", user, ".")
	dur := between(r, 3*minute, 40*minute)
	cmds := sudoCommands[srv.name]
	for i := range r.IntN(4) {
		ct := start + dur*int64(i+1)/5
		g.authLine(ct, srv.name, "sudo", 0, fmt.Sprintf("%8s : TTY=pts/0 ; PWD=/home/%s ; USER=root ; COMMAND=%s", user, user, cmds[r.IntN(len(cmds))]))
		g.authLine(ct, srv.name, "sudo", 0, "pam_unix(sudo:session): session opened for user root(uid=0) by ", user, "(uid=1000)")
		g.authLine(ct+between(r, 200*ms, 20*second), srv.name, "sudo", 0, "pam_unix(sudo:session): session closed for user root")
	}
	end := start + dur
	g.authLine(end, srv.name, "sshd", pid, "Received disconnect from ", src, " port ", ps, ":11: disconnected by user")
	g.authLine(end, srv.name, "sshd", pid, "Disconnected from user ", user, " ", src, " port ", ps)
	g.authLine(end, srv.name, "sshd", pid, "pam_unix(sshd:session): session closed for user ", user)
	g.authLine(end+between(r, ms, 20*ms), srv.name, "systemd-logind", logind[srv.name], "Session ", sess, " logged out. Waiting for processes to exit.")
	g.authLine(end+between(r, 20*ms, 60*ms), srv.name, "systemd-logind", logind[srv.name], "Removed session ", sess, ".")
	f := flow{uid: g.uid('C'), orig: src, origP: port, resp: srv.ipStr, respP: 22}
	g.conn(t, &connRec{flow: f, proto: "tcp", service: "ssh", dur: end - t + between(r, ms, 5*ms),
		ob: lognorm(r, 40e3, 0.8), rb: lognorm(r, 180e3, 1.0), state: "SF", localResp: true, history: "ShAdDaFf"})
}

// serviceQuery is the administrator checking a PC's Windows Update service
// remotely (services.msc): svcctl over SMB without creating anything.
func (g *gen) serviceQuery(t int64, from, pc *host, r *rand.Rand) {
	f := flow{uid: g.uid('C'), orig: from.ipStr, origP: from.port(), resp: pc.ipStr, respP: 445}
	g.conn(t, &connRec{flow: f, proto: "tcp", service: "gssapi,smb,dce_rpc,ntlm", dur: between(r, 2*second, 40*second),
		ob: lognorm(r, 9e3, 0.3), rb: lognorm(r, 11e3, 0.3), state: "SF", localResp: true, history: "ShADadfF"})
	t += between(r, 5*ms, 30*ms)
	g.smbMap(t, &f, `\\`+strings.ToUpper(pc.name)+`\IPC$`, "PIPE")
	g.smbFile(t+between(r, 2*ms, 10*ms), &f, "", "SMB::FILE_OPEN", "", `svcctl`, 0, -1)
	t += 15 * ms
	for _, op := range []string{"OpenSCManagerW", "OpenServiceW", "QueryServiceStatus", "QueryServiceConfigW", "CloseServiceHandle", "CloseServiceHandle"} {
		rtt := between(r, 300*us, 3*ms)
		g.dceRPC(t, &f, rtt, `\pipe\ntsvcs`, "svcctl", op)
		t += rtt + between(r, ms, 400*ms)
	}
}

// cron is the hourly cron job of a server, as pam_unix logs it.
type cron struct {
	srv *host
	r   *rand.Rand
}

func (c *cron) act(g *gen, now int64) int64 {
	pid := g.pid(c.srv.name)
	g.authLine(now, c.srv.name, "CRON", pid, "pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)")
	g.authLine(now+between(c.r, 30*ms, 1500*ms), c.srv.name, "CRON", pid, "pam_unix(cron:session): session closed for user root")
	return (floorDiv(now, hour)+1)*hour + 17*minute + second
}

// gateway is the gateway's own traffic: NTP with the national time
// server, and the internet's background noise dropped at the edge.
type gateway struct {
	r        *rand.Rand
	ntp      int64
	noise    int64
	resolved int64
}

var scanPorts = []uint16{23, 22, 3389, 445, 8080, 5900, 1433, 6379, 2323, 81}

func (gw *gateway) act(g *gen, now int64) int64 {
	r := gw.r
	if gw.ntp == 0 {
		gw.ntp = now + between(r, 0, 1024*second)
		gw.noise = now + expo(r, 2*hour)
	}
	if gw.ntp <= now {
		t := gw.ntp
		ntp := g.o.sites.ntp
		if t-gw.resolved > day {
			gw.resolved = t
			a := g.resolve(t, "127.0.0.1", ntp, "A")
			t += a.rtt + ms
		}
		for _, ip := range ntp.ipStrs {
			g.firewall(t, packet{prefix: "FW-ACCEPT-OUT: ", out: "eth0", src: addrGWOutside.String(), dst: ip, proto: "UDP",
				spt: uint16(32768 + r.IntN(28000)), dpt: 123, ttl: 64, length: 76, df: true})
			t += between(r, 2*ms, 40*ms)
		}
		gw.ntp += jitter(r, 1024*second, 0.05)
	}
	if gw.noise <= now {
		src := fmt.Sprintf("192.0.2.%d", 1+r.IntN(150))
		if r.IntN(2) == 0 {
			src = fmt.Sprintf("198.51.100.%d", 130+r.IntN(70))
		}
		g.firewall(gw.noise, packet{prefix: "FW-DROP: ", in: "eth0", mac: gwOutsideMAC + ":" + ispRouterMAC + ":08:00",
			src: src, dst: addrGWOutside.String(), proto: "TCP", spt: uint16(1024 + r.IntN(64000)),
			dpt: scanPorts[r.IntN(len(scanPorts))], ttl: 230 + r.IntN(20), length: 44, window: 1024})
		gw.noise += expo(r, 2*hour) + minute
	}
	return min(gw.ntp, gw.noise)
}

// nas is the backup NAS: it checks in with its vendor's relay service
// every hour and for updates every night, and uploads its backup to cloud
// storage at 2 a.m. It uses the proxy; the sensor does not see the server
// VLAN.
type nas struct {
	h      *host
	r      *rand.Rand
	check  int64
	update int64
	backup int64
}

func (n *nas) act(g *gen, now int64) int64 {
	r := n.r
	ss := g.o.sites
	if n.check == 0 {
		n.check = now + between(r, 0, hour)
		n.update = at(localDay(now), 3, 30) + between(r, 0, 20*minute)
		n.backup = at(localDay(now), 2, 0) + between(r, 0, 10*minute)
		for n.update < now {
			n.update += day
		}
		for n.backup < now {
			n.backup += day
		}
	}
	if n.check <= now {
		g.tunnel(n.check, n.h, ss.nasConnect, 443, uaNAS, lognorm(r, 2e3, 0.3), lognorm(r, 4e3, 0.3), between(r, 300*ms, 2*second))
		n.check += jitter(r, hour, 0.05)
	}
	if n.update <= now {
		g.tunnel(n.update, n.h, ss.nasUpdate, 443, uaNAS, 1800, lognorm(r, 15e3, 0.4), between(r, 300*ms, 3*second))
		n.update = at(localDay(n.update)+1, 3, 30) + between(r, 0, 20*minute)
	}
	if n.backup <= now {
		size := lognorm(r, 1.4e9, 0.3)
		g.tunnel(n.backup, n.h, ss.nasBackup, 443, uaNAS, size, lognorm(r, 2e6, 0.3), size/(20<<20)*second)
		n.backup = at(localDay(n.backup)+1, 2, 0) + between(r, 0, 10*minute)
	}
	return min(n.check, n.update, n.backup)
}
