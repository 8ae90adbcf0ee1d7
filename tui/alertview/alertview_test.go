package alertview_test

import (
	"strings"

	"context"
	"fmt"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/tui/alertview"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
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

// TestNoTextIsLost: the rule's description and what to check first are
// shown whole in both languages (Japanese has no spaces to wrap at: a
// word wrap that only breaks at spaces left lines wider than the view,
// and the view cut them at its edge).
func TestNoTextIsLost(t *testing.T) {
	be := tuitest.Fixture(t)
	squeeze := func(s string) string { return strings.Join(strings.Fields(ansi.Strip(s)), "") }
	for _, id := range []string{"a1", "a2", "a3"} {
		a := alertByID(t, be, id)
		r, ok := be.Cat.Rule(a.Rule)
		if !ok {
			t.Fatalf("no rule %s", a.Rule)
		}
		for _, lang := range tuitest.Langs {
			m := alertview.New(a, be, tuitest.Styles(t), lang)
			m.SetSize(80, 200) // all of it on screen
			out := squeeze(m.View())
			for _, want := range []string{r.Description.In(string(lang)), r.Check.In(string(lang))} {
				if !strings.Contains(out, squeeze(want)) {
					t.Errorf("%s %s: the text is not shown whole: %q", id, lang, want)
				}
			}
		}
	}
}

// TestAllowListedSaysByWhatUntilWhen: an allow-listed alert's detail
// names the entry, its reason, its expiry (in the office's zone) and who
// made it; a configuration entry is named as such.
func TestAllowListedSaysByWhatUntilWhen(t *testing.T) {
	be := tuitest.Fixture(t)
	ctx := context.Background()
	if err := be.Allow(ctx, detect.Allow{Rule: "S-BEACON", Reason: "vendor update", Expires: tuitest.Now.Add(24 * time.Hour)}); err != nil {
		t.Fatal(err)
	}
	be.AddConfigAllow(detect.Allow{Rule: "S-ERRORS", Reason: "backup logins"})
	for id, want := range map[string]string{
		"a1": "⊘ allow-listed by al-00000001: vendor update · until 11-22 00:04 JST · analyst",
		"a4": "⊘ allow-listed by config: backup logins · until removed",
		"a2": "",
	} {
		m := alertview.New(alertByID(t, be, id), be, tuitest.Styles(t), i18n.EN)
		m.SetSize(100, 40)
		out := ansi.Strip(m.View())
		if want == "" && strings.Contains(out, "⊘") || !strings.Contains(out, want) {
			t.Errorf("%s: want %q in\n%s", id, want, out)
		}
	}
}
