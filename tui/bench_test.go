package tui

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/backend/backendtest"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/tuitest"
)

// manyAlerts makes n alerts over 5,000 endpoints.
func manyAlerts(n int) []alert.Alert {
	rules := []string{"S-BEACON", "M-DDNS", "N-APP", "S-ERRORS", "C-KILLCHAIN", "N-PORT"}
	as := make([]alert.Alert, n)
	for i := range as {
		ep := netip.AddrFrom4([4]byte{10, byte(i / 65536 % 4), byte(i / 256 % 20), byte(i % 250)}).String()
		as[i] = alert.Alert{ID: fmt.Sprintf("a%07d", i), Rule: rules[i%len(rules)], Title: "title", Perspective: alert.Statistical, Basis: alert.KnownAttack,
			Phase: 1 + i%6, Endpoint: ep, Host: fmt.Sprintf("pc-%04d", i%5000), Peer: fmt.Sprintf("c2-%d.duckdns.org", i%997),
			Severity: alert.Severity(i % 5), Score: 0.5, Count: 1 + i%100, Summary: fmt.Sprintf("beacon every %d s to c2-%d.duckdns.org", 60+i%600, i%997),
			Time: now.Add(-time.Duration(i) * time.Second), FirstSeen: now.Add(-time.Duration(i) * time.Second), LastSeen: now.Add(-time.Duration(i) * time.Second)}
	}
	return as
}

func benchBackend(b *testing.B, n int) *backendtest.Fake {
	cat, err := catalog.Load()
	if err != nil {
		b.Fatal(err)
	}
	f := &backendtest.Fake{Cat: cat}
	f.SetAlerts(manyAlerts(n))
	for i := range 5000 {
		f.Sums = append(f.Sums, store.EndpointSummary{ID: netip.AddrFrom4([4]byte{10, 0, byte(i / 250), byte(i % 250)}).String(), Events: 1000, FirstSeen: now.Add(-72 * time.Hour), LastSeen: now})
	}
	return f
}

// BenchmarkRenderPanes renders each pane of a console holding 100,000
// alerts (5,000 endpoints), at 80x24 and 160x48: the cost of one frame.
func BenchmarkRenderPanes(b *testing.B) {
	be := benchBackend(b, 100_000)
	for _, sz := range []struct{ w, h int }{{80, 24}, {160, 48}} {
		var m tea.Model = New(Options{Backend: be, Lang: i18n.EN, Clock: tuitest.Clock()})
		m = drive(b, m, m.Init())
		m, _ = m.Update(tea.WindowSizeMsg{Width: sz.w, Height: sz.h})
		for _, pane := range []struct{ name, key string }{{"alerts", "1"}, {"endpoints", "2"}, {"sources", "4"}, {"incidents", "5"}} {
			m = press(b, m, pane.key)
			b.Run(fmt.Sprintf("%s-%dx%d", pane.name, sz.w, sz.h), func(b *testing.B) {
				for b.Loop() {
					_ = m.View()
				}
			})
		}
	}
}

// BenchmarkAlertBatch is the cost of taking in a live batch of 1,000
// changed alerts while 100,000 are listed (re-filtering and re-sorting
// every pane), which the live bridge does at most ten times a second.
func BenchmarkAlertBatch(b *testing.B) {
	be := benchBackend(b, 100_000)
	var m tea.Model = New(Options{Backend: be, Lang: i18n.EN, Clock: tuitest.Clock()})
	m = drive(b, m, m.Init())
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	batch := manyAlerts(1000)
	for b.Loop() {
		m, _ = m.Update(alertsUpdatedMsg{alerts: batch})
		_ = m.View()
	}
}

// BenchmarkTimelineOnLargeStore measures, on a large store
// (MAMORI_BENCH_DB, e.g. the 12M-event store `make bench` builds), what
// opening the busiest endpoint's timeline costs: the newest page (200
// events), the activity histogram over the endpoint's whole history (one
// bucket per column at 80 columns), and drawing the pane.
func BenchmarkTimelineOnLargeStore(b *testing.B) {
	dir := os.Getenv("MAMORI_BENCH_DB")
	if dir == "" {
		b.Skip("set MAMORI_BENCH_DB to a store directory")
	}
	st, err := store.Open(dir, store.Options{ReadOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	sums, err := st.EndpointSummaries()
	if err != nil || len(sums) == 0 {
		b.Fatalf("no endpoints in %s: %v", dir, err)
	}
	busiest := sums[0]
	for _, s := range sums {
		if s.Events > busiest.Events {
			busiest = s
		}
	}
	ep := store.ParseEndpoint(busiest.ID)
	ctx := context.Background()
	var page, hist time.Duration
	for b.Loop() {
		start := time.Now()
		p, err := st.Timeline(ctx, ep, store.Query{Reverse: true, Limit: 200})
		if err != nil || len(p.Items) == 0 {
			b.Fatalf("timeline page: %d items, %v", len(p.Items), err)
		}
		page += time.Since(start)
		start = time.Now()
		span := busiest.LastSeen.Sub(busiest.FirstSeen) + time.Minute
		if _, err := st.Histogram(ctx, ep, busiest.FirstSeen, busiest.LastSeen.Add(time.Minute), span/78+1); err != nil {
			b.Fatal(err)
		}
		hist += time.Since(start)
	}
	b.ReportMetric(float64(page.Microseconds())/1000/float64(b.N), "page-ms")
	b.ReportMetric(float64(hist.Microseconds())/1000/float64(b.N), "histogram-ms")
	b.ReportMetric(float64(busiest.Events), "endpoint-events")

	cat, _ := catalog.Load()
	f := &backendtest.Fake{Cat: cat, Store: st, Sums: sums}
	var m tea.Model = New(Options{Backend: f, Lang: i18n.EN, Clock: tuitest.Clock()})
	m = drive(b, m, m.Init())
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 24})
	var cmd tea.Cmd
	m, cmd = m.Update(request.OpenTimelineMsg{Endpoint: busiest.ID})
	m = drive(b, m, cmd)
	start := time.Now()
	_ = m.View()
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000, "frame-ms")
}
