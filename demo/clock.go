package demo

import "time"

// Times inside the generator are int64 nanoseconds since the Unix epoch
// (UTC): cheap to compare, add and keep in heaps. The office is in Japan,
// which has one fixed offset and no daylight saving time.

const (
	second = int64(time.Second)
	minute = int64(time.Minute)
	hour   = int64(time.Hour)
	day    = 24 * hour
	ms     = int64(time.Millisecond)
	us     = int64(time.Microsecond)

	jstOffset = 9 * hour
	never     = int64(1<<63 - 1)
)

// JST is the zone of the office's syslog timestamps.
var jst = time.FixedZone("JST", int(jstOffset/second))

// Location returns the zone the demo's syslog lines (dnsmasq, firewall,
// auth.log) are written in: Japan Standard Time, UTC+9.
func Location() *time.Location { return jst }

func toTime(ns int64) time.Time { return time.Unix(0, ns).UTC() }

// localDay is the number of the JST calendar day of t since 1970-01-01.
func localDay(t int64) int64 {
	return floorDiv(t+jstOffset, day)
}

// dayStart is the instant the JST calendar day d begins.
func dayStart(d int64) int64 { return d*day - jstOffset }

// weekday of JST day d: 0 Sunday .. 6 Saturday (1970-01-01 was a Thursday).
func weekday(d int64) int {
	w := (d + 4) % 7
	if w < 0 {
		w += 7
	}
	return int(w)
}

func isWorkday(d int64) bool {
	w := weekday(d)
	return w >= 1 && w <= 5
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// at returns the instant of the JST clock time h:m on day d.
func at(d int64, h, m int) int64 {
	return dayStart(d) + int64(h)*hour + int64(m)*minute
}
