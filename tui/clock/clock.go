// Package clock is the console's sense of time: the time it shows and the
// timers its parts set (the header's status refresh, a timeline's live
// refresh, the endpoints' reload). The console runs on Wall; tests give
// it a clock whose time stands still and whose timers fire only when the
// test says so (clocktest.Held), so that nothing a test checks depends on
// how fast the machine is.
package clock

import (
	"time"

	tea "charm.land/bubbletea/v2"
)

// Clock tells the time and sets timers.
type Clock interface {
	// Now is the current time.
	Now() time.Time
	// Tick returns a command that delivers fn's message once d has
	// passed, as tea.Tick does.
	Tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd
}

// Wall is the real clock: time.Now and tea.Tick.
type Wall struct{}

// Now implements Clock.
func (Wall) Now() time.Time { return time.Now() }

// Tick implements Clock.
func (Wall) Tick(d time.Duration, fn func(time.Time) tea.Msg) tea.Cmd { return tea.Tick(d, fn) }

// Or returns c, or Wall when c is nil.
func Or(c Clock) Clock {
	if c == nil {
		return Wall{}
	}
	return c
}
