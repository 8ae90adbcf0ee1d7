package parse

import (
	"bytes"
	"strings"
	"time"
	"unicode/utf8"
)

// Syslog is the header of one syslog line, as ParseSyslog reads it.
type Syslog struct {
	Time    time.Time // always UTC
	Host    string    // "" when the line names none (dnsmasq's own log file)
	Program string    // the tag without its PID: "sshd", "postfix/smtpd", "kernel"
	PID     string    // "" when the tag has none
	// Message is the text after the tag. For the kernel it starts after the
	// bracketed uptime ("[12345.678901] "), which is not part of the message.
	Message string
}

// YearTolerance is how far past Source.Reference an inferred-year timestamp
// may lie before the year before is taken instead: clock skew between the
// writer and the file system, and lines appended while the file is read.
const YearTolerance = 24 * time.Hour

// ParseSyslog reads the syslog header of line. It accepts, each with an
// optional "<PRI>" prefix:
//
//	Mar  4 10:00:00 host prog[123]: msg               RFC 3164, journalctl -o short
//	Mar 04 10:00:00.123456 host prog[123]: msg        journalctl -o short-precise
//	2026-03-04T10:00:00+0900 host prog[123]: msg      journalctl -o short-iso
//	2026-03-04T10:00:00.123456+09:00 host prog: msg   RFC 3339 (rsyslog on Debian 12)
//	<34>1 2026-03-04T10:00:00.003Z host app 123 ID47 [sd] msg   RFC 5424
//
// The host may be missing ("Mar  4 10:00:00 dnsmasq[12]: msg"): a first
// word that is a tag ("prog[123]:" or "prog:") is taken as one. A line
// without a tag has an empty Program and the rest as Message. Solaris'
// "[ID 123456 auth.info] " message prefix is dropped.
//
// Timestamps without a year take src.Year, or else the year that puts them
// at most YearTolerance after src.Reference() (ModTime, or the current
// time for a followed file or an unknown ModTime). Timestamps without a zone are read in src.Loc(). Invalid UTF-8 is
// kept, each invalid sequence replaced by U+FFFD.
//
// Errors are *Reject with the reasons "not syslog", "bad timestamp",
// "bad structured data" and "truncated line".
func ParseSyslog(line []byte, src Source) (Syslog, error) { //nolint:revive // stutters, but Syslog names its result type; the syslog-based parsers call it
	var h Syslog
	if !utf8.Valid(line) {
		line = bytes.ToValidUTF8(line, []byte("\uFFFD"))
	}
	s := string(line)
	i := 0
	if len(s) > 0 && s[0] == '<' {
		j := 1
		for j < len(s) && j <= 4 && isDigit(s[j]) {
			j++
		}
		if j == 1 || j > 4 || j >= len(s) || s[j] != '>' {
			return h, Rejectf("not syslog", "bad priority %.8q", s)
		}
		i = j + 1
		if len(s) > i+2 && s[i] == '1' && s[i+1] == ' ' {
			return parse5424(s, i+2, src)
		}
	}
	var err error
	var rest int
	switch {
	case len(s)-i >= 4 && isDigit(s[i]) && isDigit(s[i+1]) && isDigit(s[i+2]) && isDigit(s[i+3]):
		h.Time, rest, err = parseISO(s, i, src.Loc())
	case len(s)-i >= 3 && monthIndex(s[i:i+3]) > 0:
		h.Time, rest, err = parseBSD(s, i, src)
	default:
		return h, Rejectf("not syslog", "no timestamp at %.16q", s[i:])
	}
	if err != nil {
		return h, err
	}
	if rest >= len(s) || s[rest] != ' ' {
		if rest >= len(s) {
			return h, Rejectf("truncated line", "nothing after the timestamp")
		}
		return h, Rejectf("bad timestamp", "timestamp not followed by a space: %.32q", s[i:])
	}
	for rest < len(s) && s[rest] == ' ' {
		rest++
	}
	if rest >= len(s) {
		return h, Rejectf("truncated line", "nothing after the timestamp")
	}
	h.Host, h.Program, h.PID, h.Message = splitTag(s[rest:])
	h.Message = trimMessage(h.Program, h.Message)
	return h, nil
}

// splitTag splits "host prog[pid]: msg" (host optional) into its parts.
func splitTag(s string) (host, prog, pid, msg string) {
	first, after, _ := strings.Cut(s, " ")
	if !isTag(first) {
		host = first
		s = after
		first, after, _ = strings.Cut(s, " ")
	}
	// A tag ends with ':' or with "[pid]" (fail2ban keeps samples of sshd
	// tags without the colon); anything else is message text.
	t := strings.TrimSuffix(first, ":")
	hasColon := len(t) < len(first)
	name, p := t, ""
	if k := strings.IndexByte(t, '['); k >= 0 && strings.HasSuffix(t, "]") {
		name, p = t[:k], t[k+1:len(t)-1]
	} else if !hasColon {
		return host, "", "", s
	}
	return host, name, p, after
}

// isTag reports whether w, the first word after the timestamp, is a tag
// rather than a host name: "prog[12]:", "prog[12]" or "prog:". An IPv6
// host ("2001:db8::1") has colons inside, a tag only at its end.
func isTag(w string) bool {
	if w == "" {
		return false
	}
	if k := strings.IndexByte(w, '['); k >= 0 {
		return strings.HasSuffix(w, "]") || strings.HasSuffix(w, "]:")
	}
	return w[len(w)-1] == ':' && strings.IndexByte(w[:len(w)-1], ':') < 0
}

// trimMessage drops what is header rather than message: the kernel's
// bracketed uptime and Solaris' message id.
func trimMessage(prog, msg string) string {
	if len(msg) < 3 || msg[0] != '[' {
		return msg
	}
	end := strings.IndexByte(msg, ']')
	if end < 0 {
		return msg
	}
	switch {
	case prog == "kernel" && isUptime(msg[1:end]):
	case strings.HasPrefix(msg, "[ID ") && end < 64:
	default:
		return msg
	}
	msg = msg[end+1:]
	if len(msg) > 0 && msg[0] == ' ' {
		msg = msg[1:]
	}
	return msg
}

func isUptime(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isDigit(c) && c != '.' && c != ' ' {
			return false
		}
	}
	return true
}

// parse5424 reads an RFC 5424 line after "<PRI>1 ": TIMESTAMP HOSTNAME
// APP-NAME PROCID MSGID STRUCTURED-DATA [MSG], with "-" for a nil value.
func parse5424(s string, i int, src Source) (Syslog, error) {
	var h Syslog
	if strings.HasPrefix(s[i:], "- ") {
		return h, Rejectf("bad timestamp", "RFC 5424 line without a timestamp")
	}
	t, rest, err := parseISO(s, i, src.Loc())
	if err != nil {
		return h, err
	}
	h.Time = t
	var fields [4]string
	for k := range fields {
		if rest >= len(s) || s[rest] != ' ' {
			return h, Rejectf("truncated line", "RFC 5424 header ends after %d fields", k)
		}
		rest++
		end := strings.IndexByte(s[rest:], ' ')
		if end < 0 {
			end = len(s) - rest
		}
		if f := s[rest : rest+end]; f != "-" {
			fields[k] = f
		}
		rest += end
	}
	h.Host, h.Program, h.PID = fields[0], fields[1], fields[2]
	if rest >= len(s) || s[rest] != ' ' {
		return h, Rejectf("truncated line", "RFC 5424 header without structured data")
	}
	rest++
	rest, err = skipStructuredData(s, rest)
	if err != nil {
		return h, err
	}
	if rest < len(s) && s[rest] == ' ' {
		rest++
	}
	msg := strings.TrimPrefix(s[rest:], "\uFEFF")
	h.Message = trimMessage(h.Program, msg)
	return h, nil
}

// skipStructuredData returns the index after RFC 5424 STRUCTURED-DATA
// starting at i: "-" or one or more "[id param="value" ...]" elements,
// where a value may hold \" \\ and \].
func skipStructuredData(s string, i int) (int, error) {
	if i < len(s) && s[i] == '-' {
		return i + 1, nil
	}
	if i >= len(s) || s[i] != '[' {
		return i, Rejectf("bad structured data", "expected '[' or '-' at %.16q", s[i:])
	}
	for i < len(s) && s[i] == '[' {
		quoted := false
		i++
		for ; i < len(s); i++ {
			c := s[i]
			if quoted {
				switch c {
				case '\\':
					i++
				case '"':
					quoted = false
				}
				continue
			}
			if c == '"' {
				quoted = true
			} else if c == ']' {
				break
			}
		}
		if i >= len(s) {
			return i, Rejectf("bad structured data", "unterminated element")
		}
		i++ // past ']'
	}
	return i, nil
}

// parseISO reads "2026-03-04T10:00:00[.frac][Z|+09:00|+0900|+09]" (a space
// may stand for the T) at s[i:] and returns the time in UTC and the index
// after it. A time without a zone is read in loc.
func parseISO(s string, i int, loc *time.Location) (time.Time, int, error) {
	if len(s)-i < 19 || s[i+4] != '-' || s[i+7] != '-' || (s[i+10] != 'T' && s[i+10] != ' ') ||
		s[i+13] != ':' || s[i+16] != ':' {
		return time.Time{}, i, Rejectf("bad timestamp", "%.32q", s[i:])
	}
	year, ok1 := atoiN(s[i : i+4])
	mon, ok2 := atoiN(s[i+5 : i+7])
	day, ok3 := atoiN(s[i+8 : i+10])
	hh, ok4 := atoiN(s[i+11 : i+13])
	mm, ok5 := atoiN(s[i+14 : i+16])
	ss, ok6 := atoiN(s[i+17 : i+19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || !validDate(year, mon, day) || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, i, Rejectf("bad timestamp", "%.32q", s[i:])
	}
	j := i + 19
	nsec, j := parseFraction(s, j)
	var off int
	zoned := false
	if j < len(s) {
		switch c := s[j]; c {
		case 'Z', 'z':
			zoned = true
			j++
		case '+', '-':
			n, k, ok := parseOffset(s, j+1)
			if !ok {
				return time.Time{}, i, Rejectf("bad timestamp", "bad zone offset in %.40q", s[i:])
			}
			off = n
			if c == '-' {
				off = -n
			}
			zoned = true
			j = k
		}
	}
	if ss == 60 { // a leap second: time.Date normalises it to the next minute
		ss, nsec = 59, 999999999
	}
	if !zoned {
		return time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, loc).UTC(), j, nil
	}
	t := time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, time.UTC)
	return t.Add(-time.Duration(off) * time.Second), j, nil
}

// ParseISO reads an RFC 3339 / ISO 8601 timestamp at the start of s
// ("2026-03-04T10:00:00.123+09:00", "...Z", "+0900", or a space for the
// T), as BIND's print-time iso8601 writes. A time without a zone is read
// in loc. It returns the time in UTC and the length read; the error is a
// *Reject with the reason "bad timestamp".
func ParseISO(s string, loc *time.Location) (time.Time, int, error) { //nolint:revive // named like its sibling ParseSyslog; other parser packages call it
	if len(s) < 4 || !isDigit(s[0]) || !isDigit(s[1]) || !isDigit(s[2]) || !isDigit(s[3]) {
		return time.Time{}, 0, Rejectf("bad timestamp", "%.32q", s)
	}
	return parseISO(s, 0, loc)
}

// parseOffset reads "09:00", "0900" or "09" at s[i:] and returns the offset
// in seconds and the index after it.
func parseOffset(s string, i int) (int, int, bool) {
	if len(s)-i < 2 {
		return 0, i, false
	}
	h, ok := atoiN(s[i : i+2])
	if !ok || h > 23 {
		return 0, i, false
	}
	j := i + 2
	m := 0
	switch {
	case len(s)-j >= 3 && s[j] == ':' && isDigit(s[j+1]) && isDigit(s[j+2]):
		m, _ = atoiN(s[j+1 : j+3])
		j += 3
	case len(s)-j >= 2 && isDigit(s[j]) && isDigit(s[j+1]):
		m, _ = atoiN(s[j : j+2])
		j += 2
	}
	if m > 59 {
		return 0, i, false
	}
	return h*3600 + m*60, j, true
}

// parseFraction reads an optional ".123456" at s[i:] and returns it in
// nanoseconds (digits past the ninth are dropped) and the index after it.
func parseFraction(s string, i int) (int, int) {
	if i >= len(s) || s[i] != '.' || i+1 >= len(s) || !isDigit(s[i+1]) {
		return 0, i
	}
	i++
	n, digits := 0, 0
	for ; i < len(s) && isDigit(s[i]); i++ {
		if digits < 9 {
			n = n*10 + int(s[i]-'0')
			digits++
		}
	}
	for ; digits < 9; digits++ {
		n *= 10
	}
	return n, i
}

// parseBSD reads "Mar  4 10:00:00[.frac]" (day padded with a space or a
// zero, or not at all) at s[i:] and returns the time in UTC and the index
// after it.
func parseBSD(s string, i int, src Source) (time.Time, int, error) {
	mon := monthIndex(s[i : i+3])
	j := i + 3
	if j >= len(s) || s[j] != ' ' {
		return time.Time{}, i, Rejectf("bad timestamp", "%.24q", s[i:])
	}
	j++
	if j < len(s) && s[j] == ' ' {
		j++
	}
	day := 0
	k := j
	for k < len(s) && k-j < 2 && isDigit(s[k]) {
		day = day*10 + int(s[k]-'0')
		k++
	}
	if k == j || day < 1 || day > 31 || len(s)-k < 9 || s[k] != ' ' || s[k+3] != ':' || s[k+6] != ':' {
		return time.Time{}, i, Rejectf("bad timestamp", "%.24q", s[i:])
	}
	hh, ok1 := atoiN(s[k+1 : k+3])
	mm, ok2 := atoiN(s[k+4 : k+6])
	ss, ok3 := atoiN(s[k+7 : k+9])
	if !ok1 || !ok2 || !ok3 || hh > 23 || mm > 59 || ss > 60 {
		return time.Time{}, i, Rejectf("bad timestamp", "%.24q", s[i:])
	}
	if ss == 60 {
		ss = 59
	}
	nsec, end := parseFraction(s, k+9)
	loc := src.Loc()
	if src.Year != 0 {
		if !validDate(src.Year, mon, day) {
			return time.Time{}, i, Rejectf("bad timestamp", "no %s %d in %d", s[i:i+3], day, src.Year)
		}
		return time.Date(src.Year, time.Month(mon), day, hh, mm, ss, nsec, loc).UTC(), end, nil
	}
	ref := src.Reference()
	limit := ref.Add(YearTolerance)
	year := ref.In(loc).Year()
	// Walk back from the reference year to the latest year in which the
	// date exists and does not lie in the future (Feb 29 may take a few).
	for n := 0; n < 9; n, year = n+1, year-1 {
		if !validDate(year, mon, day) {
			continue
		}
		t := time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, loc)
		if !t.After(limit) {
			return t.UTC(), end, nil
		}
	}
	return time.Time{}, i, Rejectf("bad timestamp", "no year fits %.15q", s[i:])
}

// ParseDMY reads the day-month-year timestamps that Apache-style logs and
// BIND write, at the start of s:
//
//	24/Mar/2018:17:15:20 +0900     Squid's combined format, Proxmox firewall
//	24-Mar-2018 17:15:20.123       BIND 9
//
// A fraction of a second and a " +hhmm" zone are optional; a time without a
// zone is read in loc. It returns the time in UTC and the length read. The
// error is a *Reject with the reason "bad timestamp".
func ParseDMY(s string, loc *time.Location) (time.Time, int, error) { //nolint:revive // named like its sibling ParseSyslog; other parser packages call it
	bad := func() (time.Time, int, error) {
		return time.Time{}, 0, Rejectf("bad timestamp", "%.32q", s)
	}
	day, i := 0, 0
	for i < len(s) && i < 2 && isDigit(s[i]) {
		day = day*10 + int(s[i]-'0')
		i++
	}
	if i == 0 || len(s)-i < 18 {
		return bad()
	}
	sep := s[i]
	if (sep != '/' && sep != '-') || s[i+4] != sep {
		return bad()
	}
	mon := monthIndex(s[i+1 : i+4])
	year, ok1 := atoiN(s[i+5 : i+9])
	j := i + 9
	if (s[j] != ':' && s[j] != ' ') || s[j+3] != ':' || s[j+6] != ':' {
		return bad()
	}
	hh, ok2 := atoiN(s[j+1 : j+3])
	mm, ok3 := atoiN(s[j+4 : j+6])
	ss, ok4 := atoiN(s[j+7 : j+9])
	if !ok1 || !ok2 || !ok3 || !ok4 || !validDate(year, mon, day) || hh > 23 || mm > 59 || ss > 60 {
		return bad()
	}
	if ss == 60 {
		ss = 59
	}
	nsec, k := parseFraction(s, j+9)
	if len(s)-k >= 6 && s[k] == ' ' && (s[k+1] == '+' || s[k+1] == '-') && isDigit(s[k+2]) {
		off, end, ok := parseOffset(s, k+2)
		if !ok {
			return bad()
		}
		if s[k+1] == '-' {
			off = -off
		}
		t := time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, time.UTC)
		return t.Add(-time.Duration(off) * time.Second), end, nil
	}
	return time.Date(year, time.Month(mon), day, hh, mm, ss, nsec, loc).UTC(), k, nil
}

var months = [...]string{"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"}

// monthIndex returns 1..12 for an English month abbreviation, else 0.
func monthIndex(s string) int {
	for i, m := range months {
		if s == m {
			return i + 1
		}
	}
	return 0
}

func validDate(year, mon, day int) bool {
	if mon < 1 || mon > 12 || day < 1 {
		return false
	}
	return day <= daysIn(time.Month(mon), year)
}

func daysIn(m time.Month, year int) int {
	switch m {
	case time.February:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case time.April, time.June, time.September, time.November:
		return 30
	}
	return 31
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// atoiN parses a short run of ASCII digits.
func atoiN(s string) (int, bool) {
	if s == "" {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
