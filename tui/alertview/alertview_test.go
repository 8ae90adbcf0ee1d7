package alertview_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/tui/alertview"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// alertByID returns one of the fixture's alerts.
func alertByID(t *testing.T, be *backendtest.Fake, id string) alert.Alert {
	t.Helper()
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range as {
		if a.ID == id {
			return a
		}
	}
	t.Fatalf("no alert %s", id)
	return alert.Alert{}
}

func TestGolden(t *testing.T) {
	views := map[string]struct {
		id   string
		keys []string
	}{
		"beacon":          {"a1", nil},
		"beacon-evidence": {"a1", []string{"e"}},
		"beacon-bottom":   {"a1", []string{"G"}},
		"killchain":       {"a3", nil},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				a := alertByID(t, be, v.id)
				if a.ID == "a1" { // the engine writes a summary in Japanese too
					a.Details["summary_ja"] = "cdn-update.duckdns.org へ 300 秒 ±4 % ごとに 8 時間で 96 回の通信（20 台中 1 台）"
				}
				m := alertview.New(a, be, tuitest.Styles(t), lang)
				m.SetSize(80, 24)
				m = tuitest.Press(t, m, v.keys...)
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
}
