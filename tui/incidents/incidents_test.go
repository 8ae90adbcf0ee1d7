package incidents_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/incidents"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

func TestMain(m *testing.M) { tuitest.Main(m) }

// pane is the incidents pane at 80x24, loaded.
func pane(t *testing.T, be *backendtest.Fake, lang i18n.Lang) incidents.Model {
	t.Helper()
	m := incidents.New(be, tuitest.Styles(t), lang)
	m.SetSize(80, 24)
	as, err := be.Alerts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	m.SetAlerts(as)
	return tuitest.Drive(t, m, m.Load())
}

// two opens the kill chain's incident (worked on) and one on the file
// server, closed.
func two(t *testing.T, be *backendtest.Fake) {
	t.Helper()
	tuitest.Incident(t, be)
	ctx := context.Background()
	inc, err := be.IM.Open(ctx, incident.Request{Title: "SSH brute force on fs01", Endpoints: []string{"10.0.20.10"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := be.IM.Close(ctx, inc.ID, "", "false positive: a backup job"); err != nil {
		t.Fatal(err)
	}
}

func TestGolden(t *testing.T) {
	views := map[string]struct {
		story func(*testing.T, *backendtest.Fake)
		keys  []string
	}{
		"none":        {func(*testing.T, *backendtest.Fake) {}, nil},
		"open":        {two, nil},
		"with-closed": {two, []string{"x"}},
		"second":      {two, []string{"x", "j"}},
		"all-closed":  {func(t *testing.T, be *backendtest.Fake) { two(t, be); closeAll(t, be) }, nil},
		"opened":      {two, []string{"enter"}},
	}
	for name, v := range views {
		for _, lang := range tuitest.Langs {
			t.Run(fmt.Sprintf("%s-%s", name, lang), func(t *testing.T) {
				be := tuitest.Fixture(t)
				v.story(t, be)
				m := tuitest.Press(t, pane(t, be, lang), v.keys...)
				tuitest.Golden(t, m.View(), 80, 24)
			})
		}
	}
	for _, lang := range tuitest.Langs {
		t.Run(fmt.Sprintf("no-handling-%s", lang), func(t *testing.T) {
			be := tuitest.Fixture(t)
			be.IM = nil
			tuitest.Golden(t, pane(t, be, lang).View(), 80, 24)
		})
	}
}

func closeAll(t *testing.T, be *backendtest.Fake) {
	t.Helper()
	ctx := context.Background()
	incs, err := be.IM.List(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, inc := range incs {
		if inc.IsOpen() {
			if _, err := be.IM.Close(ctx, inc.ID, "", "contained"); err != nil {
				t.Fatal(err)
			}
		}
	}
}
