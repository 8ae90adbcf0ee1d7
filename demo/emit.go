package demo

import (
	"crypto/md5"  //nolint:gosec // G501: stand-in MD5 column of Zeek's files.log, not used for security
	"crypto/sha1" //nolint:gosec // G505: stand-in SHA-1 column of Zeek's files.log, not used for security
	"crypto/sha256"
	"strconv"
)

// Writers of single log lines, one per record type, as the real software
// prints them.

// syslog starts a syslog line: "Mar  4 10:00:00 host prog[pid]: ".
func (g *gen) syslog(b []byte, t int64, hostName, prog string, pid int) []byte {
	b = g.stamp.append(b, t)
	b = append(b, ' ')
	b = append(b, hostName...)
	b = append(b, ' ')
	b = append(b, prog...)
	if pid > 0 {
		b = append(b, '[')
		b = strconv.AppendInt(b, int64(pid), 10)
		b = append(b, ']')
	}
	return append(b, ':', ' ')
}

// dnsmasqLine writes one dnsmasq log-queries line: "<source> <name> <verb> <dest>".
func (g *gen) dnsmasqLine(t int64, source, name, verb, dest string) {
	b := g.buf(sinkDnsmasq)
	b = g.syslog(b, t, g.o.gw.name, "dnsmasq", dnsmasqPID)
	b = append(b, source...)
	b = append(b, ' ')
	b = append(b, name...)
	b = append(b, ' ')
	b = append(b, verb...)
	b = append(b, ' ')
	b = append(b, dest...)
	g.put(sinkDnsmasq, t, b)
}

// authLine writes one auth.log line of a server.
func (g *gen) authLine(t int64, hostName, prog string, pid int, msg ...string) {
	b := g.buf(sinkAuth)
	b = g.syslog(b, t, hostName, prog, pid)
	for _, m := range msg {
		b = append(b, m...)
	}
	g.put(sinkAuth, t, b)
}

// packet is what a netfilter LOG line says about one packet.
type packet struct {
	prefix  string // log prefix including its trailing space
	in, out string // interfaces
	mac     string // dst:src:type, empty for locally generated packets
	src     string
	dst     string
	proto   string // TCP, UDP
	spt     uint16
	dpt     uint16
	ttl     int
	length  int  // IP length; for UDP the UDP length follows
	df      bool // don't fragment
	window  int  // TCP window; 0 means 64240
}

// firewall writes a kernel netfilter LOG line of the gateway.
func (g *gen) firewall(t int64, p packet) {
	b := g.buf(sinkFirewall)
	b = g.syslog(b, t, g.o.gw.name, "kernel", 0)
	up := t - g.bootNS
	b = append(b, '[')
	b = appendPadded(b, up/second, 5)
	b = append(b, '.')
	b = appendFrac(b, (up%second)/us, 6)
	b = append(b, "] "...)
	b = append(b, p.prefix...)
	b = append(b, "IN="...)
	b = append(b, p.in...)
	b = append(b, " OUT="...)
	b = append(b, p.out...)
	b = append(b, ' ')
	if p.mac != "" {
		b = append(b, "MAC="...)
		b = append(b, p.mac...)
		b = append(b, ' ')
	}
	b = append(b, "SRC="...)
	b = append(b, p.src...)
	b = append(b, " DST="...)
	b = append(b, p.dst...)
	b = append(b, " LEN="...)
	b = strconv.AppendInt(b, int64(p.length), 10)
	b = append(b, " TOS=0x00 PREC=0x00 TTL="...)
	b = strconv.AppendInt(b, int64(p.ttl), 10)
	b = append(b, " ID="...)
	g.fwID += uint16(1 + g.ids.IntN(900))
	b = strconv.AppendInt(b, int64(g.fwID), 10)
	if p.df {
		b = append(b, " DF"...)
	}
	b = append(b, " PROTO="...)
	b = append(b, p.proto...)
	b = append(b, " SPT="...)
	b = strconv.AppendInt(b, int64(p.spt), 10)
	b = append(b, " DPT="...)
	b = strconv.AppendInt(b, int64(p.dpt), 10)
	if p.proto == "TCP" {
		w := p.window
		if w == 0 {
			w = 64240
		}
		b = append(b, " WINDOW="...)
		b = strconv.AppendInt(b, int64(w), 10)
		b = append(b, " RES=0x00 SYN URGP=0 "...)
	} else {
		b = append(b, " LEN="...)
		b = strconv.AppendInt(b, int64(p.length-20), 10)
		b = append(b, ' ')
	}
	g.put(sinkFirewall, t, b)
}

// squidLine is one access.log record.
type squidLine struct {
	client  string
	elapsed int64 // ns
	code    string
	status  int
	size    int64
	method  string
	url     string
	hier    string // HIER_DIRECT, HIER_NONE
	peer    string // server address, "-" when none
	mime    string
	ua      string
}

// squid writes an access.log line; t is when the request completed.
func (g *gen) squid(t int64, l *squidLine) {
	b := g.buf(sinkSquid)
	b = appendEpoch(b, t, 3)
	b = append(b, ' ')
	b = appendPadded(b, l.elapsed/ms, 6)
	b = append(b, ' ')
	b = append(b, l.client...)
	b = append(b, ' ')
	b = append(b, l.code...)
	b = append(b, '/')
	b = appendFrac(b, int64(l.status), 3)
	b = append(b, ' ')
	b = strconv.AppendInt(b, l.size, 10)
	b = append(b, ' ')
	b = append(b, l.method...)
	b = append(b, ' ')
	b = append(b, l.url...)
	b = append(b, " - "...)
	b = append(b, l.hier...)
	b = append(b, '/')
	b = append(b, l.peer...)
	b = append(b, ' ')
	b = append(b, l.mime...)
	b = append(b, ' ', '"')
	b = append(b, l.ua...)
	b = append(b, '"')
	g.put(sinkSquid, t, b)
}

// flow is the five-tuple part shared by the Zeek records.
type flow struct {
	uid   string
	orig  string
	origP uint16
	resp  string
	respP uint16
}

func appendFlow(b []byte, f *flow) []byte {
	b = append(b, f.uid...)
	b = append(b, '\t')
	b = append(b, f.orig...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(f.origP), 10)
	b = append(b, '\t')
	b = append(b, f.resp...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(f.respP), 10)
	return append(b, '\t')
}

// connRec is one conn.log record.
type connRec struct {
	flow
	proto     string // tcp, udp
	service   string // "-" when none
	dur       int64  // -1: unset
	ob, rb    int64  // payload bytes, -1: unset
	state     string
	localResp bool
	history   string
	opk, rpk  int64 // packets; 0: estimate from the bytes
}

// conn writes a conn.log record; t is the connection's first packet.
func (g *gen) conn(t int64, c *connRec) {
	hdr := int64(40)
	if c.proto == "udp" {
		hdr = 28
	}
	opk, rpk := c.opk, c.rpk
	ob, rb := max(c.ob, 0), max(c.rb, 0)
	if opk == 0 && rpk == 0 {
		switch c.proto {
		case "udp":
			opk, rpk = 1, 1
			if rb == 0 {
				rpk = 0
			}
		default:
			opk = 3 + ob/1460 + rb/2920
			rpk = 2 + rb/1460 + ob/2920
		}
	}
	oip, rip := ob+opk*hdr, rb+rpk*hdr
	if c.proto == "tcp" && c.history == "S" {
		oip = opk * 52 // SYNs with options
	}
	b := g.buf(sinkConn)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, &c.flow)
	b = append(b, c.proto...)
	b = append(b, '\t')
	b = append(b, c.service...)
	b = append(b, '\t')
	if c.dur < 0 {
		b = append(b, '-')
	} else {
		b = appendSeconds(b, c.dur)
	}
	b = append(b, '\t')
	b = appendCount(b, c.ob)
	b = append(b, '\t')
	b = appendCount(b, c.rb)
	b = append(b, '\t')
	b = append(b, c.state...)
	b = append(b, "\tT\t"...)
	b = appendBool(b, c.localResp)
	b = append(b, "\t0\t"...)
	b = append(b, c.history...)
	b = append(b, '\t')
	b = strconv.AppendInt(b, opk, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, oip, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, rpk, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, rip, 10)
	b = append(b, "\t-"...)
	g.put(sinkConn, t, b)
}

// dnsRec is one dns.log record.
type dnsRec struct {
	flow
	trans   int
	rtt     int64
	query   string
	qtype   string
	rcode   string
	answers []string
	ttls    []int64
}

var qtypeNum = map[string]string{"A": "1", "AAAA": "28", "PTR": "12", "SRV": "33"}
var rcodeNum = map[string]string{"NOERROR": "0", "NXDOMAIN": "3", "SERVFAIL": "2"}

func (g *gen) dnsLog(t int64, d *dnsRec) {
	b := g.buf(sinkDNS)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, &d.flow)
	b = append(b, "udp\t"...)
	b = strconv.AppendInt(b, int64(d.trans), 10)
	b = append(b, '\t')
	b = appendSeconds(b, d.rtt)
	b = append(b, '\t')
	b = appendZeekString(b, d.query, false)
	b = append(b, "\t1\tC_INTERNET\t"...)
	b = append(b, qtypeNum[d.qtype]...)
	b = append(b, '\t')
	b = append(b, d.qtype...)
	b = append(b, '\t')
	b = append(b, rcodeNum[d.rcode]...)
	b = append(b, '\t')
	b = append(b, d.rcode...)
	b = append(b, "\tF\tF\tT\tT\t0\t"...)
	if len(d.answers) == 0 {
		b = append(b, "-\t-"...)
	} else {
		for i, a := range d.answers {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendZeekString(b, a, true)
		}
		b = append(b, '\t')
		for i, ttl := range d.ttls {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendSeconds(b, ttl*second)
		}
	}
	b = append(b, "\tF"...)
	g.put(sinkDNS, t, b)
}

// httpRec is one http.log record.
type httpRec struct {
	flow
	depth    int
	method   string
	host     string
	uri      string
	ua       string
	reqLen   int64
	respLen  int64
	status   int
	msg      string
	origFuid string
	origMime string
	respFuid string
	respName string
	respMime string
}

// appendOpt appends an optional string field, "-" when s is empty.
func appendOpt(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendZeekString(b, s, false)
}

// appendOptItem appends a one-element set or vector, "-" when s is empty.
func appendOptItem(b []byte, s string) []byte {
	if s == "" {
		return append(b, '-')
	}
	return appendZeekString(b, s, true)
}

func (g *gen) httpLog(t int64, h *httpRec) {
	b := g.buf(sinkHTTP)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, &h.flow)
	b = strconv.AppendInt(b, int64(h.depth), 10)
	b = append(b, '\t')
	b = append(b, h.method...)
	b = append(b, '\t')
	b = appendZeekString(b, h.host, false)
	b = append(b, '\t')
	b = appendZeekString(b, h.uri, false)
	b = append(b, "\t-\t1.1\t"...)
	b = appendOpt(b, h.ua)
	b = append(b, "\t-\t"...)
	b = strconv.AppendInt(b, h.reqLen, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, h.respLen, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, int64(h.status), 10)
	b = append(b, '\t')
	b = appendZeekString(b, h.msg, false)
	b = append(b, "\t-\t-\t(empty)\t-\t-\tPROXY-CONNECTION -> keep-alive\t"...)
	b = appendOptItem(b, h.origFuid)
	b = append(b, "\t-\t"...)
	b = appendOptItem(b, h.origMime)
	b = append(b, '\t')
	b = appendOptItem(b, h.respFuid)
	b = append(b, '\t')
	b = appendOptItem(b, h.respName)
	b = append(b, '\t')
	b = appendOptItem(b, h.respMime)
	g.put(sinkHTTP, t, b)
}

// fileRec is one files.log record.
type fileRec struct {
	flow
	fuid   string
	source string // HTTP, SMB
	mime   string
	name   string // "" when the source gives none
	dur    int64
	isOrig bool // sent by the connection's originator
	size   int64
	key    string // identity of the content, for its hashes
	pe     bool
}

func (g *gen) filesLog(t int64, f *fileRec) {
	b := g.buf(sinkFiles)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = append(b, f.fuid...)
	b = append(b, '\t')
	b = appendFlow(b, &f.flow)
	b = append(b, f.source...)
	b = append(b, "\t0\t"...)
	if f.pe {
		b = append(b, "MD5,PE,SHA1,SHA256"...)
	} else {
		b = append(b, "MD5,SHA1,SHA256"...)
	}
	b = append(b, '\t')
	b = append(b, f.mime...)
	b = append(b, '\t')
	b = appendOpt(b, f.name)
	b = append(b, '\t')
	b = appendSeconds(b, f.dur)
	b = append(b, "\tT\t"...)
	b = appendBool(b, f.isOrig)
	b = append(b, '\t')
	b = strconv.AppendInt(b, f.size, 10)
	b = append(b, '\t')
	b = strconv.AppendInt(b, f.size, 10)
	b = append(b, "\t0\t0\tF\t-\t"...)
	m, s1, s2 := digests(f.key)
	b = appendHex(b, m[:])
	b = append(b, '\t')
	b = appendHex(b, s1[:])
	b = append(b, '\t')
	b = appendHex(b, s2[:])
	b = append(b, "\t-\t-\t-"...)
	g.put(sinkFiles, t, b)
}

// digests returns stand-in MD5, SHA-1 and SHA-256 values of a content
// identity: the same content has the same hashes wherever it is seen.
func digests(key string) ([16]byte, [20]byte, [32]byte) {
	k := []byte("mamori-demo-content:" + key)
	return md5.Sum(k), sha1.Sum(k), sha256.Sum256(k) //nolint:gosec // G401: the columns Zeek's files.log has; not used for security
}

// sha256Hex is the SHA-256 column files.log shows for a content identity.
func sha256Hex(key string) string {
	_, _, s := digests(key)
	return string(appendHex(nil, s[:]))
}

// smbFile writes an smb_files.log record. modified < 0 leaves the times unset.
func (g *gen) smbFile(t int64, f *flow, fuid, action, path, name string, size, modified int64) {
	b := g.buf(sinkSMBFiles)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, f)
	b = appendOpt(b, fuid)
	b = append(b, '\t')
	b = append(b, action...)
	b = append(b, '\t')
	b = appendOpt(b, path)
	b = append(b, '\t')
	b = appendOpt(b, name)
	b = append(b, '\t')
	b = strconv.AppendInt(b, size, 10)
	b = append(b, "\t-\t"...)
	if modified < 0 {
		b = append(b, "-\t-\t-\t-"...)
	} else {
		b = appendEpoch(b, modified, 6)
		b = append(b, '\t')
		b = appendEpoch(b, t, 6)
		b = append(b, '\t')
		b = appendEpoch(b, modified-37*day-4321*second, 6)
		b = append(b, '\t')
		b = appendEpoch(b, modified, 6)
	}
	g.put(sinkSMBFiles, t, b)
}

// smbMap writes an smb_mapping.log record.
func (g *gen) smbMap(t int64, f *flow, path, shareType string) {
	b := g.buf(sinkSMBMapping)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, f)
	b = appendZeekString(b, path, false)
	b = append(b, "\t-\t-\t"...)
	b = append(b, shareType...)
	g.put(sinkSMBMapping, t, b)
}

// dceRPC writes a dce_rpc.log record.
func (g *gen) dceRPC(t int64, f *flow, rtt int64, pipe, endpoint, op string) {
	b := g.buf(sinkDCERPC)
	b = appendEpoch(b, t, 6)
	b = append(b, '\t')
	b = appendFlow(b, f)
	b = appendSeconds(b, rtt)
	b = append(b, '\t')
	b = appendZeekString(b, pipe, false)
	b = append(b, '\t')
	b = append(b, endpoint...)
	b = append(b, '\t')
	b = append(b, op...)
	g.put(sinkDCERPC, t, b)
}
