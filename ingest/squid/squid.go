// Package squid reads Squid's access.log in its native format and in its
// built-in "combined" and "common" logformats.
//
// Native (logformat squid), optionally followed by quoted fields that many
// configurations append ("referer" "user agent", or just "user agent"):
//
//	1286536309.450    226 192.168.0.5 TCP_MISS/200 4402 GET http://www.example.com/ - HIER_DIRECT/93.184.216.34 text/html
//	time.ms         elapsed client    code/status bytes method URL  user hierarchy/peer     type
//
// What the client sent is not in any built-in logformat: "bytes" (%<st)
// is what Squid sent the client, the reply, and for a CONNECT tunnel the
// bytes the server sent through it (Squid's tunnel adds the server's side
// to the reply size and the client's side to the request size, %>st). An
// upload, by POST or through a tunnel, shows only in %>st. A native line
// may carry it as one more number after the content type, which is what
// this logformat writes (squid.conf):
//
//	logformat mamori %ts.%03tu %6tr %>a %Ss/%03>Hs %<st %rm %ru %[un %Sh/%<a %mt %>st "%{Referer}>h" "%{User-Agent}>h"
//	access_log /var/log/squid/access.log mamori
//
// Combined and common (Apache-style, with Squid's code:hierarchy last):
//
//	192.168.0.5 - alice [24/Mar/2018:17:15:20 +0900] "GET http://example.com/ HTTP/1.1" 200 5120 "http://ref.example/" "Mozilla/5.0" TCP_MISS:HIER_DIRECT
//	192.168.0.5 - - [24/Mar/2018:17:15:20 +0900] "CONNECT example.com:443 HTTP/1.1" 200 5120 TCP_TUNNEL:HIER_DIRECT
//
// Each line is one event of Kind http: SrcIP the client, User the
// authenticated (or ident) user, Method, URL, Domain the URL's host or the
// CONNECT target, DstPort the URL's port or its scheme's default, DstIP the
// server when Squid went direct (HIER_DIRECT, CLOSEST_DIRECT, ORIGINAL_DST),
// Status, BytesIn the reply size, BytesOut the request size when the line
// has %>st, Duration the elapsed time, ContentType,
// UserAgent, and Label the result code without the status ("TCP_MISS",
// "TCP_DENIED", "NONE_NONE"). Action is deny for *_DENIED codes and for a
// 403 the proxy answered itself (hierarchy NONE), allow otherwise. A client
// logged by name (log_fqdn on) leaves SrcIP unset and the name in Message.
//
// Apache and nginx access logs lack the code:hierarchy field and are
// rejected ("not squid"). Invalid UTF-8 is kept, replaced by U+FFFD.
package squid

import (
	"bytes"
	"net/netip"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/ingest/parse"
)

// Format is the Squid access.log format.
var Format = parse.Format{
	Name:    "squid",
	Title:   "Squid access.log (native, combined and common logformats)",
	Example: "1386543323.000      4 91.188.124.227 TCP_DENIED/403 4099 GET http://www.proxy-listen.de/azenv.php - HIER_NONE/- text/html",
	Sniff: func(_ string, lines [][]byte) int {
		return parse.SniffByDecoding(New, lines)
	},
	New: New,
}

// New returns a decoder for one access.log.
func New(src parse.Source) parse.Decoder { return decoder{loc: src.Loc()} }

type decoder struct{ loc *time.Location }

func (d decoder) Decode(line []byte, ev *event.Event) error {
	if !utf8.Valid(line) {
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	s := string(line)
	first, _ := next(s)
	if first == "" {
		return parse.Rejectf("not squid", "empty line")
	}
	if isUnixTime(first) {
		return decodeNative(s, ev)
	}
	return d.decodeCombined(s, ev)
}

// next returns the first space-separated word of s and what follows it.
func next(s string) (word, rest string) {
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

// decodeNative reads the native logformat.
func decodeNative(s string, ev *event.Event) error {
	var f [10]string
	rest := s
	for i := range f {
		f[i], rest = next(rest)
		if f[i] == "" {
			return parse.Rejectf("too few fields", "%d of 10", i)
		}
	}
	t, err := unixTime(f[0])
	if err != nil {
		return err
	}
	elapsed, err := strconv.ParseInt(f[1], 10, 64)
	if err != nil || elapsed < 0 {
		return parse.Rejectf("bad number", "elapsed %.20q", f[1])
	}
	code, status, err := codeStatus(f[3]) //nolint:gosec // G602 false positive: f is a [10]string (securego/gosec#1495)
	if err != nil {
		return err
	}
	size, err := strconv.ParseInt(f[4], 10, 64)
	if err != nil || size < 0 {
		return parse.Rejectf("bad number", "bytes %.20q", f[4])
	}
	hier, peer, _ := strings.Cut(f[8], "/") //nolint:gosec // G602 false positive: f is a [10]string (securego/gosec#1495)
	ev.Time = t
	ev.Duration = time.Duration(elapsed) * time.Millisecond
	setClient(ev, f[2]) //nolint:gosec // G602 false positive: f is a [10]string (securego/gosec#1495)
	ev.Label, ev.Status, ev.BytesIn = code, status, size
	setRequest(ev, f[5], f[6]) //nolint:gosec // G602 false positive: f is a [10]string (securego/gosec#1495)
	ev.User = dash(f[7])       //nolint:gosec // G602 false positive: f is a [10]string (securego/gosec#1495)
	if isDirect(hier) {
		if a, err := netip.ParseAddr(peer); err == nil {
			ev.DstIP = a.Unmap()
		}
	}
	ev.ContentType = dash(f[9])
	if w, after := next(rest); w != "" && isCount(w) {
		// %>st after the native fields: what the client sent.
		n, err := strconv.ParseInt(w, 10, 64)
		if err != nil {
			return parse.Rejectf("bad number", "request size %.20q", w)
		}
		ev.BytesOut, rest = n, after
	}
	ev.UserAgent = userAgent(rest)
	finish(ev, hier)
	return nil
}

// isCount reports whether w is a decimal count (all digits).
func isCount(w string) bool {
	for i := 0; i < len(w); i++ {
		if w[i] < '0' || w[i] > '9' {
			return false
		}
	}
	return w != ""
}

// decodeCombined reads the combined and common logformats.
func (d decoder) decodeCombined(s string, ev *event.Event) error {
	client, rest := next(s)
	ident, rest := next(rest)
	user, rest := next(rest)
	rest = strings.TrimLeft(rest, " ")
	if user == "" || !strings.HasPrefix(rest, "[") {
		return parse.Rejectf("not squid", "neither a native nor a combined line: %.40q", s)
	}
	t, n, err := parse.ParseDMY(rest[1:], d.loc)
	if err != nil {
		return err
	}
	rest = rest[1+n:]
	if !strings.HasPrefix(rest, "] \"") {
		return parse.Rejectf("bad timestamp", "%.40q", rest)
	}
	request, rest, ok := cutQuoted(rest[3:])
	if !ok {
		return parse.Rejectf("truncated line", "unterminated request")
	}
	statusText, rest := next(rest)
	sizeText, rest := next(rest)
	rest = strings.TrimRight(rest, " ")
	k := strings.LastIndexByte(rest, ' ')
	last := rest[k+1:]
	code, hier, ok := strings.Cut(last, ":")
	if !ok || !isCode(code) || !isCode(hier) {
		return parse.Rejectf("not squid", "no Squid code:hierarchy at the end: %.40q", last)
	}
	status, err := strconv.Atoi(statusText)
	if err != nil || status < 0 || status > 999 {
		return parse.Rejectf("bad status", "%.20q", statusText)
	}
	size := int64(0)
	if sizeText != "-" {
		if size, err = strconv.ParseInt(sizeText, 10, 64); err != nil || size < 0 {
			return parse.Rejectf("bad number", "bytes %.20q", sizeText)
		}
	}
	method, rest2 := next(request)
	url, _ := next(rest2)
	ev.Time = t
	setClient(ev, client)
	ev.User = dash(user)
	if ev.User == "" {
		ev.User = dash(ident)
	}
	setRequest(ev, method, url)
	ev.Label, ev.Status, ev.BytesIn = code, status, size
	if k > 0 {
		ev.UserAgent = userAgent(rest[:k])
	}
	finish(ev, hier)
	return nil
}

// finish sets what every Squid event shares.
func finish(ev *event.Event, hier string) {
	ev.Format = Format.Name
	ev.Kind = event.KindHTTP
	ev.Action = event.ActionAllow
	if strings.HasSuffix(ev.Label, "_DENIED") || strings.Contains(ev.Label, "_DENIED_") ||
		(ev.Status == 403 && strings.TrimPrefix(hier, "HIER_") == "NONE") {
		ev.Action = event.ActionDeny
	}
}

// setRequest sets Method, URL, Domain and DstPort.
func setRequest(ev *event.Event, method, url string) {
	ev.Method = dash(method)
	ev.URL = dash(url)
	if method == "CONNECT" {
		// "host:port"; Squid writes "error:method-not-allowed" and the like
		// for a CONNECT it refused to read.
		if host, port := splitHostPort(url); port != 0 && host != "" {
			ev.Domain = lowerHost(host)
			ev.DstPort = port
		}
		return
	}
	scheme, after, ok := strings.Cut(url, "://")
	if !ok {
		return // "error:method-not-allowed", "/path" of an intercepted request
	}
	authority := after
	if i := strings.IndexAny(after, "/?#"); i >= 0 {
		authority = after[:i]
	}
	if i := strings.LastIndexByte(authority, '@'); i >= 0 {
		authority = authority[i+1:]
	}
	host, port := splitHostPort(authority)
	if port == 0 {
		port = defaultPort(scheme)
	}
	ev.Domain = lowerHost(host)
	ev.DstPort = port
}

// splitHostPort splits "host:port" or "[v6]:port"; the port is 0 when
// missing or bad.
func splitHostPort(s string) (string, uint16) {
	host, portText := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return "", 0
		}
		host = s[1:end]
		portText = strings.TrimPrefix(s[end+1:], ":")
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 && strings.IndexByte(s[:i], ':') < 0 {
		host, portText = s[:i], s[i+1:]
	}
	p, err := strconv.ParseUint(portText, 10, 16)
	if err != nil {
		return host, 0
	}
	return host, uint16(p)
}

func defaultPort(scheme string) uint16 {
	switch strings.ToLower(scheme) {
	case "http", "ws":
		return 80
	case "https", "wss":
		return 443
	case "ftp":
		return 21
	}
	return 0
}

// lowerHost lowercases a host name, allocating only when it has capitals.
func lowerHost(h string) string {
	for i := 0; i < len(h); i++ {
		if 'A' <= h[i] && h[i] <= 'Z' {
			return strings.ToLower(h)
		}
	}
	return h
}

// isDirect reports whether a hierarchy code means Squid fetched from the
// origin server itself, so the peer is the destination.
func isDirect(hier string) bool {
	h := strings.TrimPrefix(strings.TrimPrefix(hier, "HIER_"), "TIMEOUT_")
	return h == "DIRECT" || h == "CLOSEST_DIRECT" || h == "ORIGINAL_DST"
}

// codeStatus splits "TCP_MISS/200".
func codeStatus(s string) (string, int, error) {
	code, st, ok := strings.Cut(s, "/")
	if !ok || !isCode(code) {
		return "", 0, parse.Rejectf("bad status", "%.30q", s)
	}
	n, err := strconv.Atoi(st)
	if err != nil || n < 0 || n > 999 {
		return "", 0, parse.Rejectf("bad status", "%.30q", s)
	}
	return code, n, nil
}

// isCode reports whether s looks like a Squid result or hierarchy code.
func isCode(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case 'A' <= c && c <= 'Z', '0' <= c && c <= '9', c == '_':
		default:
			return false
		}
	}
	return true
}

// isUnixTime reports whether w has the shape of Squid's "%ts.%03tu".
func isUnixTime(w string) bool {
	dot := strings.IndexByte(w, '.')
	if dot < 9 {
		return false
	}
	for i := 0; i < len(w); i++ {
		if i != dot && (w[i] < '0' || w[i] > '9') {
			return false
		}
	}
	return true
}

// unixTime parses "1286536309.450".
func unixTime(w string) (time.Time, error) {
	sec, frac, _ := strings.Cut(w, ".")
	s, err := strconv.ParseInt(sec, 10, 64)
	if err != nil || s > 1<<40 {
		return time.Time{}, parse.Rejectf("bad timestamp", "%.30q", w)
	}
	ns := 0
	for i := 0; i < 9; i++ {
		ns *= 10
		if i < len(frac) {
			ns += int(frac[i] - '0')
		}
	}
	return time.Unix(s, int64(ns)).UTC(), nil
}

// userAgent returns the user agent from the quoted fields that follow the
// standard ones: the only one, or the second of "referer" "user agent".
func userAgent(s string) string {
	var q [2]string
	n := 0
	for n < 2 {
		s = strings.TrimLeft(s, " ")
		if s == "" {
			break
		}
		if s[0] != '"' {
			_, s = next(s)
			continue
		}
		v, rest, ok := cutQuoted(s[1:])
		if !ok {
			break
		}
		q[n] = v
		n++
		s = rest
	}
	switch n {
	case 1:
		return dash(q[0])
	case 2:
		return dash(q[1]) //nolint:gosec // G602 false positive: q is a [2]string (securego/gosec#1495)
	}
	return ""
}

// cutQuoted returns the text up to the closing quote of a field whose
// opening quote is already consumed: a quote followed by a space or the
// end of the line (values may hold quotes of their own).
func cutQuoted(s string) (value, rest string, ok bool) {
	for i := 0; i < len(s); i++ {
		if s[i] == '"' && (i+1 == len(s) || s[i+1] == ' ') {
			return s[:i], s[i+1:], true
		}
	}
	return "", "", false
}

func setClient(ev *event.Event, s string) {
	if a, err := netip.ParseAddr(s); err == nil {
		ev.SrcIP = a.Unmap()
	} else {
		ev.Message = s
	}
}

func dash(s string) string {
	if s == "-" {
		return ""
	}
	return s
}
