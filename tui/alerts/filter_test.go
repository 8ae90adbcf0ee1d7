package alerts_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/tui/alerts"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

// office is an office's alerts with neighbours a fuzzy filter mixes up:
// pc-003, pc-006, pc-011 and pc-060 (10.0.10.60 starts like 10.0.10.6).
func office(t *testing.T) *backendtest.Fake {
	t.Helper()
	cat, err := catalog.Load()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	mk := func(host, addr, rule, peer string, sev alert.Severity, phase int, summary string) alert.Alert {
		n++
		at := tuitest.Now.Add(-time.Duration(n) * time.Minute)
		return alert.Alert{ID: fmt.Sprintf("a%d", n), Rule: rule, Title: rule, Endpoint: addr, Host: host, Peer: peer, Severity: sev, Phase: phase,
			Summary: summary, Count: 1, Time: at, FirstSeen: at, LastSeen: at, Perspective: alert.Matching}
	}
	be := &backendtest.Fake{Cat: cat, Loc: tuitest.Zone}
	be.SetAlerts([]alert.Alert{
		mk("pc-003", "10.0.10.3", "N-APP", "", alert.Low, 5, "user agent curl/8.5 seen on 1 of 20 endpoints"),
		mk("pc-006", "10.0.10.6", "S-BEACON", "cdn.duckdns.org", alert.High, 5, "beacon every 300 s to cdn.duckdns.org"),
		mk("pc-006", "10.0.10.6", "N-COUNTRY", "198.51.100.7", alert.Medium, 5, "first connection to a country not in the baseline"),
		mk("pc-011", "10.0.10.11", "C-SAME-EP", "", alert.Critical, 6, "logins from pc-011 to pc-006 after a beacon"),
		mk("pc-011", "10.0.10.11", "M-DOUBLE-EXT", "files.example.net", alert.High, 2, "download of invoice_0423.doc.exe"),
		mk("pc-060", "10.0.10.60", "N-PORT", "203.0.113.9", alert.Low, 1, "destination port 6006 not in the baseline"),
	})
	return be
}

// shown lists the rows of the alerts table as "rule host".
func shown(m alerts.Model) []string {
	var out []string
	for _, l := range strings.Split(ansi.Strip(m.View()), "\n")[1:] {
		f := strings.Fields(l)
		if len(f) < 9 || !strings.Contains(f[4], "-") {
			continue
		}
		// last seen (2 fields), severity mark and name, rule, perspective,
		// phase, endpoint, host.
		out = append(out, f[4]+" "+f[8])
	}
	return out
}

// TestFilterFindsOneHost: "/" ranks and cuts. A host's name finds its
// alerts first and then those that mention it, never a neighbour whose
// letters merely appear in order; an address finds its own, not the
// longer one it starts; field terms are exact; "!" inverts; fuzzy
// matching is the last resort. Rows that match as well keep the priority
// order (of two highs of equal score, the further phase first).
func TestFilterFindsOneHost(t *testing.T) {
	for name, c := range map[string]struct {
		filter string
		want   []string
	}{
		"host":              {"pc-006", []string{"S-BEACON pc-006", "N-COUNTRY pc-006", "C-SAME-EP pc-011"}},
		"host in caps":      {"PC-006", []string{"S-BEACON pc-006", "N-COUNTRY pc-006", "C-SAME-EP pc-011"}},
		"address":           {"10.0.10.6", []string{"S-BEACON pc-006", "N-COUNTRY pc-006"}},
		"word of a rule":    {"beacon", []string{"S-BEACON pc-006", "C-SAME-EP pc-011"}},
		"endpoint field":    {"ep:pc-006", []string{"S-BEACON pc-006", "N-COUNTRY pc-006"}},
		"endpoint by addr":  {"ep:10.0.10.6", []string{"S-BEACON pc-006", "N-COUNTRY pc-006"}},
		"endpoint glob":     {"ep:pc-00*", []string{"S-BEACON pc-006", "N-COUNTRY pc-006", "N-APP pc-003"}},
		"endpoint cidr":     {"ep:10.0.10.0/28 sev>=high", []string{"C-SAME-EP pc-011", "S-BEACON pc-006", "M-DOUBLE-EXT pc-011"}},
		"rule glob":         {"rule:C-*", []string{"C-SAME-EP pc-011"}},
		"peer domain":       {"peer:duckdns.org", []string{"S-BEACON pc-006"}},
		"severity":          {"sev>=high", []string{"C-SAME-EP pc-011", "S-BEACON pc-006", "M-DOUBLE-EXT pc-011"}},
		"severity short":    {"sev:crit", []string{"C-SAME-EP pc-011"}},
		"severity japanese": {"sev>=高", []string{"C-SAME-EP pc-011", "S-BEACON pc-006", "M-DOUBLE-EXT pc-011"}},
		"phase":             {"phase<=2", []string{"M-DOUBLE-EXT pc-011", "N-PORT pc-060"}},
		"inverted word":     {"sev>=high !beacon", []string{"M-DOUBLE-EXT pc-011"}},
		"inverted field":    {"!ep:pc-011 sev>=medium", []string{"S-BEACON pc-006", "N-COUNTRY pc-006"}},
		"part while typing": {"pc-00", []string{"C-SAME-EP pc-011", "S-BEACON pc-006", "N-COUNTRY pc-006", "N-APP pc-003"}},
		"fuzzy last":        {"dblext", []string{"M-DOUBLE-EXT pc-011"}},
		"two words":         {"pc-006 beacon", []string{"S-BEACON pc-006", "C-SAME-EP pc-011"}},
	} {
		t.Run(name, func(t *testing.T) {
			be := office(t)
			m := alerts.New(be, tuitest.Styles(t), i18n.EN, tuitest.Clock())
			m.SetSize(160, 30)
			m.SetAlerts(mustAlerts(t, be))
			m = tuitest.Press(t, m, tuitest.Keys([]string{"/"}, tuitest.Typed(c.filter), []string{"enter"})...)
			if got := shown(m); strings.Join(got, ", ") != strings.Join(c.want, ", ") {
				t.Errorf("/%s shows\n  %s\nwant\n  %s", c.filter, strings.Join(got, "\n  "), strings.Join(c.want, "\n  "))
			}
		})
	}
}

// TestFilterSaysWhatItCannotRead: a field term that cannot be read is
// named in the status line, not taken as a word.
func TestFilterSaysWhatItCannotRead(t *testing.T) {
	be := office(t)
	m := alerts.New(be, tuitest.Styles(t), i18n.EN, tuitest.Clock())
	m.SetSize(80, 24)
	m.SetAlerts(mustAlerts(t, be))
	m = tuitest.Press(t, m, tuitest.Keys([]string{"/"}, tuitest.Typed("sev>=urgent"), []string{"enter"})...)
	if out := ansi.Strip(m.View()); !strings.Contains(out, "sev>=urgent: no such severity") {
		t.Fatalf("no word on the unreadable term:\n%s", out)
	}
}

func mustAlerts(t *testing.T, be *backendtest.Fake) []alert.Alert {
	t.Helper()
	as, err := be.Alerts(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return as
}
