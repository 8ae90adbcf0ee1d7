package dnslog

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Bind is the BIND 9 query and security log format.
var Bind = parse.Format{
	Name:     "bind",
	ZoneLess: true,
	Title:    "BIND 9 query log and denied queries / zone transfers (own file or syslog)",
	Example:  "24-Mar-2018 17:15:20.123 queries: info: client @0x7f8b2c0a1b30 10.0.0.5#51234 (example.com): query: example.com IN A +E(0)K (10.0.0.1)",
	Sniff: func(_ string, lines [][]byte) int {
		return parse.SniffByDecoding(NewBind, lines)
	},
	New: NewBind,
}

// NewBind returns a decoder for one BIND log.
func NewBind(src parse.Source) parse.Decoder { return bindDecoder{src: src} }

type bindDecoder struct{ src parse.Source }

func (d bindDecoder) Decode(line []byte, ev *event.Event) error {
	if !utf8.Valid(line) {
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	s := string(line)
	if len(s) > 0 && s[0] >= '0' && s[0] <= '9' {
		// BIND's own file: "24-Mar-2018 17:15:20.123 MSG" or, with
		// print-time iso8601, "2018-03-24T17:15:20.123+09:00 MSG"; an ISO
		// time may also start a syslog line of named.
		t, n, err := parse.ParseDMY(s, d.src.Loc())
		if err != nil {
			if h, err := parse.ParseSyslog(line, d.src); err == nil && IsNamed(h.Program) {
				return DecodeBind(&h, ev)
			}
			t, n, err = parse.ParseISO(s, d.src.Loc())
		}
		if err != nil {
			return err
		}
		if n >= len(s) || s[n] != ' ' {
			return parse.Rejectf("truncated line", "nothing after the timestamp")
		}
		h := parse.Syslog{Time: t, Program: "named", Message: s[n+1:]}
		return DecodeBind(&h, ev)
	}
	h, err := parse.ParseSyslog(line, d.src)
	if err != nil {
		if parse.RejectReason(err) == "not syslog" {
			return parse.Rejectf("bad timestamp", "no BIND or syslog timestamp: %.40q", s)
		}
		return err
	}
	return DecodeBind(&h, ev)
}

// IsNamed reports whether a syslog program name is BIND's named.
func IsNamed(p string) bool { return p == "named" || strings.HasPrefix(p, "named-") }

// DecodeBind decodes the message of a named log line, from syslog or from
// BIND's own file (then h.Host is empty). Other programs and named messages
// that are not about a client's query are parse.ErrSkip.
func DecodeBind(h *parse.Syslog, ev *event.Event) error {
	if !IsNamed(h.Program) {
		return parse.ErrSkip
	}
	msg := h.Message
	// Skip the category and severity that print-category and
	// print-severity put first ("queries: info: ", "security: error: ").
	for {
		w, rest, ok := strings.Cut(msg, " ")
		if !ok || len(w) < 2 || w[len(w)-1] != ':' || !isCategory(w[:len(w)-1]) {
			break
		}
		msg = rest
	}
	rest, ok := strings.CutPrefix(msg, "client ")
	if !ok {
		return parse.ErrSkip
	}
	w, after := word(rest)
	if strings.HasPrefix(w, "@0x") { // BIND 9.11+: the client object's address
		w, after = word(after)
	}
	addr, port, ok := clientAddr(strings.TrimSuffix(w, ":"))
	if !ok {
		return parse.Rejectf("bad address", "client %.50q", w)
	}
	body := after
	if !strings.HasSuffix(w, ":") {
		// " (name): body"
		i := strings.Index(body, "): ")
		if !strings.HasPrefix(body, " (") || i < 0 {
			return parse.Rejectf("truncated line", "no ': ' after the client in %.60q", msg)
		}
		body = body[i+3:]
	} else {
		body = strings.TrimPrefix(body, " ")
	}
	if v, ok := strings.CutPrefix(body, "view "); ok {
		_, b, ok := strings.Cut(v, ": ")
		if !ok {
			return parse.Rejectf("truncated line", "view without ': '")
		}
		body = b
	}
	if !bindBody(body, ev) {
		*ev = event.Event{}
		return parse.ErrSkip
	}
	ev.Time = h.Time
	ev.Format = Bind.Name
	ev.Kind = event.KindDNS
	ev.Observer = h.Host
	ev.SrcIP, ev.SrcPort = addr, port
	return nil
}

// bindBody reads what BIND says about the client's query.
func bindBody(body string, ev *event.Event) bool {
	switch {
	case strings.HasPrefix(body, "query: "):
		// query: NAME CLASS TYPE FLAGS (SERVER)
		name, rest := word(body[len("query: "):])
		_, rest = word(rest) // class
		qtype, rest := word(rest)
		flags, rest := word(rest)
		server, _ := word(rest)
		if name == "" || qtype == "" {
			return false
		}
		ev.Label = "query"
		ev.Query, ev.QType = name, qtype
		ev.Transport = "udp"
		if strings.IndexByte(flags, 'T') >= 0 {
			ev.Transport = "tcp"
		}
		if a, err := netip.ParseAddr(strings.Trim(server, "()")); err == nil {
			ev.DstIP = a.Unmap()
		}
		return true
	case strings.HasPrefix(body, "query (cache) '"), strings.HasPrefix(body, "query '"):
		return denied(body[strings.IndexByte(body, '\'')+1:], "query denied", ev)
	case strings.HasPrefix(body, "zone transfer '"):
		return denied(body[len("zone transfer '"):], "zone transfer denied", ev)
	case strings.HasPrefix(body, "update '"):
		return denied(body[len("update '"):], "update denied", ev)
	case strings.HasPrefix(body, "bad zone transfer request: '"):
		// bad zone transfer request: 'NAME/CLASS': non-authoritative zone (NOTAUTH)
		q, rest, ok := strings.Cut(body[len("bad zone transfer request: '"):], "'")
		if !ok {
			return false
		}
		name, _, _ := strings.Cut(q, "/")
		ev.Label = "zone transfer denied"
		ev.Action = event.ActionDeny
		ev.Query = name
		ev.RCode = "REFUSED"
		if i := strings.LastIndexByte(rest, '('); i >= 0 && strings.HasSuffix(rest, ")") {
			ev.RCode = rest[i+1 : len(rest)-1]
		}
		return true
	case strings.HasPrefix(body, "query failed ("):
		// query failed (SERVFAIL) for NAME/CLASS/TYPE at query.c:NNNN
		rcode, rest, ok := strings.Cut(body[len("query failed ("):], ") for ")
		if !ok {
			return false
		}
		q, _ := word(rest)
		name, qtype, ok := splitQuestion(q, false)
		if !ok {
			return false
		}
		ev.Label = "query failed"
		ev.Outcome = event.OutcomeFailure
		ev.Query, ev.QType, ev.RCode = name, qtype, rcode
		return true
	}
	return false
}

// denied reads "NAME/TYPE/CLASS' denied[ (reason)]".
func denied(s, label string, ev *event.Event) bool {
	q, rest, ok := strings.Cut(s, "'")
	if !ok || !strings.HasPrefix(rest, " denied") {
		return false
	}
	name, qtype, ok := splitQuestion(q, true)
	if !ok {
		if label != "update denied" {
			return false
		}
		name, _, _ = strings.Cut(q, "/") // updates name the zone: 'zone/IN'
	}
	ev.Label = label
	ev.Action = event.ActionDeny
	ev.Query, ev.QType = name, qtype
	ev.RCode = "REFUSED"
	if r := strings.TrimSpace(rest[len(" denied"):]); r != "" {
		ev.Message = strings.Trim(r, "()")
	}
	return true
}

// splitQuestion splits "NAME/TYPE/CLASS" (typeFirst) or "NAME/CLASS/TYPE".
func splitQuestion(q string, typeFirst bool) (name, qtype string, ok bool) {
	j := strings.LastIndexByte(q, '/')
	if j <= 0 {
		return "", "", false
	}
	i := strings.LastIndexByte(q[:j], '/')
	if i < 0 {
		return "", "", false
	}
	name = q[:i]
	if typeFirst {
		qtype = q[i+1 : j]
	} else {
		qtype = q[j+1:]
	}
	return name, qtype, name != "" && qtype != ""
}

// clientAddr splits BIND's "10.0.0.5#51234" or "::1#62449".
func clientAddr(s string) (netip.Addr, uint16, bool) {
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return netip.Addr{}, 0, false
	}
	a, err := netip.ParseAddr(s[:i])
	if err != nil {
		return netip.Addr{}, 0, false
	}
	p, err := strconv.ParseUint(s[i+1:], 10, 16)
	if err != nil {
		return netip.Addr{}, 0, false
	}
	return a.Unmap(), uint16(p), true
}

// isCategory reports whether w may be a BIND category or severity name.
func isCategory(w string) bool {
	for i := 0; i < len(w); i++ {
		switch c := w[i]; {
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9', c == '-', c == '_':
		default:
			return false
		}
	}
	return w != ""
}
