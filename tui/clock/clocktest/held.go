// Package clocktest is a clock.Clock for the console's tests.
package clocktest

import (
	"slices"
	"sync"
	"time"

	tea "charm.land/bubbletea/v2"
)

// Held is a clock whose time stands where it was set and whose timers
// wait until the test advances it: a timer is not a command that sleeps
// (a test driver would have to wait for it or give it up) but an entry
// here that Advance turns into its message.
type Held struct {
	mu     sync.Mutex
	now    time.Time
	timers []timer
}

type timer struct {
	at time.Time
	fn func(time.Time) tea.Msg
}

// New returns a clock held at now.
func New(now time.Time) *Held { return &Held{now: now} }

// Now implements clock.Clock.
func (h *Held) Now() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.now
}

// Tick implements clock.Clock: it records the timer and returns no
// command.
func (h *Held) Tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.timers = append(h.timers, timer{at: h.now.Add(d), fn: fn})
	return nil
}

// Pending is the number of timers set and not yet due.
func (h *Held) Pending() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.timers)
}

// Advance moves the time on by d and returns the messages of the timers
// then due, earliest first (in the order they were set when due at the
// same time); they are forgotten.
func (h *Held) Advance(d time.Duration) []tea.Msg {
	h.mu.Lock()
	h.now = h.now.Add(d)
	var due, rest []timer
	for _, t := range h.timers {
		if t.at.After(h.now) {
			rest = append(rest, t)
		} else {
			due = append(due, t)
		}
	}
	h.timers = rest
	h.mu.Unlock()
	slices.SortStableFunc(due, func(a, b timer) int { return a.at.Compare(b.at) })
	msgs := make([]tea.Msg, 0, len(due))
	for _, t := range due {
		msgs = append(msgs, t.fn(t.at))
	}
	return msgs
}
