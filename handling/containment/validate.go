package containment

import (
	"fmt"
	"net/netip"
	"net/url"
	"regexp"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/sanitize"
)

// ParamError says why a parameter's value was refused.
type ParamError struct {
	Param  string
	Kind   catalog.ParamKind
	Value  string // as given, made safe to show and cut short
	Reason string
}

func (e *ParamError) Error() string {
	return fmt.Sprintf("parameter %s (%s) %q: %s", e.Param, e.Kind, e.Value, e.Reason)
}

// Limits of parameter values.
const (
	maxValue  = 2048 // any value
	maxDomain = 253
	maxUser   = 32
)

var (
	// DefaultUserPattern is the account names accepted unless configured
	// otherwise: POSIX-style login names.
	DefaultUserPattern = regexp.MustCompile(`^[a-z_][a-z0-9_.-]{0,31}$`)

	ldhLabelRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$`)
	segmentRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._:@-]{0,14}$`)
	serviceRE  = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:._@-]{0,254}$`)
	protoNames = []string{"tcp", "udp", "icmp", "icmpv6", "sctp", "gre", "esp", "ah", "udplite", "dccp"}
)

// validator checks parameter values; segments, when not empty, are the
// segment names the inventory knows.
type validator struct {
	user     *regexp.Regexp
	segments map[string]bool
}

// Validate checks value as a value of kind for the parameter name and
// returns its canonical form (lower-case names, unmapped addresses). The
// checks are stricter than anything a command would need, because values
// come from logs an attacker writes: no white space or control characters,
// ASCII only (Unicode look-alikes are refused; give IDNs in their xn--
// form), nothing that starts with '-' (it would read as an option), and
// bounded lengths.
func (v *validator) Validate(name string, kind catalog.ParamKind, value string) (string, error) {
	fail := func(format string, args ...any) (string, error) {
		shown := sanitize.Line(value)
		if r := []rune(shown); len(r) > 60 {
			shown = string(r[:59]) + "…"
		}
		return "", &ParamError{Param: name, Kind: kind, Value: shown, Reason: fmt.Sprintf(format, args...)}
	}
	switch {
	case value == "":
		return fail("is empty")
	case len(value) > maxValue:
		return fail("is %d bytes long (at most %d)", len(value), maxValue)
	case strings.HasPrefix(value, "-"):
		return fail("starts with '-' and would be read as an option")
	}
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case c >= 0x80:
			return fail("holds a non-ASCII character (look-alike letters are refused; give a name in its xn-- form)")
		case c <= ' ' || c == 0x7f:
			return fail("holds white space or a control character")
		}
	}
	switch kind {
	case catalog.ParamIP:
		a, err := netip.ParseAddr(value)
		if err != nil {
			return fail("is not an IP address")
		}
		if a.Zone() != "" {
			return fail("has a zone")
		}
		return a.Unmap().String(), nil
	case catalog.ParamCIDR:
		p, err := netip.ParsePrefix(value)
		if err != nil || p.Addr().Zone() != "" {
			return fail("is not an address prefix such as 192.0.2.0/24")
		}
		if p.Masked() != p {
			return fail("has host bits set (did you mean %s?)", p.Masked())
		}
		return p.String(), nil
	case catalog.ParamDomain:
		d, reason := checkDomain(value, true)
		if reason != "" {
			return fail("%s", reason)
		}
		return d, nil
	case catalog.ParamHost:
		if a, err := netip.ParseAddr(value); err == nil && a.Zone() == "" {
			return a.Unmap().String(), nil
		}
		d, reason := checkDomain(value, false)
		if reason != "" {
			return fail("is neither an IP address nor a host name: %s", reason)
		}
		return d, nil
	case catalog.ParamURL:
		return v.checkURL(value, fail)
	case catalog.ParamPort:
		n, err := strconv.Atoi(value)
		if err != nil || strconv.Itoa(n) != value || n < 1 || n > 65535 {
			return fail("is not a port number 1–65535")
		}
		return value, nil
	case catalog.ParamProtocol:
		p := strings.ToLower(value)
		for _, n := range protoNames {
			if p == n {
				return p, nil
			}
		}
		if n, err := strconv.Atoi(value); err == nil && strconv.Itoa(n) == value && n >= 0 && n <= 255 {
			return value, nil
		}
		return fail("is not a protocol name (%s) or number 0–255", strings.Join(protoNames, ", "))
	case catalog.ParamUser:
		if len(value) > maxUser && v.user == DefaultUserPattern {
			return fail("is longer than %d characters", maxUser)
		}
		if !v.user.MatchString(value) {
			return fail("is not an account name (allowed: %s)", v.user)
		}
		return value, nil
	case catalog.ParamSegment:
		if !segmentRE.MatchString(value) {
			return fail("is not a segment name (letters, digits, . _ : @ -, at most 15)")
		}
		if len(v.segments) > 0 && !v.segments[value] {
			return fail("is not a segment of the asset inventory")
		}
		return value, nil
	case catalog.ParamService:
		if !serviceRE.MatchString(value) {
			return fail("is not a service name (letters, digits, : . _ @ -)")
		}
		return value, nil
	}
	return fail("has an unknown kind")
}

// checkDomain checks a DNS name of LDH labels and returns it in lower
// case without a trailing dot. A zone to block must have at least two
// labels (blocking "com" would cut the office off) and a name that is not
// all digits at the end (that would be an address).
func checkDomain(value string, zone bool) (string, string) {
	d := strings.ToLower(strings.TrimSuffix(value, "."))
	if d == "" || len(d) > maxDomain {
		return "", fmt.Sprintf("is not a DNS name of 1–%d characters", maxDomain)
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if !ldhLabelRE.MatchString(l) {
			return "", fmt.Sprintf("has a bad label %q (letters, digits and inner hyphens, 1–63 characters)", l)
		}
		if len(l) >= 4 && l[2:4] == "--" && !strings.HasPrefix(l, "xn--") {
			return "", fmt.Sprintf("has a label %q with hyphens in the 3rd and 4th place that is not an xn-- label", l)
		}
	}
	if zone && len(labels) < 2 {
		return "", "is a top-level domain; name a domain under it"
	}
	if _, err := strconv.Atoi(labels[len(labels)-1]); err == nil {
		return "", "ends in a number: give an address as an IP, not a domain"
	}
	return d, ""
}

// urlShellChars are characters refused in a URL although RFC 3986 allows
// some of them: each starts or ends something in a shell ($( and ${,
// ;, ', and the characters RFC 3986 does not allow at all, checked
// below). A URL that holds one must give it percent-encoded (%24, %3B,
// %27). & ( ) * ! + , = ~ stay: queries and paths need them.
const urlShellChars = "$;'"

// urlChars reports whether c may stand in a URL as RFC 3986 has it.
func urlChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~:/?#[]@!$&'()*+,;=%", c) >= 0
}

func (v *validator) checkURL(value string, fail func(string, ...any) (string, error)) (string, error) {
	for i := 0; i < len(value); i++ {
		switch c := value[i]; {
		case strings.IndexByte(urlShellChars, c) >= 0:
			return fail("holds %q, which a shell would act on: give it percent-encoded (%%%02X)", c, c)
		case !urlChar(c):
			return fail("holds %q, which a URL cannot hold as it is (RFC 3986): give it percent-encoded (%%%02X)", c, c)
		}
	}
	u, err := url.Parse(value)
	if err != nil {
		return fail("is not a URL")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fail("must be an absolute http or https URL")
	}
	if u.Opaque != "" || u.Host == "" {
		return fail("has no host")
	}
	if u.User != nil {
		return fail("holds user information (user@host)")
	}
	h := u.Hostname()
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" {
			return fail("has an address with a zone")
		}
	} else if _, reason := checkDomain(h, false); reason != "" {
		return fail("host %s", reason)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return fail("has a bad port %q", p)
		}
	}
	return value, nil
}
