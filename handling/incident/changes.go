package incident

import (
	"context"
	"sync"
)

// Change is one change to an incident, as subscribers hear of it.
type Change struct {
	Incident string
	// Action is the audit record's: "opened", "closed", "alerts attached",
	// "checklist", ...
	Action string
	// Alerts are the alerts attached by an "alerts attached" change.
	Alerts []string
}

// changeFeed fans changes out to subscribers. A subscriber that is busy
// loses nothing: its changes wait, in order, until it reads them.
type changeFeed struct {
	mu   sync.Mutex
	subs map[*changeSub]struct{}
}

type changeSub struct {
	in   chan Change
	done chan struct{}
}

// Changes returns a channel of changes to incidents, made through this
// Manager, in batches; it closes when ctx ends. A console reloads what it
// shows; it never needs to poll.
func (m *Manager) Changes(ctx context.Context) <-chan []Change {
	s := &changeSub{in: make(chan Change), done: make(chan struct{})}
	out := make(chan []Change)
	f := &m.feed
	f.mu.Lock()
	if f.subs == nil {
		f.subs = map[*changeSub]struct{}{}
	}
	f.subs[s] = struct{}{}
	f.mu.Unlock()
	go func() {
		defer close(out)
		defer func() {
			f.mu.Lock()
			delete(f.subs, s)
			f.mu.Unlock()
			close(s.done)
		}()
		var pending []Change
		for {
			var send chan []Change
			if len(pending) > 0 {
				send = out
			}
			select {
			case <-ctx.Done():
				return
			case c := <-s.in:
				pending = append(pending, c)
			case send <- pending:
				pending = nil
			}
		}
	}()
	return out
}

// publish tells every subscriber of c.
func (f *changeFeed) publish(c Change) {
	f.mu.Lock()
	subs := make([]*changeSub, 0, len(f.subs))
	for s := range f.subs {
		subs = append(subs, s)
	}
	f.mu.Unlock()
	for _, s := range subs {
		select {
		case s.in <- c:
		case <-s.done:
		}
	}
}
