package dnslog

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Dnsmasq is the dnsmasq query log format (log-queries).
var Dnsmasq = parse.Format{
	Name:     "dnsmasq",
	ZoneLess: true,
	Title:    "dnsmasq query log (log-queries, also =extra and =proto), in syslog or its own log file",
	Example:  "Mar  4 10:00:00 dnsmasq[512]: query[A] example.com from 10.0.0.5",
	Sniff: func(_ string, lines [][]byte) int {
		return parse.SniffByDecoding(func(src parse.Source) parse.Decoder { return NewDnsmasq(src) }, lines)
	},
	New: func(src parse.Source) parse.Decoder { return NewDnsmasq(src) },
}

// Questions is how many outstanding dnsmasq questions a decoder remembers
// to attribute answers to their client; the oldest is forgotten first.
const Questions = 4096

// questionAge is how long after its question an answer is still taken to
// belong to it: dnsmasq gives up on upstream servers well before that.
const questionAge = 2 * time.Minute

// DnsmasqDecoder decodes dnsmasq's log lines. It remembers recent
// questions, so it must see the lines of one file in order; it is not safe
// for concurrent use.
type DnsmasqDecoder struct {
	src     parse.Source
	pending pending
	// chain is the question the previous line answered, when that line
	// was an answer: the records of one reply are logged together, and a
	// CNAME's target is the name of the line after it.
	chain struct {
		active  bool
		serial  string
		q       question
		aliases []string
	}
}

// NewDnsmasq returns a decoder for one dnsmasq log.
func NewDnsmasq(src parse.Source) *DnsmasqDecoder {
	return &DnsmasqDecoder{src: src, pending: newPending(Questions)}
}

// Decode implements parse.Decoder.
func (d *DnsmasqDecoder) Decode(line []byte, ev *event.Event) error {
	h, err := parse.ParseSyslog(line, d.src)
	if err != nil {
		return err
	}
	return d.DecodeSyslog(&h, ev)
}

// IsDnsmasq reports whether a syslog program name is dnsmasq's DNS side.
func IsDnsmasq(p string) bool { return p == "dnsmasq" }

// DecodeSyslog decodes the message of a syslog line whose header is already
// parsed. Programs other than dnsmasq and dnsmasq messages that are not
// about a query or its answer are parse.ErrSkip.
func (d *DnsmasqDecoder) DecodeSyslog(h *parse.Syslog, ev *event.Event) error {
	if !IsDnsmasq(h.Program) {
		return parse.ErrSkip
	}
	chained := d.chain.active
	d.chain.active = false
	m, ok := splitLogQuery(h.Message)
	if !ok {
		return parse.ErrSkip
	}
	switch {
	case strings.HasPrefix(m.source, "query[") && m.verb == "from":
		return d.question(h, &m, ev)
	case m.verb != "is":
		return parse.ErrSkip // forwarded, dnssec-query, ipset add...
	}
	label, hosts := m.source, ""
	switch {
	case strings.HasPrefix(label, "/"):
		label, hosts = "hosts", m.source
	case label == "reply", label == "cached", label == "cached-stale", label == "config", label == "DHCP", label == "auth":
	default:
		return parse.ErrSkip // validation and other status lines
	}
	return d.answer(h, &m, label, hosts, chained, ev)
}

// logQuery is one line of dnsmasq's log_query: [PROTO ][SERIAL [ADDR/PORT ]]SOURCE NAME VERB DEST[ EXTRA].
type logQuery struct {
	transport string
	serial    string
	client    netip.Addr
	port      uint16
	source    string
	name      string
	verb      string
	dest      string
	extra     string
}

// splitLogQuery splits a dnsmasq message; ok is false for messages of
// another shape ("started, version 2.90 cachesize 150").
func splitLogQuery(msg string) (m logQuery, ok bool) {
	s := msg
	if w, rest := word(s); w == "UDP" || w == "TCP" {
		if n, _ := word(rest); isDigits(n) {
			m.transport, s = strings.ToLower(w), rest
		}
	}
	if w, rest := word(s); isDigits(w) {
		m.serial, s = w, rest
		if w, rest := word(s); strings.IndexByte(w, '/') > 0 {
			a, p, _ := strings.Cut(w, "/")
			addr, err := netip.ParseAddr(a)
			port, perr := strconv.ParseUint(p, 10, 16)
			if err == nil && perr == nil {
				m.client, m.port, s = addr.Unmap(), uint16(port), rest
			}
		}
	}
	// SOURCE may be several words ("cached-stale" is one, "ipset add" two):
	// the name is the word before the first verb after it.
	start := len(msg) - len(strings.TrimLeft(s, " "))
	s = msg[start:]
	prevEnd, prevStart := -1, -1
	for off := 0; off < len(s); {
		w, rest := word(s[off:])
		if w == "" {
			break
		}
		wStart := len(s) - len(rest) - len(w)
		if prevStart > 0 && (w == "is" || w == "from" || w == "to") {
			m.source = strings.TrimRight(s[:prevStart], " ")
			m.name = s[prevStart:prevEnd]
			m.verb = w
			m.dest, rest = word(rest)
			m.extra = strings.TrimSpace(rest)
			return m, m.dest != ""
		}
		prevStart, prevEnd = wStart, wStart+len(w)
		off = len(s) - len(rest)
	}
	return m, false
}

// question handles "query[A] example.com from 10.0.0.5".
func (d *DnsmasqDecoder) question(h *parse.Syslog, m *logQuery, ev *event.Event) error {
	qtype := strings.TrimSuffix(strings.TrimPrefix(m.source, "query["), "]")
	client, err := netip.ParseAddr(m.dest)
	if err != nil {
		return parse.Rejectf("bad address", "query from %.50q", m.dest)
	}
	client = client.Unmap()
	name := strings.Clone(m.name)
	q := question{name: name, qtype: qtype, client: client, port: m.port, transport: m.transport, at: h.Time}
	if m.serial != "" {
		d.pending.put(strings.Clone(m.serial), q)
	} else {
		d.pending.put(nameKey(name), q)
	}
	d.fill(h, ev)
	ev.Label = "query"
	ev.Query, ev.QType = name, qtype
	ev.SrcIP, ev.SrcPort, ev.Transport = client, m.port, m.transport
	return nil
}

// answer handles "reply example.com is 93.184.216.34" and its kin.
func (d *DnsmasqDecoder) answer(h *parse.Syslog, m *logQuery, label, hosts string, chained bool, ev *event.Event) error {
	// Find the question: by serial with log-queries=extra; else the reply
	// that the previous line started (CNAME chains name their targets); else
	// by name, or by the reverse name of an address for PTR replies.
	var q question
	found := false
	switch {
	case m.serial != "":
		if chained && d.chain.serial == m.serial {
			q, found = d.chain.q, true
		} else {
			q, found = d.pending.get(m.serial)
		}
	case chained && !strings.EqualFold(m.name, d.chain.q.name) && !d.pending.has(nameKey(m.name)):
		q, found = d.chain.q, true
	default:
		q, found = d.pending.get(nameKey(m.name))
		if !found {
			if a, err := netip.ParseAddr(m.name); err == nil {
				q, found = d.pending.get(reverseName(a))
			}
		}
	}
	if found && h.Time.Sub(q.at) > questionAge {
		found = false
	}
	if !found {
		q = question{name: m.name, client: m.client, port: m.port, transport: m.transport}
		if a, err := netip.ParseAddr(m.name); err == nil {
			q.name, q.qtype = reverseName(a), "PTR"
		}
	}
	if m.client.IsValid() { // log-queries=extra names the client on every line
		q.client, q.port = m.client, m.port
	}
	// A reply starts with a record of the asked name itself; the names
	// after a CNAME are its targets, in order.
	if !chained || d.chain.q.name != q.name || d.chain.serial != m.serial || strings.EqualFold(m.name, q.name) {
		d.chain.aliases = d.chain.aliases[:0]
	}
	if _, err := netip.ParseAddr(m.name); err != nil && !strings.EqualFold(m.name, q.name) {
		if n := len(d.chain.aliases); n == 0 || d.chain.aliases[n-1] != m.name {
			if n < 16 {
				d.chain.aliases = append(d.chain.aliases, m.name)
			}
		}
	}
	d.chain.active, d.chain.serial, d.chain.q = true, m.serial, q
	if m.dest == "<CNAME>" {
		return parse.ErrSkip // the target is the name of the next line
	}

	d.fill(h, ev)
	ev.Label = label
	ev.Message = hosts
	ev.Query, ev.QType = q.name, q.qtype
	ev.SrcIP, ev.SrcPort, ev.Transport = q.client, q.port, q.transport
	switch dest := m.dest; dest {
	case "NXDOMAIN":
		ev.RCode = "NXDOMAIN"
	case "NODATA", "NODATA-IPv4", "NODATA-IPv6":
		ev.RCode = "NODATA"
		switch dest {
		case "NODATA-IPv4":
			ev.QType = "A"
		case "NODATA-IPv6":
			ev.QType = "AAAA"
		}
	case "SERVFAIL", "REFUSED", "FORMERR":
		ev.RCode = dest
	case "not": // "not implemented"
		ev.RCode = "NOTIMP"
	default:
		if isDigits(dest) {
			ev.RCode = rcodeName(dest)
			break
		}
		ev.RCode = "NOERROR"
		if a, err := netip.ParseAddr(dest); err == nil {
			if a.Is4() {
				ev.QType = "A"
			} else if ev.QType != "ANY" {
				ev.QType = "AAAA"
			}
		}
		ev.Answers = make([]string, 0, len(d.chain.aliases)+1)
		ev.Answers = append(ev.Answers, d.chain.aliases...)
		ev.Answers = append(ev.Answers, dest)
	}
	if m.extra != "" && hosts == "" {
		ev.Message = strings.Trim(m.extra, "() ")
	}
	if (label == "config" || label == "hosts") && isSinkhole(m.dest) {
		ev.Action = event.ActionDeny
	}
	return nil
}

// fill sets what every dnsmasq event shares.
func (d *DnsmasqDecoder) fill(h *parse.Syslog, ev *event.Event) {
	ev.Time = h.Time
	ev.Format = Dnsmasq.Name
	ev.Kind = event.KindDNS
	ev.Observer = h.Host
}

// isSinkhole reports whether a locally configured answer blocks the name.
func isSinkhole(dest string) bool {
	switch dest {
	case "NXDOMAIN", "NODATA", "NODATA-IPv4", "NODATA-IPv6", "0.0.0.0", "::":
		return true
	}
	return false
}

// question is what a dnsmasq question line says.
type question struct {
	name, qtype, transport string
	client                 netip.Addr
	port                   uint16
	at                     time.Time
}

// pending is a bounded FIFO map of questions: a ring of slots and an
// index of the slots by key. Putting a new key into a full ring forgets
// the oldest question.
type pending struct {
	index map[string]int
	ring  []slot
	next  int
}

type slot struct {
	key string
	q   question
}

func newPending(n int) pending {
	return pending{index: make(map[string]int, n), ring: make([]slot, n)}
}

func (p *pending) put(key string, q question) {
	if i, ok := p.index[key]; ok {
		p.ring[i].q = q
		return
	}
	old := &p.ring[p.next]
	if old.key != "" {
		delete(p.index, old.key)
	}
	*old = slot{key: key, q: q}
	p.index[key] = p.next
	p.next = (p.next + 1) % len(p.ring)
}

func (p *pending) get(key string) (question, bool) {
	i, ok := p.index[key]
	if !ok {
		return question{}, false
	}
	return p.ring[i].q, true
}

func (p *pending) has(key string) bool {
	_, ok := p.index[key]
	return ok
}

// nameKey is the map key of a name: lowercase, allocating only for names
// with capitals.
func nameKey(name string) string {
	for i := 0; i < len(name); i++ {
		if 'A' <= name[i] && name[i] <= 'Z' {
			return strings.ToLower(name)
		}
	}
	return name
}

// reverseName returns the PTR name of an address: 4.3.2.1.in-addr.arpa.
func reverseName(a netip.Addr) string {
	var b strings.Builder
	if a.Is4() || a.Is4In6() {
		v := a.Unmap().As4()
		for i := 3; i >= 0; i-- {
			b.WriteString(strconv.Itoa(int(v[i])))
			b.WriteByte('.')
		}
		b.WriteString("in-addr.arpa")
		return b.String()
	}
	const hex = "0123456789abcdef"
	v := a.As16()
	for i := 15; i >= 0; i-- {
		b.WriteByte(hex[v[i]&0xf])
		b.WriteByte('.')
		b.WriteByte(hex[v[i]>>4])
		b.WriteByte('.')
	}
	b.WriteString("ip6.arpa")
	return b.String()
}

// rcodeName names a numeric DNS RCODE.
func rcodeName(n string) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}
	if i, err := strconv.Atoi(n); err == nil && i >= 0 && i < len(names) {
		return names[i]
	}
	return n
}

// word returns the first space-separated word of s and what follows it.
func word(s string) (w, rest string) {
	i := 0
	for i < len(s) && s[i] == ' ' {
		i++
	}
	j := i
	for j < len(s) && s[j] != ' ' {
		j++
	}
	return s[i:j], s[j:]
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
