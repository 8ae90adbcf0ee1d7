package timeline

import (
	"context"
	"time"

	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

func (m Model) keep() func(*event.Event) bool {
	kind, source := m.kind, m.source
	if kind == event.KindUnknown && source == "" {
		return nil
	}
	return func(e *event.Event) bool {
		return (kind == event.KindUnknown || e.Kind == kind) && (source == "" || sourceLabel(e.Format) == source)
	}
}

func (m Model) loadPage(q store.Query, newer, replace bool) tea.Cmd {
	be, ep, req := m.be, m.endpoint, m.req
	q.Keep = m.keep()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		p, err := be.Timeline(ctx, ep, q)
		if q.Reverse {
			reverse(p.Items)
		}
		return pageMsg{req: req, newer: newer, replace: replace, reverse: q.Reverse, page: p, err: err}
	}
}

func (m Model) loadAround(at time.Time) tea.Cmd {
	be, ep, req, keep := m.be, m.endpoint, m.req, m.keep()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		before, err := be.Timeline(ctx, ep, store.Query{To: at, Reverse: true, Limit: pageSize / 2, Keep: keep})
		if err != nil {
			return aroundMsg{req: req, err: err}
		}
		reverse(before.Items)
		after, err := be.Timeline(ctx, ep, store.Query{From: at, Limit: pageSize / 2, Keep: keep})
		return aroundMsg{req: req, before: before, after: after, err: err}
	}
}

// histogram counts the endpoint's events over its whole history.
func (m Model) histogram() tea.Cmd {
	be, ep, req, w := m.be, m.endpoint, m.histReq, m.sparkWidth()
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		first, err := be.Timeline(ctx, ep, store.Query{Limit: 1})
		if err != nil || len(first.Items) == 0 {
			return histMsg{req: req, err: err}
		}
		last, err := be.Timeline(ctx, ep, store.Query{Reverse: true, Limit: 1})
		if err != nil || len(last.Items) == 0 {
			return histMsg{req: req, err: err}
		}
		newest := last.Items[0].Event.Time
		from, to := first.Items[0].Event.Time, newest.Add(time.Second)
		step := max(time.Minute, to.Sub(from)/time.Duration(w)+1)
		step = niceStep(step)
		from = from.Truncate(step)
		counts, err := be.Histogram(ctx, ep, from, to, step)
		return histMsg{req: req, newest: newest, from: from, step: step, count: counts, err: err}
	}
}

// niceStep rounds a bucket width up to a readable one.
func niceStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, 24 * time.Hour} {
		if d <= s {
			return s
		}
	}
	return d.Truncate(24*time.Hour) + 24*time.Hour
}

func reverse(s []store.Stored) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}
