package alerts_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

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
