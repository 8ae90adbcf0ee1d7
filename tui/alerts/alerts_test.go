package alerts_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/tui/alerts"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

func TestGolden(t *testing.T) {
	views := map[string][]string{
		"list":          nil,
		"second":        {"j"},
		"detail":        {"enter"},
		"filter-typing": tuitest.Keys([]string{"/"}, tuitest.Typed("duck")),
		"filtered":      tuitest.Keys([]string{"/"}, tuitest.Typed("duck"), []string{"enter"}),
		"no-match":      tuitest.Keys([]string{"/"}, tuitest.Typed("zzz"), []string{"enter"}),
		"filter-empty":  {"/"},
		"filter-host":   tuitest.Keys([]string{"/"}, tuitest.Typed("fs01"), []string{"enter"}),
		"filter-fields": tuitest.Keys([]string{"/"}, tuitest.Typed("ep:pc-23 !rule:C-* sev>=med"), []string{"enter"}),
		"filter-error":  tuitest.Keys([]string{"/"}, tuitest.Typed("sev>=urgent"), []string{"enter"}),
		"high-and-up":   {"s", "s", "s"},
		"statistical":   {"p", "p", "x"},
	}
	for name, keys := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				as, err := be.Alerts(context.Background())
				if err != nil {
					t.Fatal(err)
				}
				m := alerts.New(be, tuitest.Styles(t), lang, tuitest.Clock())
				m.SetSize(80, 24)
				m.SetAlerts(as)
				m = tuitest.Press(t, m, keys...)
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
	for _, lang := range tuitest.Langs {
		t.Run(fmt.Sprintf("empty-%s", lang), func(t *testing.T) {
			m := alerts.New(tuitest.Fixture(t), tuitest.Styles(t), lang, tuitest.Clock())
			m.SetSize(80, 24)
			tuitest.Golden(t, m.View(), 80, 24)
		})
	}
}

// TestGoldenAllowListed: an allow-listed alert is not listed (nor
// counted as unacknowledged); x lists it marked ⊘, and an acknowledged
// one ✓.
func TestGoldenAllowListed(t *testing.T) {
	for _, keys := range [][]string{nil, {"x"}} {
		for _, lang := range tuitest.Langs {
			name := fmt.Sprintf("hidden-%s", lang)
			if keys != nil {
				name = fmt.Sprintf("hidden-shown-%s", lang)
			}
			t.Run(name, func(t *testing.T) {
				be := tuitest.Fixture(t)
				ctx := context.Background()
				if err := be.Allow(ctx, detect.Allow{Rule: "S-BEACON", Destination: "*.duckdns.org", Reason: "vendor update"}); err != nil {
					t.Fatal(err)
				}
				if err := be.Ack(ctx, "a4", true); err != nil {
					t.Fatal(err)
				}
				as, err := be.Alerts(ctx)
				if err != nil {
					t.Fatal(err)
				}
				m := alerts.New(be, tuitest.Styles(t), lang, tuitest.Clock())
				m.SetSize(80, 24)
				m.SetAlerts(as)
				m = tuitest.Press(t, m, keys...)
				out := ansi.Strip(m.View())
				var beacon string
				for _, l := range strings.Split(out, "\n") {
					if strings.Contains(l, "S-BEACON") {
						beacon = l
					}
				}
				switch {
				case keys == nil && beacon != "":
					t.Errorf("the allow-listed alert is listed: %q", beacon)
				case keys != nil && !strings.Contains(beacon, "⊘"):
					t.Errorf("the allow-listed alert is not marked ⊘: %q", beacon)
				}
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
}

// TestPriorityOrder: the list is in mamori's one priority order (severity,
// score, phase, time), as `mamori alerts` prints it. It ordered by how
// many phases the endpoint reached, then time: NXDOMAIN noise on a busy
// endpoint came before lateral movement of the same severity.
func TestPriorityOrder(t *testing.T) {
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC)
	as := []alert.Alert{
		{ID: "noise", Rule: "S-ERRORS", Endpoint: "10.0.10.5", Severity: alert.Medium, Score: 0.4, Phase: 5, LastSeen: t0.Add(time.Hour)},
		{ID: "scan", Rule: "M-IDS", Endpoint: "10.0.10.5", Severity: alert.Low, Score: 0.3, Phase: 1, LastSeen: t0},
		{ID: "lateral", Rule: "M-PSEXEC", Endpoint: "10.0.10.9", Severity: alert.Medium, Score: 0.9, Phase: 4, LastSeen: t0},
	}
	m := alerts.New(tuitest.Fixture(t), tuitest.Styles(t), tuitest.Langs[0], tuitest.Clock())
	m.SetSize(80, 24)
	m.SetAlerts(as)
	var got []string
	for range as {
		a, ok := m.Selected()
		if !ok {
			t.Fatal("no selection")
		}
		got = append(got, a.ID)
		m = tuitest.Press(t, m, "j")
	}
	want := slices.Clone(as)
	alert.Sort(want)
	for i := range want {
		if got[i] != want[i].ID {
			t.Fatalf("the list shows %v, the priority order is %s, %s, %s", got, want[0].ID, want[1].ID, want[2].ID)
		}
	}
	if got[0] != "lateral" {
		t.Errorf("first %s, want the lateral movement", got[0])
	}
}
