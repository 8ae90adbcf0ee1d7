// Package skew notices sources whose clocks disagree by whole hours: the
// mark of logs read in the wrong time zone. Syslog-style lines (dnsmasq,
// netfilter, sshd, BIND) carry no zone and are read in the office's; when
// that zone is wrong (logs collected from another office, a machine in
// UTC), their events land hours away from the Zeek, Suricata and Squid
// ones, whose times carry their zone, and correlation silently fails.
//
// Two checks, both cheap:
//
//   - The same thing seen by two sources: a DNS lookup (client and name),
//     a connection (its four-tuple), a web request (client and host).
//     Each source keeps a bounded sample of these keys, chosen by the
//     key's hash (so that two sources sample the same keys), with a few of
//     the times each was seen. Two sources whose common keys were seen a
//     whole number of hours apart, key after key, disagree by that many
//     hours (Offset).
//   - A zone-less file whose newest event is dated a whole number of hours
//     after the file was last written: a line cannot be written after its
//     file was.
//
// Check turns both into warnings that name the fix: the --timezone (or
// `timezone:` in the config) that makes the times agree.
package skew

import (
	"cmp"
	"fmt"
	"math"
	"net/netip"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/cespare/xxhash/v2"

	"github.com/mamori-soc/mamori/event"
)

const (
	// maxKeys bounds a sample: past it, the sample keeps the keys of the
	// lower half of the hashes it keeps, and so on.
	maxKeys = 4096
	// timesPerKey is how many of the times a key was seen are kept (a
	// reservoir over all of them).
	timesPerKey = 8
	// tolerance is how far from a whole number of hours two sightings of
	// the same lookup or connection may be: the sensors see the same
	// packets within a second or two.
	tolerance = 5 * time.Second
	// maxHours bounds the offsets looked for: zones span UTC-12 to UTC+14.
	maxHours = 26
	// minVotes is how many keys must agree on an offset before it is
	// reported.
	minVotes = 5
)

// sighting is one sampled key: when it was seen (a reservoir of at most
// timesPerKey times, unix milliseconds) and how often.
type sighting struct {
	times [timesPerKey]int64
	n     uint32 // times held
	seen  uint64 // times seen
}

// Sample is the hash-sampled keys of one source's events with the times
// they were seen. It is safe for concurrent use.
type Sample struct {
	mu     sync.Mutex
	limit  uint64 // keys whose hash is above are not kept
	keys   map[uint64]*sighting
	events int64 // events that had a key
	buf    []byte
}

// NewSample returns an empty sample.
func NewSample() *Sample {
	return &Sample{limit: math.MaxUint64, keys: map[uint64]*sighting{}}
}

// Add samples ev, when it is a lookup, a connection or a web request.
func (s *Sample) Add(ev *event.Event) {
	if !ev.SrcIP.IsValid() || ev.Time.IsZero() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ms := ev.Time.UnixMilli()
	src := ev.SrcIP.Unmap()
	switch ev.Kind {
	case event.KindDNS:
		if ev.Query != "" {
			s.buf = append(src.AppendTo(append(s.buf[:0], 'd')), ' ')
			s.buf = append(s.buf, strings.ToLower(strings.TrimSuffix(ev.Query, "."))...)
			s.add(ms)
		}
		return
	case event.KindConnection, event.KindHTTP, event.KindTLS:
	default:
		return
	}
	if ev.SrcPort != 0 && ev.DstPort != 0 && ev.DstIP.IsValid() {
		s.buf = netip.AddrPortFrom(src, ev.SrcPort).AppendTo(append(s.buf[:0], 'f'))
		s.buf = netip.AddrPortFrom(ev.DstIP.Unmap(), ev.DstPort).AppendTo(append(s.buf, ' '))
		s.add(ms)
	}
	if ev.Domain != "" && ev.Kind != event.KindConnection {
		s.buf = append(src.AppendTo(append(s.buf[:0], 'w')), ' ')
		s.buf = append(s.buf, strings.ToLower(ev.Domain)...)
		s.add(ms)
	}
}

// add records the key in s.buf seen at ms.
func (s *Sample) add(ms int64) {
	h := xxhash.Sum64(s.buf)
	if h > s.limit {
		return
	}
	s.events++
	k := s.keys[h]
	if k == nil {
		k = &sighting{}
		s.keys[h] = k
		if len(s.keys) > maxKeys {
			s.shrink()
			if h > s.limit {
				return
			}
		}
	}
	k.seen++
	if k.n < timesPerKey {
		k.times[k.n] = ms
		k.n++
		return
	}
	// Reservoir: the seen-th time replaces a kept one with probability
	// timesPerKey/seen, the slot picked by a hash of the count.
	if j := mix(k.seen^h) % k.seen; j < timesPerKey {
		k.times[j] = ms
	}
}

// shrink halves the hashes kept until the sample fits.
func (s *Sample) shrink() {
	for len(s.keys) > maxKeys {
		s.limit /= 2
		for h := range s.keys {
			if h > s.limit {
				delete(s.keys, h)
			}
		}
	}
}

// mix is SplitMix64's finaliser: a cheap, deterministic scramble.
func mix(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// Len is how many keys the sample holds.
func (s *Sample) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// snapshot copies what the sample holds.
func (s *Sample) snapshot() (limit uint64, keys map[uint64][]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	keys = make(map[uint64][]int64, len(s.keys))
	for h, k := range s.keys {
		keys[h] = slices.Clone(k.times[:k.n])
	}
	return s.limit, keys
}

// Agreement is how two samples' times compare.
type Agreement struct {
	// Hours is how many hours the second source's times are ahead of the
	// first's on most common keys (negative: behind).
	Hours int
	// Votes is how many common keys were seen Hours apart; Matched how
	// many were seen a whole number of hours apart at all; Common how
	// many both samples hold.
	Votes, Matched, Common int
}

// Disagree says whether the two sources clearly disagree: enough keys,
// most of those seen a whole number of hours apart seen Hours apart, a
// real share of all the common keys, and Hours not zero.
func (a Agreement) Disagree() bool {
	return a.Hours != 0 && a.Votes >= minVotes && a.Votes*10 >= a.Matched*6 && a.Votes*4 >= a.Common
}

// Offset compares the samples of two sources: for every key both hold,
// the pair of sightings nearest to a whole number of hours apart (within
// a few seconds) votes for that number. The keys both hold are those under
// the lower of the two hash limits, so the comparison is fair whatever
// each source's volume.
func Offset(a, b *Sample) Agreement {
	la, ka := a.snapshot()
	lb, kb := b.snapshot()
	limit := min(la, lb)
	if len(kb) < len(ka) {
		ag := offset(kb, ka, limit)
		ag.Hours = -ag.Hours
		return ag
	}
	return offset(ka, kb, limit)
}

// offset votes over the keys of a (the smaller) found in b: by how many
// hours b's times are ahead.
func offset(a, b map[uint64][]int64, limit uint64) Agreement {
	var ag Agreement
	votes := map[int]int{}
	tol := tolerance.Milliseconds()
	for h, ta := range a {
		tb, ok := b[h]
		if !ok || h > limit {
			continue
		}
		ag.Common++
		best, bestRes := 0, int64(math.MaxInt64)
		for _, x := range ta {
			for _, y := range tb {
				d := y - x
				hours := int(math.Round(float64(d) / float64(time.Hour.Milliseconds())))
				if hours < -maxHours || hours > maxHours {
					continue
				}
				res := d - int64(hours)*time.Hour.Milliseconds()
				if res < 0 {
					res = -res
				}
				if res < bestRes || res == bestRes && abs(hours) < abs(best) {
					best, bestRes = hours, res
				}
			}
		}
		if bestRes <= tol {
			ag.Matched++
			votes[best]++
		}
	}
	for h, v := range votes {
		if v > ag.Votes || v == ag.Votes && abs(h) < abs(ag.Hours) {
			ag.Hours, ag.Votes = h, v
		}
	}
	return ag
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// Group is the events of one format (the files of one kind of source,
// which share a clock), as Check compares them.
type Group struct {
	Format string
	// ZoneLess says the format's times carry no zone (syslog-style): they
	// are read in Location, and a wrong one shifts them by whole hours.
	ZoneLess bool
	Location *time.Location // nil: the machine's zone
	Files    []string
	Sample   *Sample
}

// File is one file as the mtime check sees it.
type File struct {
	Path     string
	Format   string
	ZoneLess bool
	Location *time.Location
	Last     time.Time // its newest event
	Mod      time.Time // its modification time when its last line was read
}

// Warning is one disagreement found, with the fix it suggests.
type Warning struct {
	// Format and Files are the source whose times look shifted; Against,
	// the sources they were compared with (none for the mtime check).
	Format  string   `json:"format"`
	Files   []string `json:"files"`
	Against []string `json:"against,omitempty"`
	// Hours is how far ahead of the others (or of the files' own
	// modification time) its times are; negative: behind.
	Hours int `json:"hours"`
	// Zone is the --timezone suggested ("+09:00"), when a zone fixes it.
	Zone string `json:"suggested_timezone,omitempty"`
	Text string `json:"text"`
}

// mtimeSlack is how far from a whole number of hours after its file's
// modification time the newest event may be for the mtime check.
const mtimeSlack = 10 * time.Minute

// Check compares every pair of groups and the files' newest events with
// their modification times, and returns the warnings, the zone-less
// sources first.
func Check(groups []Group, files []File) []Warning {
	var out []Warning
	flagged := map[string]bool{}
	// A zone-less group against the zoned ones: those carry their zone,
	// so they are the reference.
	for _, g := range groups {
		if !g.ZoneLess {
			continue
		}
		var against []string
		hours := 0
		for _, ref := range groups {
			if ref.ZoneLess {
				continue
			}
			ag := Offset(ref.Sample, g.Sample)
			if !ag.Disagree() || (hours != 0 && ag.Hours != hours) {
				continue
			}
			hours = ag.Hours
			against = append(against, ref.Format)
		}
		if hours == 0 {
			continue
		}
		flagged[g.Format] = true
		zone := suggest(g.Location, hours)
		out = append(out, Warning{Format: g.Format, Files: g.Files, Against: against, Hours: hours, Zone: zone,
			Text: fmt.Sprintf("%s (%s) look %s the %s logs: their times carry no zone and were read as %s; try --timezone %s (timezone: %q in the config)",
				g.Format, names(g.Files), apart(hours), strings.Join(against, "/"), zoneName(g.Location), zone, zone)})
	}
	// Zoned groups against each other: a sensor's clock or zone is wrong,
	// which no --timezone fixes; and zone-less ones against each other
	// when nothing zoned tells which is right.
	for i, a := range groups {
		for _, b := range groups[i+1:] {
			if a.ZoneLess != b.ZoneLess || flagged[a.Format] || flagged[b.Format] {
				continue
			}
			ag := Offset(a.Sample, b.Sample)
			if !ag.Disagree() {
				continue
			}
			w := Warning{Format: b.Format, Files: b.Files, Against: []string{a.Format}, Hours: ag.Hours}
			if a.ZoneLess {
				w.Text = fmt.Sprintf("%s (%s) look %s the %s logs (%s): one of them was written in another zone; give it its own timezone: under sources in the config",
					b.Format, names(b.Files), apart(ag.Hours), a.Format, names(a.Files))
			} else {
				w.Text = fmt.Sprintf("%s (%s) look %s the %s logs (%s): their times carry a zone, so a sensor's clock is wrong; --timezone does not change them",
					b.Format, names(b.Files), apart(ag.Hours), a.Format, names(a.Files))
			}
			out = append(out, w)
		}
	}
	// A zone-less file dated after it was written.
	for _, f := range files {
		if !f.ZoneLess || f.Mod.IsZero() || f.Last.IsZero() || flagged[f.Format] {
			continue
		}
		d := f.Last.Sub(f.Mod)
		hours := int(math.Round(d.Hours()))
		if hours < 1 || hours > maxHours || (d-time.Duration(hours)*time.Hour).Abs() > mtimeSlack {
			continue
		}
		zone := suggest(f.Location, hours)
		out = append(out, Warning{Format: f.Format, Files: []string{f.Path}, Hours: hours, Zone: zone,
			Text: fmt.Sprintf("%s: its newest line is dated %d h after the file was last written: its times carry no zone and were read as %s; try --timezone %s (timezone: %q in the config)",
				filepath.Base(f.Path), hours, zoneName(f.Location), zone, zone)})
	}
	slices.SortStableFunc(out, func(x, y Warning) int { return cmp.Compare(x.Format, y.Format) })
	return out
}

// suggest is the zone that shifts times read in loc by hours: a line's
// wall-clock time W read in a zone of offset o is stored as W-o; read in
// the zone it was written in, o+hours, it moves back by hours.
func suggest(loc *time.Location, hours int) string {
	if loc == nil {
		loc = time.Local
	}
	_, off := time.Now().In(loc).Zone()
	off += hours * 3600
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return fmt.Sprintf("%c%02d:%02d", sign, off/3600, off%3600/60)
}

// zoneName names the zone times were read in.
func zoneName(loc *time.Location) string {
	if loc == nil {
		loc = time.Local
	}
	name, off := time.Now().In(loc).Zone()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	z := fmt.Sprintf("UTC%c%02d:%02d", sign, off/3600, off%3600/60)
	if name != "" && name != "UTC" && !strings.HasPrefix(name, "+") && !strings.HasPrefix(name, "-") {
		z = name + " (" + z + ")"
	}
	return z
}

// apart says how far ahead or behind.
func apart(hours int) string {
	if hours < 0 {
		return fmt.Sprintf("%d h behind", -hours)
	}
	return fmt.Sprintf("%d h ahead of", hours)
}

// names lists a few files by their last two path elements.
func names(files []string) string {
	var parts []string
	for i, f := range files {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("+%d more", len(files)-3))
			break
		}
		parts = append(parts, filepath.Join(filepath.Base(filepath.Dir(f)), filepath.Base(f)))
	}
	return strings.Join(parts, ", ")
}
