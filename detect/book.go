package detect

import (
	"sync"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
)

// book aggregates findings into alerts: a finding of the same rule,
// endpoint and key as an open alert, within the rule's window of its last
// sighting, updates that alert; otherwise it opens a new one. An alert's
// id derives from what it is about and when it began, so replaying the
// same events (after a restart, or a re-scan) lands on the same alerts.
// After a restart the engine replays recent events to rebuild its windows:
// findings up to replayUntil do not count again into alerts loaded from the
// store, which already counted them.
type book struct {
	mu          sync.Mutex              // the engine records while the console acknowledges
	open        map[string]*alert.Alert // by rule|endpoint|key: the latest alert
	byID        map[string]*alert.Alert
	dirty       map[string]*alert.Alert
	loaded      map[string]bool
	replayUntil time.Time
}

func newBook() *book {
	return &book{open: map[string]*alert.Alert{}, byID: map[string]*alert.Alert{}, dirty: map[string]*alert.Alert{}, loaded: map[string]bool{}}
}

func bookKey(rule, endpoint, key string) string { return rule + "\x00" + endpoint + "\x00" + key }

// load adds alerts read from the store (so sessions continue across a
// restart and acknowledgements survive updates).
func (b *book) load(as []alert.Alert) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := range as {
		a := &as[i]
		// Which incident holds an alert is the incident records' to say
		// (stores written before that still carry it here).
		a.Incident = ""
		b.byID[a.ID] = a
		b.loaded[a.ID] = true
		k := bookKey(a.Rule, a.Endpoint, a.Key)
		if cur, ok := b.open[k]; !ok || a.LastSeen.After(cur.LastSeen) {
			b.open[k] = a
		}
	}
}

// record applies a finding made into a (fresh, unaggregated) alert. It
// returns the stored alert and whether anything changed.
func (b *book) record(fresh *alert.Alert, f *Finding, window time.Duration) (*alert.Alert, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	k := bookKey(fresh.Rule, fresh.Endpoint, fresh.Key)
	if cur, ok := b.open[k]; ok && !fresh.LastSeen.After(cur.LastSeen.Add(window)) {
		if b.loaded[cur.ID] && !fresh.LastSeen.After(b.replayUntil) {
			return cur, false // counted before the restart
		}
		if absolute(f) {
			cur.Count = max(cur.Count, fresh.Count)
		} else {
			cur.Count += fresh.Count
		}
		if fresh.LastSeen.After(cur.LastSeen) {
			cur.LastSeen = fresh.LastSeen
		}
		if fresh.FirstSeen.Before(cur.FirstSeen) {
			cur.FirstSeen = fresh.FirstSeen
		}
		cur.Score = max(cur.Score, fresh.Score)
		if fresh.Severity > cur.Severity {
			cur.Severity = fresh.Severity
		}
		if fresh.Phase != 0 {
			cur.Phase = fresh.Phase
		}
		// The summary is the latest finding's: so is the peer it names.
		cur.Summary, cur.Title = fresh.Summary, fresh.Title
		if fresh.Peer != "" {
			cur.Peer = fresh.Peer
		}
		if fresh.Details != nil {
			cur.Details = fresh.Details
		}
		if fresh.Host != "" {
			cur.Host = fresh.Host
		}
		cur.AddEvidence(fresh.Evidence...)
		b.dirty[cur.ID] = cur
		return cur, true
	}
	fresh.ID = alert.MakeID(fresh.Rule, fresh.Endpoint, fresh.Key, fresh.FirstSeen)
	if old, ok := b.byID[fresh.ID]; ok {
		// Same id as a stored alert of an earlier session (a replay that
		// started inside it): keep its acknowledgement.
		fresh.Acked = old.Acked
		fresh.Count = max(fresh.Count, old.Count)
		if old.LastSeen.After(fresh.LastSeen) {
			fresh.LastSeen = old.LastSeen
		}
	}
	b.byID[fresh.ID] = fresh
	b.open[k] = fresh
	b.dirty[fresh.ID] = fresh
	return fresh, true
}

func absolute(f *Finding) bool { return f.Absolute }

// takeDirty returns the alerts changed since the last call.
func (b *book) takeDirty() []alert.Alert {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.dirty) == 0 {
		return nil
	}
	out := make([]alert.Alert, 0, len(b.dirty))
	for _, a := range b.dirty {
		out = append(out, *a)
	}
	clear(b.dirty)
	return out
}

// all returns a copy of every alert.
func (b *book) all() []alert.Alert {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]alert.Alert, 0, len(b.byID))
	for _, a := range b.byID {
		out = append(out, *a)
	}
	return out
}

// evidenceOf turns events into alert evidence.
func evidenceOf(evs []*event.Event) []alert.Evidence {
	out := make([]alert.Evidence, 0, len(evs))
	for _, ev := range evs {
		if ev == nil {
			continue
		}
		out = append(out, alert.Evidence{Time: ev.Time, File: ev.Ref.File, Offset: ev.Ref.Offset, Line: ev.Ref.Line, Raw: ev.Raw})
	}
	return out
}

// ack sets an alert's acknowledgement; false when there is no such alert.
func (b *book) ack(id string, acked bool) (alert.Alert, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	a, ok := b.byID[id]
	if !ok {
		return alert.Alert{}, false
	}
	a.Acked = acked
	b.dirty[id] = a
	return *a, true
}
