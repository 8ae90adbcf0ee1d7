package store_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/store"
)

// officeInternal is mamori's default idea of the office's own addresses
// (the --internal default), which decides the timelines a lateral event is
// indexed under.
func officeInternal(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || netip.MustParsePrefix("100.64.0.0/10").Contains(a)
}

// answers is what every reader of the store says about the events it
// holds, as text: the events in time order, counts over several windows,
// each event read by its key, every timeline read whole both ways and in
// small pages both ways, filtered and bounded pages, hourly histograms,
// the saved offsets and the endpoint summaries. Two stores holding the
// same events give the same text whatever their format; it uses only the
// exported API, which the format change left as it was, so that the same
// function run by the mamori that wrote the older format made the golden
// file it is compared with (testdata/format1/answers.txt).
func answers(s *store.Store) (string, error) {
	ctx := context.Background()
	var (
		out  strings.Builder
		all  []store.Stored
		eps  = map[string]bool{}
		keys []string
	)
	digest := func(lines []string) string {
		h := sha256.Sum256([]byte(strings.Join(lines, "\n")))
		return fmt.Sprintf("%x", h[:8])
	}
	keyText := func(k store.EventKey) string {
		return fmt.Sprintf("%s/%016x", k.Time.UTC().Format(time.RFC3339Nano), k.ID)
	}
	err := s.Events(ctx, time.Time{}, time.Time{}, func(st store.Stored) error {
		all = append(all, st)
		keys = append(keys, keyText(st.Key)+" "+st.Event.Raw)
		if id := st.Event.EndpointID(); id != "" {
			eps[id] = true
		}
		if p := st.Event.Peer(); p.IsValid() && officeInternal(p) {
			eps[p.Unmap().String()] = true
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("events: %w", err)
	}
	fmt.Fprintf(&out, "events %d %s\n", len(all), digest(keys))
	if len(all) == 0 {
		return out.String(), nil
	}
	first, last := all[0].Key.Time, all[len(all)-1].Key.Time
	mid := all[len(all)/2].Key.Time
	for _, w := range [][2]time.Time{
		{}, {first, mid}, {mid, time.Time{}}, {mid, mid.Add(time.Hour)},
		{mid.Truncate(time.Minute), mid.Truncate(time.Minute).Add(time.Minute)},
		{mid.Add(17 * time.Second), mid.Add(17*time.Second + 90*time.Second)}, {mid, mid.Add(time.Nanosecond)},
	} {
		n, err := s.CountEvents(ctx, w[0], w[1])
		if err != nil {
			return "", fmt.Errorf("count: %w", err)
		}
		var ks []string
		if err := s.Events(ctx, w[0], w[1], func(st store.Stored) error {
			ks = append(ks, keyText(st.Key))
			return nil
		}); err != nil {
			return "", fmt.Errorf("events in a window: %w", err)
		}
		fmt.Fprintf(&out, "window %s..%s count %d events %d %s\n", w[0].Format(time.RFC3339Nano), w[1].Format(time.RFC3339Nano), n, len(ks), digest(ks))
	}
	var byKey []string
	for i := 0; i < len(all); i += 3 {
		ev, err := s.Event(all[i].Key)
		if err != nil {
			return "", fmt.Errorf("event %s: %w", keyText(all[i].Key), err)
		}
		byKey = append(byKey, ev.Raw+ev.Ref.File+fmt.Sprint(ev.Ref.Offset, ev.Endpoint, ev.Host, ev.Kind))
	}
	fmt.Fprintf(&out, "by key %d %s\n", len(byKey), digest(byKey))

	ids := make([]string, 0, len(eps))
	for id := range eps {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	from, to := first.Truncate(time.Hour), last.Truncate(time.Hour).Add(time.Hour)
	for _, id := range ids {
		ep := store.ParseEndpoint(id)
		var line []string
		for _, q := range []store.Query{
			{Limit: 1 << 20}, {Limit: 1 << 20, Reverse: true}, {Limit: 7}, {Limit: 7, Reverse: true},
			{From: mid, Limit: 11}, {To: mid, Reverse: true, Limit: 11},
			{Limit: 5, Keep: func(ev *event.Event) bool { return ev.Kind == event.KindDNS }},
		} {
			var ks []string
			pages := 0
			for {
				p, err := s.Timeline(ctx, ep, q)
				if err != nil {
					return "", fmt.Errorf("timeline of %s: %w", id, err)
				}
				pages++
				for _, it := range p.Items {
					ks = append(ks, keyText(it.Key)+" "+it.Event.Raw)
				}
				if !p.More || len(p.Items) == 0 {
					break
				}
				q.After = &p.Items[len(p.Items)-1].Key
			}
			line = append(line, fmt.Sprintf("%d/%d/%s", len(ks), pages, digest(ks)))
		}
		h, err := s.Histogram(ctx, ep, from, to, time.Hour)
		if err != nil {
			return "", fmt.Errorf("histogram of %s: %w", id, err)
		}
		fmt.Fprintf(&out, "timeline %s %s histogram %v\n", id, strings.Join(line, " "), h)
	}

	offs, err := s.Offsets()
	if err != nil {
		return "", err
	}
	var ol []string
	for _, o := range offs {
		ol = append(ol, fmt.Sprintf("%s %d %v", o.Path, o.Offset, o.Done))
	}
	slices.Sort(ol)
	fmt.Fprintf(&out, "offsets %d %s\n", len(ol), digest(ol))
	sums, err := s.EndpointSummaries()
	if err != nil {
		return "", err
	}
	var sl []string
	for _, e := range sums {
		sl = append(sl, fmt.Sprintf("%s %s %s %s %d", e.ID, e.Host, e.FirstSeen.UTC().Format(time.RFC3339Nano), e.LastSeen.UTC().Format(time.RFC3339Nano), e.Events))
	}
	slices.Sort(sl)
	fmt.Fprintf(&out, "summaries %d %s\n", len(sl), digest(sl))
	return out.String(), nil
}
