package containment_test

import (
	"strings"
	"testing"
	"unicode"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
)

// FuzzValidate checks that whatever a log holds, a value that passes
// validation is a single harmless argument: ASCII, no white space or
// control characters, no leading '-', bounded.
func FuzzValidate(f *testing.F) {
	cat, err := catalog.Load()
	if err != nil {
		f.Fatal(err)
	}
	m, err := containment.New(containment.Options{Catalog: cat, Audit: audit.Open(nil, audit.Options{User: "fuzz"})})
	if err != nil {
		f.Fatal(err)
	}
	type target struct{ measure, param string }
	var targets []target
	for _, ms := range cat.Measures() {
		for _, p := range ms.Params {
			targets = append(targets, target{ms.ID, p.Name})
		}
	}
	for _, s := range []string{"203.0.113.7", "1.2.3.4; rm -rf /", "$(id)", "kx7-update.duckdns.org", "http://e.com/a?b=c",
		"-oProxyCommand=id", "pаypal.com", "10.0.10.0/24", "8443", "tcp", "backup", "office", "smbd", "a\nb", "\x00"} {
		for i := range targets {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, i uint8, value string) {
		tg := targets[int(i)%len(targets)]
		v, err := m.Validate(tg.measure, tg.param, value)
		if err != nil {
			return
		}
		if v == "" || len(v) > 2048 || strings.HasPrefix(v, "-") {
			t.Fatalf("%s %s: %q accepted as %q", tg.measure, tg.param, value, v)
		}
		for _, r := range v {
			if r > unicode.MaxASCII || unicode.IsSpace(r) || unicode.IsControl(r) {
				t.Fatalf("%s %s: %q accepted as %q", tg.measure, tg.param, value, v)
			}
		}
	})
}
