package statistical

import (
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
)

// Volume is S-CONN-VOLUME (connections an endpoint makes in an hour) and
// S-BYTES-OUT (bytes it sends in an hour), each against the endpoint's
// own baseline for that hour of the day and kind of day (working day or
// weekend, in the office's time zone).
//
// Counting. Only what the endpoint itself opens counts; the proxy, the
// gateway and other relays are left out (their traffic is their clients').
// Several logs often record the same traffic (the sensor's conn.log, its
// http.log and the proxy's access.log each have a line for one proxied
// request), so each log format is summed on its own and the hour's value
// is the largest of the sums, never their total. Bytes come from Zeek's
// conn.log (orig_bytes: this is how uploads through a proxy show, as
// bytes the PC sends to the proxy), HTTP request bodies, Squid's request
// size when its logformat has %>st (its built-in formats give only the
// reply: for a CONNECT tunnel, the server's side) and Suricata's flow
// bytes_toserver; firewall lines only give one packet's length and are
// left out of bytes.
//
// Baseline. While learning, every hour of an endpoint between its first
// and last activity is kept per slot (kind of day × hour), including the
// silent ones, with the day it was on. A value is usual only when the
// endpoint reached it on two different days: the per-day figures below
// are each day's largest, and the second largest of them is taken, so no
// single day (an exfiltration, a scan, made while learning) can raise the
// bar. An hour's usual value U is that figure for the slot and the ones
// beside it (people start at 8:50 or 9:10), or, if larger, the figure for
// the whole kind of day scaled by how active the slot was while learning
// ((active+1)/(observed+2): a slot always busy takes most of the
// endpoint's daytime range, a slot always silent a fifth of it, an
// unobserved slot half). This is what keeps a quiet Monday from making
// Tuesday's normal work an anomaly, while the night stays tight, and what
// lets a daily upload at varying hours stay normal. An endpoint with no
// baseline (a new PC on its user's first day) takes the second largest U
// of its segment's endpoints (the largest when it has one), else of the
// organisation's. An hour is reported when its value exceeds both `floor`
// and `factor` times U (the names are the rule's settings).
//
// Office-wide bursts. When at least office_share of a segment's active
// endpoints (three at least) exceed their own thresholds in the same hour
// (everyone starting work at 9:00 on the first working day after the
// learning weekend, a patch day), an endpoint is reported only if it
// also exceeds `factor` times the segment's median for that hour.
//
// The current hour is evaluated every 10 minutes of event time, so that
// an upload is reported before its hour is over when it is already twice
// the threshold (a busy start of the hour is not yet an anomalous hour);
// other hours are judged when they end. An hour is reported once per
// endpoint (and updated with its final figure when it ends), and the
// anomalous hours of an endpoint update one alert.
type Volume struct {
	rule   string
	bytes  bool // S-BYTES-OUT; else S-CONN-VOLUME
	env    *detect.Env
	relays *relays
	trust  *catalog.List

	floor       float64
	factor      float64
	officeShare float64
	every       time.Duration
	grace       time.Duration

	eps      *detect.LRU[netip.Addr, *volEndpoint]
	base     map[string]*volBase
	peers    map[string]float64 // "segment hour" → the busiest usual value of its endpoints, per evaluation
	learning bool
	next     time.Time // next evaluation of the open hour
	closeAt  time.Time // next time closed hours are finalized

	// The local hour last computed, to spare a time.Date per event.
	hourFrom, hourTo int64
	hourStart        time.Time
}

// volEndpoint is an endpoint's current and previous hour.
type volEndpoint struct {
	acc       [2]volAcc // indexed by the hour's parity
	host      string
	segment   string
	ports     [16]proxiedName // proxied requests: source port → host name
	portNext  int
	anomalies int // hours reported
}

// proxiedName maps a connection's source port to the host name its proxied
// request asked for, so that bytes sent to the proxy can name the site.
type proxiedName struct {
	port uint16
	name string
}

// volAcc is one hour of one endpoint.
type volAcc struct {
	start    time.Time // local start of the hour; zero when unused
	byFormat [4]formatSum
	top      [6]destSum
	learned  bool // an event of the hour came while learning
	reported bool
	bigEv    evidence // the event that contributed most
	big      float64
}

type formatSum struct {
	format string
	v      float64
}

type destSum struct {
	name string     // a host name
	ip   netip.Addr // or an address
	v    float64
	port uint16 // source port of the largest contribution, for proxied names
	big  float64
}

// volBase is an endpoint's learned hours.
type volBase struct {
	Segment string `json:"segment,omitempty"`
	// Last is the last hour learned (unix seconds of its start): silent
	// hours between it and the next active one are counted as zero.
	Last int64 `json:"last"`
	// Hours counts the hours observed per slot; Values are the non-zero
	// values of the slot (the latest maxSlotValues), with their days.
	Hours  [2][24]uint16     `json:"hours"`
	Values [2][24][]volValue `json:"values"`
}

// volValue is one learned hour's value and the local day it was on.
type volValue struct {
	V   float32 `json:"v"`
	Day int32   `json:"d"` // year*400 + day of the year
}

// volBaseline is the persisted baseline. Version 1 (values without their
// days, whose maximum one exfiltration while learning could set) is
// dropped on restore.
type volBaseline struct {
	Version   int                 `json:"version"`
	Endpoints map[string]*volBase `json:"endpoints"`
}

const volBaselineVersion = 2

const (
	maxSlotValues   = 8
	maxVolEndpoints = 50_000
)

// Defaults. Connections: 100 in an hour is the least worth a look (a
// busy browsing hour is a few hundred requests, a quiet hour tens), 3
// times the usual is a clear excess. Bytes: 50 MB in an hour is a large
// upload for an office PC; 3 times the usual as well. 30 % of a segment
// over their thresholds at once is an office-wide event.
const (
	connFloor   = 100
	bytesFloor  = 50e6
	volFactor   = 3.0
	officeShare = 0.3
	volEvery    = 10 * time.Minute
	volGrace    = 2 * time.Minute
)

// NewConnVolume builds S-CONN-VOLUME.
func NewConnVolume(p detect.Params, env *detect.Env) detect.Detector {
	return newVolume("S-CONN-VOLUME", false, p, env, connFloor)
}

// NewBytesOut builds S-BYTES-OUT.
func NewBytesOut(p detect.Params, env *detect.Env) detect.Detector {
	return newVolume("S-BYTES-OUT", true, p, env, bytesFloor)
}

func newVolume(rule string, bytes bool, p detect.Params, env *detect.Env, floor float64) *Volume {
	v := &Volume{
		rule:        rule,
		bytes:       bytes,
		env:         env,
		relays:      newRelays(p.Strings("relay_roles", defaultRelayRoles), env),
		floor:       p.Float("floor", floor),
		factor:      p.Float("factor", volFactor),
		officeShare: p.Float("office_share", officeShare),
		every:       p.Duration("every", volEvery),
		grace:       volGrace,
		eps:         detect.NewLRU[netip.Addr, *volEndpoint](max(1, p.Int("max_endpoints", maxVolEndpoints))),
		base:        map[string]*volBase{},
	}
	if bytes && env.Catalog != nil {
		v.trust, _ = env.Catalog.List(catalog.ListTrustedSites)
	}
	return v
}

// Rule implements detect.Detector.
func (v *Volume) Rule() string { return v.rule }

// Kinds implements detect.Detector.
func (*Volume) Kinds() []event.Kind { return []event.Kind{event.KindConnection, event.KindHTTP} }

// Params implements detect.Parameterized.
func (v *Volume) Params() []detect.Param {
	floorDoc, floor := "fewest connections in an hour that are reported", any(connFloor)
	if v.bytes {
		floorDoc, floor = "fewest bytes sent in an hour that are reported", any(bytesFloor)
	}
	return []detect.Param{
		{Name: "floor", Default: floor, Doc: floorDoc},
		{Name: "factor", Default: volFactor, Doc: "times the usual value for the hour that is reported"},
		{Name: "office_share", Default: officeShare, Doc: "share of a segment over its thresholds in one hour that makes an office-wide burst"},
		{Name: "every", Default: "10m", Doc: "how often (event time) the current hour is evaluated"},
		{Name: "max_endpoints", Default: maxVolEndpoints, Doc: "endpoints tracked; the least recently active are forgotten"},
		{Name: "relay_roles", Default: defaultRelayRoles, Doc: "inventory roles of machines that relay others' traffic (left out)"},
	}
}

// Observe implements detect.Detector.
func (v *Volume) Observe(ev *event.Event, _ *detect.Emitter) {
	v.learning = false
	v.record(ev, false)
}

// Learn implements detect.Learner.
func (v *Volume) Learn(ev *event.Event) {
	v.learning = true
	v.record(ev, true)
}

// Baseline implements detect.Learner.
func (v *Volume) Baseline() any {
	return volBaseline{Version: volBaselineVersion, Endpoints: v.base}
}

// Restore implements detect.Learner. A baseline of the first version is
// dropped: new endpoints' rules judge until the next learning.
func (v *Volume) Restore(b []byte) error {
	var vb volBaseline
	if err := json.Unmarshal(b, &vb); err != nil {
		return fmt.Errorf("%s baseline: %w", v.rule, err)
	}
	m := map[string]*volBase{}
	if vb.Version == volBaselineVersion {
		for ep, b := range vb.Endpoints {
			if b != nil {
				m[ep] = b
			}
		}
	}
	v.base = m
	return nil
}

// amount is what an event adds to its endpoint's hour, or false.
func (v *Volume) amount(ev *event.Event) (float64, bool) {
	if !v.bytes {
		return 1, true
	}
	if ev.Format == "netfilter" || ev.BytesOut <= 0 {
		return 0, false
	}
	return float64(ev.BytesOut), true
}

// localHour returns the local start of the hour of t.
func (v *Volume) localHour(t time.Time) time.Time {
	if s := t.Unix(); s >= v.hourFrom && s < v.hourTo {
		return v.hourStart
	}
	l := v.env.Local(t)
	start := time.Date(l.Year(), l.Month(), l.Day(), l.Hour(), 0, 0, 0, l.Location())
	v.hourStart, v.hourFrom, v.hourTo = start, start.Unix(), start.Add(time.Hour).Unix()
	return start
}

// record adds one event to its endpoint's hour.
func (v *Volume) record(ev *event.Event, learning bool) {
	v.relays.note(ev)
	ep := ev.Endpoint
	if !ep.IsValid() || ep != ev.SrcIP || v.relays.is(ep) {
		return
	}
	e := v.eps.GetOr(ep, func() *volEndpoint {
		return &volEndpoint{host: strings.Clone(ev.Host), segment: v.env.Segment(ep.String())}
	})
	if ev.Kind == event.KindHTTP && ev.SrcPort != 0 && ev.Domain != "" && ev.DstIP.IsValid() && v.relays.is(ev.DstIP) {
		e.remember(ev.SrcPort, ev.Domain)
	}
	x, ok := v.amount(ev)
	if !ok {
		return
	}
	start := v.localHour(ev.Time)
	a := &e.acc[mod(start.Unix()/3600, 2)]
	if !a.start.Equal(start) {
		if !a.start.IsZero() && a.start.Before(start) {
			v.close(ep, e, a) // a late close: no evaluation ran since
		}
		if !a.start.IsZero() && a.start.After(start) {
			return // an event from an hour already closed
		}
		*a = volAcc{start: start}
	}
	a.learned = a.learned || learning
	a.addFormat(ev.Format, x)
	if ev.Domain != "" {
		a.addDest(normName(ev.Domain), netip.Addr{}, x, 0)
	} else {
		a.addDest("", ev.DstIP, x, ev.SrcPort)
	}
	if x > a.big || !a.bigEv.valid() {
		a.big, a.bigEv = x, evidenceOf(ev)
	}
}

func (e *volEndpoint) remember(port uint16, name string) {
	kept := ""
	for i := range e.ports {
		if e.ports[i].name == name {
			kept = e.ports[i].name // share the copy already kept
		}
		if e.ports[i].port == port && e.ports[i].name == name {
			return
		}
	}
	if kept == "" {
		kept = strings.Clone(name)
	}
	e.ports[e.portNext] = proxiedName{port: port, name: kept}
	e.portNext = (e.portNext + 1) % len(e.ports)
}

func (e *volEndpoint) nameOf(port uint16) string {
	for _, p := range e.ports {
		if p.port == port && port != 0 {
			return p.name
		}
	}
	return ""
}

func (a *volAcc) addFormat(format string, x float64) {
	for i := range a.byFormat {
		f := &a.byFormat[i]
		if f.format == format || f.format == "" {
			f.format = format
			f.v += x
			return
		}
	}
	a.byFormat[len(a.byFormat)-1].v += x // more formats than slots: pool the rest
}

// addDest keeps the hour's biggest destinations, approximately: when the
// table is full a new destination replaces the smallest and inherits its
// sum (the space-saving algorithm), so the top ones are never lost.
func (a *volAcc) addDest(name string, ip netip.Addr, x float64, port uint16) {
	if name == "" && !ip.IsValid() {
		return
	}
	small := 0
	for i := range a.top {
		d := &a.top[i]
		if d.name == name && d.ip == ip {
			d.add(x, port)
			return
		}
		if d.v < a.top[small].v {
			small = i
		}
	}
	d := &a.top[small]
	v := d.v
	*d = destSum{name: strings.Clone(name), ip: ip, v: v}
	d.add(x, port)
}

func (d *destSum) add(x float64, port uint16) {
	d.v += x
	if x > d.big {
		d.big, d.port = x, port
	}
}

// value is the hour's figure: the largest of the formats' sums.
func (a *volAcc) value() float64 {
	m := 0.0
	for _, f := range a.byFormat {
		m = max(m, f.v)
	}
	return m
}

// Tick implements detect.Ticker: every `every` it evaluates the open hour;
// after each hour (and a grace for late lines) it evaluates and closes the
// hours before the current one.
func (v *Volume) Tick(now time.Time, em *detect.Emitter) {
	if v.next.IsZero() {
		v.next = now.Add(v.every)
	}
	cur := v.localHour(now)
	if v.closeAt.IsZero() {
		v.closeAt = cur.Add(time.Hour + v.grace)
	}
	if !now.Before(v.closeAt) {
		v.evaluate(cur, true, em)
		v.closeAt = cur.Add(time.Hour + v.grace)
	}
	if !now.Before(v.next) {
		v.evaluate(cur, false, em)
		v.next = now.Add(v.every)
	}
}

// Finish implements detect.Finisher: every hour, the current one too, is
// judged as it stands and closed.
func (v *Volume) Finish(now time.Time, em *detect.Emitter) {
	v.evaluate(v.localHour(now).Add(time.Hour), true, em)
}

// candidate is an endpoint's hour being evaluated.
type candidate struct {
	ep    netip.Addr
	e     *volEndpoint
	a     *volAcc
	value float64
	usual float64
	need  float64
	own   bool
}

// evaluate judges the endpoints' hours: with closing, every hour before
// cur, which are then closed (learned or forgotten); else the hour cur,
// as it stands.
func (v *Volume) evaluate(cur time.Time, closing bool, em *detect.Emitter) {
	hours := map[int64][]candidate{}
	v.eps.Each(func(ep netip.Addr, e *volEndpoint) {
		for i := range e.acc {
			a := &e.acc[i]
			if a.start.IsZero() || (closing && !a.start.Before(cur)) || (!closing && !a.start.Equal(cur)) {
				continue
			}
			hours[a.start.Unix()] = append(hours[a.start.Unix()], candidate{ep: ep, e: e, a: a, value: a.value()})
		}
	})
	for _, h := range slices.Sorted(maps.Keys(hours)) {
		cs := hours[h]
		slices.SortFunc(cs, func(x, y candidate) int { return x.ep.Compare(y.ep) })
		if !v.learning {
			v.judge(cs[0].a.start, cs, closing, em)
		}
		if closing {
			for _, c := range cs {
				v.close(c.ep, c.e, c.a)
			}
		}
	}
}

// judge reports the candidates above their thresholds, once per hour, and
// again with the final figure when a reported hour closes.
func (v *Volume) judge(hour time.Time, cs []candidate, closing bool, em *detect.Emitter) {
	slot := slotOf(hour)
	clear(v.peers)
	type tally struct{ over, active int } // endpoints over their threshold, endpoints active
	segs := map[string]tally{}
	values := map[string][]float64{}
	for i := range cs {
		c := &cs[i]
		if c.a.learned {
			continue
		}
		c.usual, c.own = v.usual(c.ep, c.e, slot)
		c.need = max(v.floor, v.factor*c.usual)
		s := segs[c.e.segment]
		s.active++
		if c.value > c.need {
			s.over++
		}
		segs[c.e.segment] = s
		values[c.e.segment] = append(values[c.e.segment], c.value)
	}
	for seg, vs := range values {
		slices.Sort(vs)
		values[seg] = vs
	}
	for i := range cs {
		c := &cs[i]
		if c.a.learned || c.value <= c.need {
			continue
		}
		if c.a.reported {
			if closing {
				em.Emit(v.finding(hour, c, 0)) // the hour's final figure
			}
			continue
		}
		if !closing && c.value <= 2*c.need {
			continue // an open hour is reported early only when clearly over
		}
		s := segs[c.e.segment]
		office := 0.0
		if s.over >= 3 && float64(s.over) >= v.officeShare*float64(s.active) {
			office = quantile(values[c.e.segment], 0.5)
			if c.value <= v.factor*office {
				continue // the whole office is busy: this endpoint is not the exception
			}
		}
		c.a.reported = true
		c.e.anomalies++
		em.Emit(v.finding(hour, c, office))
	}
}

// slot is a kind of day (0 working day, 1 weekend) and a local hour.
type slot struct{ day, hour int }

func slotOf(start time.Time) slot {
	d := 0
	if wd := start.Weekday(); wd == time.Saturday || wd == time.Sunday {
		d = 1
	}
	return slot{d, start.Hour()}
}

// usual is the usual value of an endpoint for a slot, and whether it is
// the endpoint's own.
func (v *Volume) usual(ep netip.Addr, e *volEndpoint, s slot) (float64, bool) {
	if b, ok := v.base[ep.String()]; ok {
		return b.usual(s), true
	}
	// No baseline of its own: judged by the busiest of its segment, else
	// of the organisation (found once per segment and evaluation).
	ck := e.segment + " " + strconv.Itoa(s.day*24+s.hour)
	u, ok := v.peers[ck]
	if !ok {
		u = v.busiest(e.segment, s)
		if v.peers == nil {
			v.peers = map[string]float64{}
		}
		v.peers[ck] = u
	}
	return u, false
}

// busiest is the usual value for a slot of a segment's busier endpoints:
// the second largest of their U (the largest when there is one), or of all
// endpoints when the segment has none learned.
func (v *Volume) busiest(segment string, s slot) float64 {
	var top [2]float64
	peers := 0
	add := func(u float64) {
		peers++
		if u > top[0] {
			top[0], top[1] = u, top[0]
		} else if u > top[1] {
			top[1] = u
		}
	}
	for _, b := range v.base {
		if segment == "" || b.Segment == segment {
			add(b.usual(s))
		}
	}
	if peers == 0 && segment != "" {
		for _, b := range v.base {
			add(b.usual(s))
		}
	}
	if peers == 1 {
		return top[0]
	}
	return top[1]
}

// usual is U for a slot (see Volume).
func (b *volBase) usual(s slot) float64 {
	var slotDays dayMaxes
	active, observed := 0, 0
	for dh := -1; dh <= 1; dh++ {
		h := (s.hour + dh + 24) % 24
		for _, x := range b.Values[s.day][h] {
			slotDays.add(x)
		}
		active += len(b.Values[s.day][h])
		observed += int(b.Hours[s.day][h])
	}
	active = min(active, observed)
	day := b.dayTypical(s.day)
	if day == 0 {
		day = b.dayTypical(1 - s.day) // learned on the other kind of day only
	}
	return max(slotDays.second(), day*float64(active+1)/float64(observed+2))
}

// dayTypical is the second largest of the daily maxima of a kind of day.
func (b *volBase) dayTypical(day int) float64 {
	var d dayMaxes
	for h := range 24 {
		for _, x := range b.Values[day][h] {
			d.add(x)
		}
	}
	return d.second()
}

// dayMaxes keeps the two largest daily maxima of learned values.
type dayMaxes struct {
	day [2]int32
	v   [2]float64
	n   int
}

func (d *dayMaxes) add(x volValue) {
	v := float64(x.V)
	for i := range d.n {
		if d.day[i] == x.Day {
			d.v[i] = max(d.v[i], v)
			if i == 1 && d.v[1] > d.v[0] {
				d.day[0], d.day[1], d.v[0], d.v[1] = d.day[1], d.day[0], d.v[1], d.v[0]
			}
			return
		}
	}
	switch {
	case d.n < 2:
		d.day[d.n], d.v[d.n] = x.Day, v
		d.n++
		if d.n == 2 && d.v[1] > d.v[0] {
			d.day[0], d.day[1], d.v[0], d.v[1] = d.day[1], d.day[0], d.v[1], d.v[0]
		}
	case v > d.v[0]:
		d.day[1], d.v[1] = d.day[0], d.v[0]
		d.day[0], d.v[0] = x.Day, v
	case v > d.v[1]:
		d.day[1], d.v[1] = x.Day, v
	}
}

// second is the value reached on two different days: the second largest
// daily maximum, 0 with fewer than two days.
func (d *dayMaxes) second() float64 {
	if d.n < 2 {
		return 0
	}
	return d.v[1]
}

// close ends an hour: learned hours go into the baseline.
func (v *Volume) close(ep netip.Addr, e *volEndpoint, a *volAcc) {
	if a.learned {
		v.learn(ep.String(), e.segment, a.start, a.value())
	}
	*a = volAcc{}
}

// learn adds one hour's value to an endpoint's baseline, with the silent
// hours since its last learned hour.
func (v *Volume) learn(ep, segment string, start time.Time, x float64) {
	b := v.base[ep]
	if b == nil {
		if len(v.base) >= maxVolEndpoints {
			return
		}
		b = &volBase{Segment: segment, Last: start.Unix() - 3600}
		v.base[ep] = b
	}
	h := start.Unix()
	if h <= b.Last {
		return
	}
	// Silent hours in between (at most a week of them).
	for t := max(b.Last+3600, h-7*24*3600); t < h; t += 3600 {
		s := slotOf(time.Unix(t, 0).In(start.Location()))
		b.Hours[s.day][s.hour] = min(b.Hours[s.day][s.hour]+1, math.MaxUint16-1)
	}
	s := slotOf(start)
	b.Hours[s.day][s.hour] = min(b.Hours[s.day][s.hour]+1, math.MaxUint16-1)
	if x > 0 {
		vals := append(b.Values[s.day][s.hour], volValue{V: float32(x), Day: int32(start.Year()*400 + start.YearDay())})
		if len(vals) > maxSlotValues {
			vals = vals[len(vals)-maxSlotValues:]
		}
		b.Values[s.day][s.hour] = vals
	}
	b.Last = h
}

// finding writes an anomalous hour up.
func (v *Volume) finding(hour time.Time, c *candidate, office float64) detect.Finding {
	a, e := c.a, c.e
	top := v.topDests(c)
	peer := ""
	if len(top) > 0 {
		peer = top[0]
	}
	fmtV, fmtU := v.format(c.value), v.format(c.usual)
	so := ""
	if v.env.Now != nil && v.env.Now().Before(hour.Add(time.Hour)) {
		so = " so far"
	}
	var en, ja string
	if v.bytes {
		en = fmt.Sprintf("sent %s in the hour %s%s (usual ≤ %s)", fmtV, hourRange(hour), so, fmtU)
		ja = fmt.Sprintf("%s台に%sを送信（通常は%s以下）", hourRange(hour), fmtV, fmtU)
	} else {
		en = fmt.Sprintf("%s connections in the hour %s%s, usual at that hour ≤ %s", fmtV, hourRange(hour), so, fmtU)
		ja = fmt.Sprintf("%s台の通信回数が%s回（この時間帯の通常は%s回以下）", hourRange(hour), fmtV, fmtU)
	}
	if len(top) > 0 {
		en += ", mostly to " + strings.Join(top, ", ")
		ja += "。主な通信先: " + strings.Join(top, ", ")
	}
	if !c.own {
		en += "; a new machine, judged by its segment's busier machines"
		ja += "。新しい端末のため、同じセグメントで通信の多い端末と比較"
	}
	if office > 0 {
		en += fmt.Sprintf("; the whole office is busy this hour (median %s), this endpoint far more", v.format(office))
		ja += fmt.Sprintf("。この時間は事業所全体で多いが（中央値%s）、この端末は突出している", v.format(office))
	}
	var trusted string
	if v.trust != nil {
		for _, d := range top {
			name := d
			if i := strings.LastIndex(d, " / "); i >= 0 {
				name = d[i+3:]
			}
			if zone, ok := v.trust.Match(name); ok {
				trusted = zone
				en += fmt.Sprintf("; %s is a cloud or file-sharing service (trusted-sites list: %s)", name, zone)
				ja += fmt.Sprintf("。%s はクラウド・ファイル共有サービス（信頼済みサイト: %s）", name, zone)
				break
			}
		}
	}
	ratio := c.value / max(c.need, 1)
	score := clamp01(0.5 + 0.25*math.Log2(ratio))
	if trusted != "" {
		score = clamp01(score + 0.1)
	}
	details := map[string]string{
		"hour":      hour.Format("2006-01-02 15:04 MST"),
		"value":     strconv.FormatFloat(c.value, 'f', 0, 64),
		"usual":     strconv.FormatFloat(c.usual, 'f', 0, 64),
		"threshold": strconv.FormatFloat(c.need, 'f', 0, 64),
		"own":       strconv.FormatBool(c.own),
		"slot":      []string{"working day", "weekend"}[slotOf(hour).day] + " " + hour.Format("15:00"),
	}
	if trusted != "" {
		details["trusted_site"] = trusted
	}
	key := "connections"
	if v.bytes {
		key = "bytes out"
	}
	return detect.Finding{
		Time:      a.bigEv.time,
		FirstSeen: hour.UTC(),
		Endpoint:  c.ep.String(),
		Host:      e.host,
		Peer:      peer,
		Key:       key,
		Score:     score,
		Count:     e.anomalies,
		Absolute:  true,
		Summary:   en,
		SummaryJA: ja,
		Details:   details,
		Evidence:  events(a.bigEv),
	}
}

// topDests names the hour's biggest destinations: host names, addresses,
// and a relay with the site its biggest request asked for ("proxy
// 10.0.20.3 / content.dropboxapi.com").
func (v *Volume) topDests(c *candidate) []string {
	ds := slices.Clone(c.a.top[:])
	slices.SortFunc(ds, func(x, y destSum) int { return cmpDesc(x.v, y.v) })
	var out []string
	for _, d := range ds {
		if d.v == 0 || d.v < 0.1*ds[0].v || len(out) == 3 {
			break
		}
		switch {
		case d.name != "":
			out = append(out, d.name)
		case v.relays.is(d.ip):
			s := v.relays.role(d.ip) + " " + d.ip.String()
			if name := c.e.nameOf(d.port); name != "" {
				s += " / " + name
			}
			out = append(out, s)
		default:
			out = append(out, d.ip.String())
		}
	}
	return out
}

func cmpDesc(a, b float64) int {
	switch {
	case a > b:
		return -1
	case a < b:
		return 1
	}
	return 0
}

// format writes a value of the rule's unit.
func (v *Volume) format(x float64) string {
	if v.bytes {
		return human.Traffic(int64(x))
	}
	return strconv.Itoa(int(math.Round(x)))
}
