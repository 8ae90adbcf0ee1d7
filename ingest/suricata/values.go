package suricata

import (
	"net/netip"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/ingest/internal/jsonscan"
	"github.com/mamori-soc/mamori/ingest/parse"
)

func wrongType(name string, v jsonscan.Value, want string) error {
	return parse.Rejectf("wrong type", "%s is a JSON %s, want %s", name, v.Kind, want)
}

// absent reports whether a member is missing or null.
func absent(v jsonscan.Value) bool { return v.Kind == jsonscan.Invalid || v.Kind == jsonscan.Null }

// str returns a string member, "" when absent.
func str(v jsonscan.Value, name string) (string, error) {
	switch {
	case v.Kind == jsonscan.String:
		return v.Text(), nil
	case absent(v):
		return "", nil
	}
	return "", wrongType(name, v, "a string")
}

// integer returns an integer member, 0 when absent.
func integer(v jsonscan.Value, name string) (int64, error) {
	if absent(v) {
		return 0, nil
	}
	if v.Kind != jsonscan.Number {
		return 0, wrongType(name, v, "a number")
	}
	n, ok := v.Int()
	if !ok {
		return 0, parse.Rejectf("bad number", "%s %s", name, clip(v.Raw()))
	}
	return n, nil
}

// count is a non-negative integer member (bytes, sizes).
func count(v jsonscan.Value, name string) (int64, error) {
	n, err := integer(v, name)
	if err == nil && n < 0 {
		return 0, parse.Rejectf("bad number", "%s %d", name, n)
	}
	return n, err
}

func addr(v jsonscan.Value, name string) (netip.Addr, error) {
	switch {
	case absent(v):
		return netip.Addr{}, nil
	case v.Kind != jsonscan.String:
		return netip.Addr{}, wrongType(name, v, "a string")
	}
	a, err := netip.ParseAddr(string(v.Raw()))
	if err != nil {
		return netip.Addr{}, parse.Rejectf("bad address", "%s %q", name, clip(v.Raw()))
	}
	return a, nil
}

func port(v jsonscan.Value, name string) (uint16, error) {
	n, err := integer(v, name)
	if err != nil {
		return 0, err
	}
	if n < 0 || n > 65535 {
		return 0, parse.Rejectf("bad port", "%s %d", name, n)
	}
	return uint16(n), nil
}

// transport lowercases proto ("TCP"), without allocating for the usual ones.
func transport(v jsonscan.Value) (string, error) {
	switch {
	case absent(v):
		return "", nil
	case v.Kind == jsonscan.Number:
		return string(v.Raw()), nil // an IP protocol number
	case v.Kind != jsonscan.String:
		return "", wrongType("proto", v, "a string")
	}
	switch string(v.Raw()) {
	case "TCP":
		return "tcp", nil
	case "UDP":
		return "udp", nil
	case "ICMP":
		return "icmp", nil
	case "IPv6-ICMP":
		return "ipv6-icmp", nil
	case "SCTP":
		return "sctp", nil
	}
	return strings.ToLower(v.Text()), nil
}

// appProto returns app_proto, without allocating for the usual ones.
// "failed" (detection gave up) is no service.
func appProto(v jsonscan.Value) (string, error) {
	switch {
	case absent(v):
		return "", nil
	case v.Kind != jsonscan.String:
		return "", wrongType("app_proto", v, "a string")
	}
	switch string(v.Raw()) {
	case "failed":
		return "", nil
	case "http":
		return "http", nil
	case "tls":
		return "tls", nil
	case "dns":
		return "dns", nil
	case "smb":
		return "smb", nil
	case "dcerpc":
		return "dcerpc", nil
	case "ssh":
		return "ssh", nil
	case "smtp":
		return "smtp", nil
	case "ftp":
		return "ftp", nil
	case "krb5":
		return "krb5", nil
	case "ntp":
		return "ntp", nil
	case "dhcp":
		return "dhcp", nil
	}
	return v.Text(), nil
}

// parseTimestamp reads EVE's "2021-06-07T03:55:59.123456+0200"; the zone may
// also be "Z" or "+02:00", or missing (then loc applies).
func parseTimestamp(b []byte, loc *time.Location) (time.Time, bool) {
	if len(b) < 19 || b[4] != '-' || b[7] != '-' || (b[10] != 'T' && b[10] != ' ') || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !ok1 || !ok2 || !ok3 || !ok4 || !ok5 || !ok6 || month < 1 || month > 12 || day < 1 ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	rest := b[19:]
	nsec := 0
	if len(rest) > 0 && rest[0] == '.' {
		i, scale := 1, 100_000_000
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			nsec += int(rest[i]-'0') * scale // digits past nanoseconds add 0
			scale /= 10
			i++
		}
		if i == 1 {
			return time.Time{}, false
		}
		rest = rest[i:]
	}
	var t time.Time
	switch {
	case len(rest) == 0:
		t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	case len(rest) == 1 && rest[0] == 'Z':
		t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC)
	case rest[0] == '+' || rest[0] == '-':
		z := rest[1:]
		if len(z) == 5 && z[2] == ':' {
			z = []byte{z[0], z[1], z[3], z[4]}
		}
		zh, okh := digits(z[:min(2, len(z))])
		zm, okm := digits(z[min(2, len(z)):])
		if len(z) != 4 || !okh || !okm || zh > 23 || zm > 59 {
			return time.Time{}, false
		}
		offset := time.Duration(zh)*time.Hour + time.Duration(zm)*time.Minute
		if rest[0] == '-' {
			offset = -offset
		}
		t = time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC).Add(-offset)
	default:
		return time.Time{}, false
	}
	// Which times are stored (not before 1970, not after 2262) is decided
	// for every format alike by ingest (parse.CheckTime).
	if day > daysIn(time.Month(month), year) {
		return time.Time{}, false
	}
	return t.UTC(), true
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func digits(b []byte) (int, bool) {
	if len(b) == 0 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

// clip shortens attacker-controlled bytes quoted in a reject detail.
func clip(b []byte) string {
	const max = 64
	if len(b) > max {
		return strings.ToValidUTF8(string(b[:max]), "\uFFFD") + "..."
	}
	return strings.ToValidUTF8(string(b), "\uFFFD")
}
