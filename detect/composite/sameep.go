package composite

import (
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// sameEP is C-SAME-EP: on one endpoint, within window (24 h), alerts of a
// mismatch with normal business (matching perspective, normal-business
// basis: an unusual application, port or destination) and of a
// statistical deviation (a beacon, unusual counts or volumes) both occur,
// and together they recur in at least min_hours (2) distinct clock hours.
// A one-off oddity in one hour fades; an implant keeps going.
//
// The finding is keyed per endpoint; Count is the number of hours
// (absolute), and the summary lists the rules with their first and latest
// times. When a mismatch and a deviation are about the same peer (the same
// unusual destination with unusual counts), that peer is the finding's and
// the score is higher.
type sameEP struct {
	env      *detect.Env
	window   time.Duration
	minHours int
	eps      *detect.LRU[string, *continuity]
}

// continuity is one endpoint's recent mismatches and deviations.
type continuity struct {
	host  string
	rules []ruleSpan
	hours map[int64]struct{} // unix hours with a mismatch or a deviation
	sig   string
}

// ruleSpan is one rule's alerts on the endpoint: kind, first and latest
// time, peers.
type ruleSpan struct {
	rule        string
	deviation   bool
	first, last time.Time
	peers       []string
	ev          *event.Event // the first alert's first evidence line, or nil
}

// Bounds per endpoint: the catalog has a few dozen rules; a rule's peers
// are kept up to 8.
const (
	maxRuleSpans = 64
	maxSpanPeers = 8
)

func newSameEP(p detect.Params, env *detect.Env) detect.Detector {
	return &sameEP{
		env:      env,
		window:   p.Duration("window", 24*time.Hour),
		minHours: max(2, p.Int("min_hours", 2)),
		eps:      detect.NewLRU[string, *continuity](maxEndpoints),
	}
}

func (*sameEP) Rule() string                          { return RuleSameEP }
func (*sameEP) Kinds() []event.Kind                   { return nil }
func (*sameEP) Observe(*event.Event, *detect.Emitter) {}
func (*sameEP) Params() []detect.Param {
	return []detect.Param{
		{Name: "window", Default: "24h", Doc: "the span in which a mismatch and a deviation must both occur: a working day and its night"},
		{Name: "min_hours", Default: 2, Doc: "distinct clock hours the mismatches and deviations must cover together: once is an oddity, recurring is continuity"},
	}
}

// kindOf says whether an alert is a normal-business mismatch or a
// statistical deviation, or neither.
func kindOf(a *alert.Alert) (deviation, ok bool) {
	switch {
	case a.Perspective == alert.Matching && a.Basis == alert.NormalBusiness:
		return false, true
	case a.Perspective == alert.Statistical:
		return true, true
	}
	return false, false
}

func (s *sameEP) ObserveAlert(a *alert.Alert, em *detect.Emitter) {
	if !counts(a) {
		return
	}
	deviation, ok := kindOf(a)
	if !ok {
		return
	}
	c := s.eps.GetOr(a.Endpoint, func() *continuity { return &continuity{hours: map[int64]struct{}{}} })
	if a.Host != "" {
		c.host = a.Host
	}
	now := a.LastSeen
	c.note(a, deviation, now)
	c.prune(now.Add(-s.window))
	var mism, devs []*ruleSpan
	for i := range c.rules {
		if c.rules[i].deviation {
			devs = append(devs, &c.rules[i])
		} else {
			mism = append(mism, &c.rules[i])
		}
	}
	if len(mism) == 0 || len(devs) == 0 || len(c.hours) < s.minHours {
		return
	}
	var names []string
	for _, r := range c.rules {
		names = append(names, r.rule)
	}
	slices.Sort(names)
	sig := strings.Join(names, ",") + "/" + itoa(len(c.hours))
	if sig == c.sig {
		return
	}
	c.sig = sig
	s.emit(a.Endpoint, c, mism, devs, em)
}

func (c *continuity) note(a *alert.Alert, deviation bool, now time.Time) {
	hour := func(t time.Time) int64 { return t.Unix() / 3600 }
	var r *ruleSpan
	for i := range c.rules {
		if c.rules[i].rule == a.Rule {
			r = &c.rules[i]
		}
	}
	if r == nil {
		if len(c.rules) >= maxRuleSpans {
			return
		}
		first := a.FirstSeen
		if first.IsZero() || first.After(now) {
			first = now
		}
		c.rules = append(c.rules, ruleSpan{rule: a.Rule, deviation: deviation, first: first, last: now})
		r = &c.rules[len(c.rules)-1]
		if ev, ok := evidenceOf(a); ok {
			r.ev = &ev
		}
		c.hours[hour(first)] = struct{}{}
	}
	if now.After(r.last) {
		r.last = now
	}
	if a.Peer != "" && !slices.Contains(r.peers, a.Peer) {
		if len(r.peers) >= maxSpanPeers {
			r.peers = r.peers[1:]
		}
		r.peers = append(r.peers, a.Peer)
	}
	c.hours[hour(now)] = struct{}{}
}

// prune forgets rules last seen before cut and hours before it.
func (c *continuity) prune(cut time.Time) {
	c.rules = slices.DeleteFunc(c.rules, func(r ruleSpan) bool { return r.last.Before(cut) })
	for h := range c.hours {
		if h < cut.Unix()/3600 {
			delete(c.hours, h)
		}
	}
}

func (s *sameEP) emit(endpoint string, c *continuity, mism, devs []*ruleSpan, em *detect.Emitter) {
	span := func(rs []*ruleSpan) (string, string) {
		var en, ja []string
		for _, r := range rs {
			t := r.rule + " (" + clockSpan(s.env, r.first, r.last) + ")"
			en = append(en, t)
			ja = append(ja, t)
		}
		return strings.Join(en, ", "), strings.Join(ja, "、")
	}
	mEN, mJA := span(mism)
	dEN, dJA := span(devs)
	// A peer both kinds are about: the same unusual destination with
	// unusual counts.
	common := ""
	for _, m := range mism {
		for _, d := range devs {
			for _, p := range m.peers {
				if common == "" && slices.Contains(d.peers, p) {
					common = p
				}
			}
		}
	}
	peer, score := common, 0.9
	if common == "" {
		score = 0.7
		if ps := devs[len(devs)-1].peers; len(ps) > 0 {
			peer = ps[len(ps)-1]
		}
	}
	first, last := c.rules[0].first, c.rules[0].last
	var evidence []*event.Event
	var mNames, dNames []string
	for _, r := range c.rules {
		if r.first.Before(first) {
			first = r.first
		}
		if r.last.After(last) {
			last = r.last
		}
		if r.ev != nil {
			ev := *r.ev
			evidence = append(evidence, &ev)
		}
		if r.deviation {
			dNames = append(dNames, r.rule)
		} else {
			mNames = append(mNames, r.rule)
		}
	}
	n := len(c.hours)
	summary := "Unusual behaviour recurring on " + who(c.host, endpoint) + " in " + itoa(n) + " distinct hours since " + clock(s.env, first) +
		": mismatches with normal business " + mEN + "; statistical deviations " + dEN
	summaryJA := who(c.host, endpoint) + " で通常業務との不一致と乖離が " + clock(s.env, first) + " 以降 " + itoa(n) + " 時間帯にわたって繰り返し発生している。不一致：" + mJA + "。乖離：" + dJA
	if common != "" {
		summary += "; both about " + common
		summaryJA += "。いずれも " + common + " に関するもの"
	}
	em.Emit(detect.Finding{
		Time: last, FirstSeen: first, Endpoint: endpoint, Host: c.host, Peer: peer, Key: "continuity",
		Score: score, Count: n, Absolute: true,
		Summary: summary + ".", SummaryJA: summaryJA + "。",
		Details: map[string]string{
			"mismatch_rules": listOf(mNames), "deviation_rules": listOf(dNames), "hours": itoa(n), "common_peer": common,
		},
		Evidence: evidence,
	})
}
