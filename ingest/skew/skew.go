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
	maxKeys = 8192
	// timesPerKey is how many of the times a key was seen are kept (see
	// sighting).
	timesPerKey = 4
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

// sighting is one sampled key: at most timesPerKey of the times it was
// seen (unix milliseconds), each with its priority.
//
// Which times are kept must not depend on the source, or two sources
// seeing the same lookups keep different ones of a name asked every few
// minutes, and nothing matches. So the times kept are those of the lowest
// priorities, a hash of the key and of the ten seconds within the hour
// the time falls in: whole hours apart, the same lookup has the same
// priority in both sources (bar a jitter across a ten-second boundary).
type sighting struct {
	times [timesPerKey]int64
	prio  [timesPerKey]uint64
	n     int // times held
}

// The kinds of keys, each sampled on its own: a sensor's millions of
// connections must not crowd out the few lookups a resolver shares with it.
const (
	keyLookup  = iota // client and name asked
	keyFlow           // four-tuple
	keyRequest        // client and web host
	keyKinds
)

// part is the sample of one kind of key.
type part struct {
	limit uint64 // keys whose hash is above are not kept
	keys  map[uint64]*sighting
}

// Sample is the hash-sampled keys of one source's events with the times
// they were seen. It is safe for concurrent use.
type Sample struct {
	mu    sync.Mutex
	parts [keyKinds]part
	buf   []byte
}

// NewSample returns an empty sample.
func NewSample() *Sample {
	s := &Sample{}
	for i := range s.parts {
		s.parts[i] = part{limit: math.MaxUint64, keys: map[uint64]*sighting{}}
	}
	return s
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
			s.buf = append(src.AppendTo(s.buf[:0]), ' ')
			s.buf = append(s.buf, strings.ToLower(strings.TrimSuffix(ev.Query, "."))...)
			s.parts[keyLookup].add(xxhash.Sum64(s.buf), ms)
		}
		return
	case event.KindConnection, event.KindHTTP, event.KindTLS:
	default:
		return
	}
	if ev.SrcPort != 0 && ev.DstPort != 0 && ev.DstIP.IsValid() {
		s.buf = netip.AddrPortFrom(src, ev.SrcPort).AppendTo(s.buf[:0])
		s.buf = netip.AddrPortFrom(ev.DstIP.Unmap(), ev.DstPort).AppendTo(append(s.buf, ' '))
		s.parts[keyFlow].add(xxhash.Sum64(s.buf), ms)
	}
	if ev.Domain != "" && ev.Kind != event.KindConnection {
		s.buf = append(src.AppendTo(s.buf[:0]), ' ')
		s.buf = append(s.buf, strings.ToLower(ev.Domain)...)
		s.parts[keyRequest].add(xxhash.Sum64(s.buf), ms)
	}
}

// add records the key of hash h seen at ms.
func (p *part) add(h uint64, ms int64) {
	if h > p.limit {
		return
	}
	k := p.keys[h]
	if k == nil {
		k = &sighting{}
		p.keys[h] = k
		if len(p.keys) > maxKeys {
			p.shrink()
			if h > p.limit {
				return
			}
		}
	}
	hourMs := time.Hour.Milliseconds()
	prio := mix(h ^ uint64(((ms%hourMs)+hourMs)%hourMs/10_000))
	if k.n < timesPerKey {
		k.times[k.n], k.prio[k.n] = ms, prio
		k.n++
		return
	}
	worst := 0
	for i := 1; i < k.n; i++ {
		if k.prio[i] > k.prio[worst] {
			worst = i
		}
	}
	if prio < k.prio[worst] {
		k.times[worst], k.prio[worst] = ms, prio
	}
}

// shrink halves the hashes kept until the part fits.
func (p *part) shrink() {
	for len(p.keys) > maxKeys {
		p.limit /= 2
		for h := range p.keys {
			if h > p.limit {
				delete(p.keys, h)
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
	n := 0
	for _, p := range s.parts {
		n += len(p.keys)
	}
	return n
}

// snapshot copies what one part of the sample holds.
func (s *Sample) snapshot(kind int) (limit uint64, keys map[uint64][]int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.parts[kind]
	keys = make(map[uint64][]int64, len(p.keys))
	for h, k := range p.keys {
		keys[h] = slices.Clone(k.times[:k.n])
	}
	return p.limit, keys
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
func Offset(a, b *Sample) Agreement { return offset(a.frozen(), b.frozen()) }

// frozenSample is a copy of a sample's parts, to compare at leisure.
type frozenSample [keyKinds]struct {
	limit uint64
	keys  map[uint64][]int64
}

// frozen copies what the sample holds.
func (s *Sample) frozen() *frozenSample {
	var f frozenSample
	for kind := range keyKinds {
		f[kind].limit, f[kind].keys = s.snapshot(kind)
	}
	return &f
}

func offset(a, b *frozenSample) Agreement {
	var ag Agreement
	votes := map[int]int{}
	for kind := range keyKinds {
		ka, kb := a[kind].keys, b[kind].keys
		limit := min(a[kind].limit, b[kind].limit)
		var matched, common int
		if len(kb) < len(ka) {
			matched, common = vote(kb, ka, limit, votes, -1)
		} else {
			matched, common = vote(ka, kb, limit, votes, 1)
		}
		ag.Matched, ag.Common = ag.Matched+matched, ag.Common+common
	}
	for h, v := range votes {
		if v > ag.Votes || v == ag.Votes && abs(h) < abs(ag.Hours) {
			ag.Hours, ag.Votes = h, v
		}
	}
	return ag
}

// vote adds to votes, for every key of a (the smaller) found in b, the
// number of hours b's times are ahead (times sign: -1 when a and b were
// swapped), and returns how many keys voted and how many were common.
func vote(a, b map[uint64][]int64, limit uint64, votes map[int]int, sign int) (matched, common int) {
	tol := tolerance.Milliseconds()
	for h, ta := range a {
		tb, ok := b[h]
		if !ok || h > limit {
			continue
		}
		common++
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
			matched++
			votes[sign*best]++
		}
	}
	return matched, common
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
	frozen := make(map[*Sample]*frozenSample, len(groups))
	compare := func(a, b *Sample) Agreement {
		for _, s := range []*Sample{a, b} {
			if frozen[s] == nil {
				frozen[s] = s.frozen()
			}
		}
		return offset(frozen[a], frozen[b])
	}
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
			ag := compare(ref.Sample, g.Sample)
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
			Text: fmt.Sprintf("the %s logs (%s) look %s the %s logs: their times carry no zone and were read as %s; try --timezone %s (timezone: %q in the config)",
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
			ag := compare(a.Sample, b.Sample)
			if !ag.Disagree() {
				continue
			}
			w := Warning{Format: b.Format, Files: b.Files, Against: []string{a.Format}, Hours: ag.Hours}
			if a.ZoneLess {
				w.Text = fmt.Sprintf("the %s logs (%s) look %s the %s logs (%s): one of them was written in another zone; give it its own timezone: under sources in the config",
					b.Format, names(b.Files), apart(ag.Hours), a.Format, names(a.Files))
			} else {
				w.Text = fmt.Sprintf("the %s logs (%s) look %s the %s logs (%s): their times carry a zone, so a sensor's clock is wrong; --timezone does not change them",
					b.Format, names(b.Files), apart(ag.Hours), a.Format, names(a.Files))
			}
			out = append(out, w)
		}
	}
	// A zone-less file dated after it was written; files dated alike in
	// one warning.
	byShift := map[[2]string]*Warning{}
	var shifted []*Warning
	readAs := map[*Warning]string{}
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
		k := [2]string{zone, zoneName(f.Location)}
		if w := byShift[k]; w != nil {
			w.Files = append(w.Files, f.Path)
			continue
		}
		w := &Warning{Format: f.Format, Files: []string{f.Path}, Hours: hours, Zone: zone}
		byShift[k], readAs[w] = w, k[1]
		shifted = append(shifted, w)
	}
	for _, w := range shifted {
		w.Text = fmt.Sprintf("%s: the newest lines are dated %d h after the files were last written: their times carry no zone and were read as %s; try --timezone %s (timezone: %q in the config)",
			names(w.Files), w.Hours, readAs[w], w.Zone, w.Zone)
		out = append(out, *w)
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
