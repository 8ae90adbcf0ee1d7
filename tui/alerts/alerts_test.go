package alerts_test

import (
	"context"
	"fmt"
	"testing"

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
