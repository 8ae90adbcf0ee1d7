package demo

import (
	"fmt"
	"time"
)

// Defaults and limits of Options.
const (
	DefaultSeed      = 1
	DefaultEndpoints = 20
	DefaultDays      = 4
	// MinEndpoints is the smallest office: the servers, the admin PC, the
	// printer and six PCs (a victim, two peers, a newcomer and two more).
	MinEndpoints = 14
	MaxEndpoints = 20000
	MaxDays      = 60
)

// Options choose the office and the period the demo covers. The zero value
// is the default demo anchored at the current time.
type Options struct {
	// Seed selects the office's people, habits and traffic. The same Seed,
	// Endpoints, Days and At give byte-identical files. 0 means 1.
	Seed int64
	// Endpoints is how many machines the office has: servers, the admin
	// PC, the printer and the PCs. 0 means DefaultEndpoints.
	Endpoints int
	// Days is how many days of history come before the anchor time. The
	// attack's first step comes at most 20 h before the anchor, so with the
	// default of 4 days at least 76 h of normal business precede it.
	// 0 means DefaultDays.
	Days int
	// At is the anchor time T: the attack's spread, exfiltration and proxy
	// bypass happen in the minute after it. Zero means now.
	At time.Time
	// Speed makes Run's clock go Speed times faster than the wall clock
	// after the history is written (0 or 1: real time). Write ignores it.
	Speed float64
}

// normalize fills the defaults and checks the ranges.
func (o Options) normalize(now func() time.Time) (Options, error) {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Endpoints == 0 {
		o.Endpoints = DefaultEndpoints
	}
	if o.Days == 0 {
		o.Days = DefaultDays
	}
	if o.Endpoints < MinEndpoints || o.Endpoints > MaxEndpoints {
		return o, fmt.Errorf("demo: %d endpoints is out of range (want %d to %d)", o.Endpoints, MinEndpoints, MaxEndpoints)
	}
	if o.Days < 1 || o.Days > MaxDays {
		return o, fmt.Errorf("demo: %d days is out of range (want 1 to %d)", o.Days, MaxDays)
	}
	if o.Speed < 0 {
		return o, fmt.Errorf("demo: negative speed %g", o.Speed)
	}
	if o.Speed == 0 {
		o.Speed = 1
	}
	if o.At.IsZero() {
		o.At = now()
	}
	// Microseconds are the finest unit any of the formats writes.
	o.At = o.At.UTC().Truncate(time.Microsecond)
	return o, nil
}
