package demo

import (
	"strconv"
)

// proxyPort is where the Squid proxy listens.
const proxyPort = 3128

// pconn is one TCP connection from a client to the proxy, carrying one or
// more requests (browsers keep connections alive; a CONNECT owns its own).
type pconn struct {
	client  *host
	f       flow
	start   int64
	end     int64
	ob, rb  int64
	depth   int
	service string
}

func (g *gen) openProxy(t int64, client *host) *pconn {
	c := &pconn{client: client, start: t, end: t, service: "http"}
	c.f = flow{uid: g.uid('C'), orig: client.ipStr, origP: client.port(), resp: g.o.proxy.ipStr, respP: proxyPort}
	return c
}

// close writes the sensor's conn record of the connection.
func (g *gen) closeProxy(c *pconn, linger int64) {
	if !mirrored(c.client) {
		return
	}
	g.conn(c.start, &connRec{flow: c.f, proto: "tcp", service: c.service, dur: c.end + linger - c.start,
		ob: c.ob, rb: c.rb, state: "SF", localResp: true, history: "ShADadFf"})
}

// request is one request a client sends to the proxy.
type request struct {
	method   string // GET, POST, CONNECT
	site     *site  // the server; nil for a request to the bare address ip
	ip       string
	typo     string // a name that does not resolve (instead of site)
	port     uint16
	path     string // for GET and POST, with the leading slash
	ua       string
	sent     int64 // bytes the client sends: POST body, or what goes up a tunnel
	recv     int64 // bytes the client receives: body, or what comes down a tunnel
	elapsed  int64 // how long the proxy takes, from request to the last byte
	status   int   // 0 means 200
	mime     string
	reqMime  string
	fileName string // Content-Disposition file name
	fileKey  string // identity of the body, for its hashes ("" makes one up)
	pe       bool   // the body is a Windows executable
	cache    bool   // the reply is cacheable
}

func (r *request) host() string {
	switch {
	case r.site != nil:
		return r.site.name
	case r.typo != "":
		return r.typo
	}
	return r.ip
}

// url is the request target as Squid logs it.
func (r *request) url() string {
	if r.method == "CONNECT" {
		return r.host() + ":" + strconv.Itoa(int(r.port))
	}
	u := "http://" + r.host()
	if r.port != 80 {
		u += ":" + strconv.Itoa(int(r.port))
	}
	return u + r.path
}

// errorPage is the size of Squid's error pages, headers included.
func (g *gen) errorPage() int64 { return between(g.ids, 3850, 4150) }

// send runs request r on connection c at t: the proxy's lookup, its
// upstream connection, the access.log line, and what the sensor sees.
func (g *gen) send(t int64, c *pconn, r *request) {
	if r.status == 0 {
		r.status = 200
	}
	if r.method == "CONNECT" {
		c.service = "http,ssl"
	}
	c.depth++
	url := r.url()
	l := squidLine{client: c.client.ipStr, method: r.method, url: url, ua: r.ua, hier: "HIER_DIRECT", mime: r.mime}
	if l.mime == "" {
		l.mime = "-"
	}
	h := httpRec{flow: c.f, depth: c.depth, method: r.method, host: r.host(), uri: url, ua: r.ua, status: r.status}
	reqHdr := int64(180 + len(url) + len(r.ua))
	elapsed := r.elapsed
	var up int64 // time the proxy spends before it reaches the server
	switch {
	case r.site != nil && r.site.blocked:
		r.status = 403
		l.code, l.status, l.size, l.hier, l.peer, l.mime = "TCP_DENIED", 403, g.errorPage(), "HIER_NONE", "-", "text/html"
		elapsed = between(g.ids, 0, 2*ms)
		r.recv, r.sent = l.size, 0
	case r.typo != "":
		a := g.nxdomain(t+ms, g.o.proxy.ipStr, r.typo, "A")
		g.nxdomain(t+ms+50*us, g.o.proxy.ipStr, r.typo, "AAAA")
		r.status = 503
		elapsed = ms + a.rtt + between(g.ids, ms, 3*ms)
		l.code, l.status, l.hier, l.peer = "TCP_MISS", 503, "HIER_NONE", "-"
		if r.method == "CONNECT" {
			l.code, l.size, l.mime = "NONE", 0, "-"
		} else {
			l.size, l.mime = g.errorPage(), "text/html"
		}
		r.recv, r.sent = l.size, 0
	case r.method == "GET" && r.cache && g.squidHits[url]:
		l.code, l.hier, l.peer = "TCP_HIT", "HIER_NONE", "-"
		if g.ids.IntN(3) == 0 {
			l.code = "TCP_MEM_HIT"
		}
		elapsed = between(g.ids, 0, 3*ms) + r.recv/(8<<20)*ms
		l.status = r.status
		l.size = r.recv + 320
	default:
		ip := r.ip
		if r.site != nil {
			var rtt int64
			ip, rtt = g.proxyResolve(t+200*us, r.site)
			up = rtt + 400*us
		}
		key := r.host()
		if r.method == "CONNECT" || t-g.upstream[key] > 60*second {
			g.outbound(t+up+200*us, g.o.proxy, ip, r.port)
		}
		l.peer = ip
		l.status = r.status
		if r.method == "CONNECT" {
			l.code = "TCP_TUNNEL"
			l.size = r.recv
		} else {
			l.code = "TCP_MISS"
			l.size = r.recv + 320
			if r.cache && r.status == 200 {
				g.squidHits[url] = true
			}
		}
	}
	elapsed = max(elapsed, up+ms)
	end := t + elapsed
	g.upstream[r.host()] = end
	l.elapsed = elapsed
	g.squid(end, &l)

	c.ob += reqHdr + r.sent
	c.rb += l.size
	if r.method == "CONNECT" {
		c.rb += 39 // "HTTP/1.1 200 Connection established\r\n\r\n"
	}
	c.end = max(c.end, end)
	if !mirrored(c.client) {
		return
	}
	switch r.status {
	case 200:
		h.msg = "OK"
		if r.method == "CONNECT" {
			h.msg = "Connection established"
		}
	case 403:
		h.msg = "Forbidden"
	case 404:
		h.msg = "Not Found"
	case 503:
		h.msg = "Service Unavailable"
	}
	if r.method != "CONNECT" {
		h.respLen = l.size - 320
		if r.status == 403 || r.status == 503 {
			h.respLen = l.size - 300
		}
		h.reqLen = r.sent
		if h.respLen > 0 {
			h.respFuid = g.uid('F')
			h.respMime = r.mime
			switch {
			case r.status != 200 || h.respMime == "":
				h.respMime = "text/html"
			case r.pe:
				h.respMime = "application/x-dosexec" // Zeek names types by content
			}
			h.respName = r.fileName
			key := r.fileKey
			if key == "" || r.status != 200 {
				key = h.respFuid
			}
			g.filesLog(t+between(g.ids, ms, elapsed), &fileRec{flow: c.f, fuid: h.respFuid, source: "HTTP", mime: h.respMime,
				name: r.fileName, dur: between(g.ids, 0, elapsed), isOrig: false, size: h.respLen, key: key, pe: r.pe && r.status == 200})
		}
		if r.sent > 0 {
			h.origFuid = g.uid('F')
			h.origMime = r.reqMime
			g.filesLog(t, &fileRec{flow: c.f, fuid: h.origFuid, source: "HTTP", mime: r.reqMime, isOrig: true, size: r.sent, key: h.origFuid})
		}
	}
	g.httpLog(t, &h)
}

// tunnel opens a connection for a single CONNECT and closes it.
func (g *gen) tunnel(t int64, client *host, s *site, port uint16, ua string, sent, recv, dur int64) {
	c := g.openProxy(t, client)
	g.send(t+between(g.ids, 300*us, 2*ms), c, &request{method: "CONNECT", site: s, port: port, ua: ua, sent: sent, recv: recv, elapsed: dur})
	g.closeProxy(c, between(g.ids, 0, 2*ms))
}

// fetch opens a connection for a single plain-HTTP request and closes it.
func (g *gen) fetch(t int64, client *host, r *request) {
	if r.port == 0 {
		r.port = 80
	}
	c := g.openProxy(t, client)
	g.send(t+between(g.ids, 300*us, 2*ms), c, r)
	g.closeProxy(c, between(g.ids, 10*ms, 15*second))
}
