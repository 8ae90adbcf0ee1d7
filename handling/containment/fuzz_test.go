package containment_test

import (
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
)

// shellChars start or end something in a shell (substitution, a list, a
// pipe, redirection, quoting, brace expansion): no accepted value of any
// kind holds one.
const shellChars = "`$;|<>\\\"'{}^\n\r\t "

// FuzzValidate checks every parameter validator (each kind of the catalog,
// through a measure that has it) on whatever a log may hold: a value that
// passes is a single harmless argument (ASCII, no white space or control
// characters, no shell metacharacter, no leading '-', bounded), its
// canonical form validates to itself, and it is what its kind says.
func FuzzValidate(f *testing.F) {
	cat, err := catalog.Load()
	if err != nil {
		f.Fatal(err)
	}
	m, err := containment.New(containment.Options{Catalog: cat, Audit: audit.Open(nil, audit.Options{User: "fuzz"})})
	if err != nil {
		f.Fatal(err)
	}
	type target struct {
		measure, param string
		kind           catalog.ParamKind
	}
	var targets []target
	kinds := map[catalog.ParamKind]bool{}
	for _, ms := range cat.Measures() {
		for _, p := range ms.Params {
			targets = append(targets, target{ms.ID, p.Name, p.Kind})
			kinds[p.Kind] = true
		}
	}
	for _, k := range []catalog.ParamKind{catalog.ParamIP, catalog.ParamCIDR, catalog.ParamDomain, catalog.ParamURL, catalog.ParamPort,
		catalog.ParamProtocol, catalog.ParamUser, catalog.ParamHost, catalog.ParamSegment, catalog.ParamService} {
		if !kinds[k] {
			f.Fatalf("no measure has a parameter of kind %s: its validator would not be fuzzed", k)
		}
	}
	// Values as they come in the sample logs, and what an attacker adds.
	for _, s := range []string{"203.0.113.7", "10.0.10.31", "::ffff:192.0.2.1", "2001:db8::1", "fe80::1%eth0", "10.0.10.0/24",
		"1.2.3.4; rm -rf /", "$(id)", "`id`", "kx7-update.duckdns.org", "Kx7-Update.DuckDNS.org.", "xn--80ak6aa92e.com",
		"http://e.com/a?b=c", "http://198.51.100.77:8080/update.exe?a=1", "http://[2001:db8::1]:8080/x", "http://e.com/$(id)",
		"http://e.com/a;reboot", "http://e.com/a|sh", "https://e.com/a(1)*", "http://e$(id).com/", "ftp://e.com/x",
		"-oProxyCommand=id", "pаypal.com", "8443", "0", "65536", "tcp", "UDP", "47", "backup", "svc_backup-01", `CORP\alice`,
		"office", "smbd", "postfix@main.service", "a\nb", "\x00", "a b", "{a,b}", "${IFS}", "'", "\""} {
		for i := range targets {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, value string) {
		tg := targets[int(i)%len(targets)]
		v, err := m.Validate(tg.measure, tg.param, value)
		if err != nil {
			if strings.ContainsAny(err.Error(), "\x00\x1b\n\r") {
				t.Fatalf("%s %s: the error carries control characters: %q", tg.measure, tg.param, err)
			}
			return
		}
		bad := func(why string) {
			t.Fatalf("%s %s (%s): %q accepted as %q: %s", tg.measure, tg.param, tg.kind, value, v, why)
		}
		if v == "" || len(v) > 2048 || strings.HasPrefix(v, "-") {
			bad("empty, too long or an option")
		}
		for _, r := range v {
			if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
				bad("non-ASCII, white space or control character")
			}
		}
		if strings.ContainsAny(v, shellChars) {
			bad("holds a shell metacharacter")
		}
		if again, err := m.Validate(tg.measure, tg.param, v); err != nil || again != v {
			bad("the canonical form does not validate to itself: " + again)
		}
		switch tg.kind {
		case catalog.ParamIP:
			if a, err := netip.ParseAddr(v); err != nil || a.Zone() != "" || a.Is4In6() {
				bad("not a plain address")
			}
		case catalog.ParamCIDR:
			if p, err := netip.ParsePrefix(v); err != nil || p.Masked() != p {
				bad("not a masked prefix")
			}
		case catalog.ParamPort:
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 65535 {
				bad("not a port")
			}
		case catalog.ParamURL:
			if u, err := url.Parse(v); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
				bad("not an absolute http(s) URL without user information")
			}
		case catalog.ParamDomain, catalog.ParamSegment, catalog.ParamService, catalog.ParamProtocol:
			if strings.ContainsAny(v, "/*?[]&()") {
				bad("holds a path or glob character")
			}
		}
	})
}
