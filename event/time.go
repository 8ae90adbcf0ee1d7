package event

import (
	"errors"
	"fmt"
	"math"
	"time"
)

// The times an event can carry. The codec and the store's keys hold a time
// as nanoseconds since 1970 in an int64, which reaches from 1677 to 2262:
// a later time (a Squid epoch of year 3000, a syslog line dated 9999) would
// silently wrap around into the past. The epoch itself stands for "no time"
// in the codec, so events begin just after it.
var (
	MinTime = time.Unix(0, 1).UTC()
	MaxTime = time.Unix(0, math.MaxInt64).UTC()
)

// ErrTimeRange is returned when a time lies outside MinTime..MaxTime.
var ErrTimeRange = errors.New("time out of range")

// CheckTime returns an error wrapping ErrTimeRange when t, not zero, cannot
// be stored: it says which year, and what can be.
func CheckTime(t time.Time) error {
	if t.IsZero() || !t.Before(MinTime) && !t.After(MaxTime) {
		return nil
	}
	return fmt.Errorf("%w: year %d (events are dated %d to %d)", ErrTimeRange, t.Year(), MinTime.Year(), MaxTime.Year())
}
