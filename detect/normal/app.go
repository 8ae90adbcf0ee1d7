package normal

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// app is N-APP: an HTTP user agent whose family (agentFamily: the string
// with its version numbers blanked) is not in the baseline of the
// endpoint, its segment or the organisation; or a usual family claiming a
// version far older than the one the organisation runs (a hard-coded
// browser string).
type app struct {
	rule
	prof  *detect.SetProfile
	agent *detect.LRU[string, *agentInfo] // raw user agent → what it is
	// versions counts, per product and major version, the endpoints seen
	// using it while learning (up to 2: enough to call it in use).
	versions map[string]map[int][]string
	typical  map[string]int // product → newest major in use by 2+ endpoints; nil until computed
	lag      int
}

type agentInfo struct {
	family  string
	checked bool   // old has been computed
	old     string // "Chrome/58" when far behind the usual version
	behind  int
	usual   int
}

// Bounds of the version table: products and majors per product.
const (
	maxProducts = 512
	maxMajors   = 64
)

func newApp(p detect.Params, env *detect.Env) detect.Detector {
	return &app{
		rule:     newRule(RuleApp, env),
		prof:     detect.NewSetProfile(p.Int("max_agents", 64)),
		agent:    detect.NewLRU[string, *agentInfo](8192),
		versions: map[string]map[int][]string{},
		lag:      p.Int("max_version_lag", 12),
	}
}

// Params lists the tunables.
func (a *app) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_agents", Default: 64, Doc: "user-agent families kept per endpoint; an endpoint with more (a gateway, a terminal server) is too varied to judge"},
		{Name: "max_version_lag", Default: 12, Doc: "a product this many major versions behind the newest one two endpoints use is reported (Chrome ships about 12 a year)"},
	}
}

// Kinds lists the events read: HTTP requests.
func (a *app) Kinds() []event.Kind { return []event.Kind{event.KindHTTP} }

func (a *app) info(ua string) *agentInfo {
	if len(ua) > maxAgent {
		ua = ua[:maxAgent] // all that agentFamily and products look at
	}
	if in, ok := a.agent.Get(ua); ok {
		return in
	}
	in := &agentInfo{family: agentFamily(ua)}
	a.agent.Put(strings.Clone(ua), in) // do not keep a long line alive
	return in
}

func userAgent(ev *event.Event) string {
	if ev.UserAgent == "-" {
		return ""
	}
	return ev.UserAgent
}

// Learn records each endpoint's user-agent families and the versions in
// use.
func (a *app) Learn(ev *event.Event) {
	a.learnt++
	if a.sensorCopy(ev) {
		return
	}
	ua := userAgent(ev)
	if ua == "" || !ev.Endpoint.IsValid() {
		return
	}
	in := a.eps.get(ev.Endpoint)
	a.prof.Learn(in.id, in.segment, a.info(ua).family)
	products(ua, func(p product) {
		majors := a.versions[p.name]
		if majors == nil {
			if len(a.versions) >= maxProducts {
				return
			}
			majors = map[int][]string{}
			a.versions[p.name] = majors
		}
		eps, ok := majors[p.major]
		if !ok && len(majors) >= maxMajors {
			return
		}
		if len(eps) < 2 && (len(eps) == 0 || eps[0] != in.id) {
			majors[p.major] = append(eps, in.id)
		}
	})
	a.typical = nil
}

// usualVersions returns the newest major version of each product that at
// least two endpoints used while learning.
func (a *app) usualVersions() map[string]int {
	if a.typical != nil {
		return a.typical
	}
	a.typical = map[string]int{}
	for name, majors := range a.versions {
		for m, eps := range majors {
			if len(eps) >= 2 && m > a.typical[name] {
				a.typical[name] = m
			}
		}
	}
	return a.typical
}

// Observe reports an unknown user-agent family or a far older version.
func (a *app) Observe(ev *event.Event, em *detect.Emitter) {
	if a.sensorCopy(ev) {
		return
	}
	ua := userAgent(ev)
	if ua == "" || !ev.Endpoint.IsValid() || !a.ready() {
		return
	}
	in := a.eps.get(ev.Endpoint)
	ai := a.info(ua)
	usual, why := a.prof.Usual(in.id, in.segment, ai.family)
	if !usual {
		host := requestHost(ev)
		dest := site(host)
		org := int(a.prof.Org[ai.family])
		score := 0.45
		if org == 0 {
			score = 0.7 // no endpoint of the organisation uses this application
		}
		a.lim.emit(em, detect.Finding{
			Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dest, Key: ai.family,
			Score: score, Rare: rare(a.env, dest),
			Summary: fmt.Sprintf("user agent %q, to %s, is not in the baseline (%s)",
				clip(ua, 120), clip(host, 80), why),
			SummaryJA: fmt.Sprintf("ベースラインにないユーザエージェント %q による %s への通信（学習期間中に%d台のエンドポイントが使用）",
				clip(ua, 120), clip(host, 80), org),
			Details: map[string]string{
				"user_agent": clip(ua, 300), "family": ai.family, "domain": host, "baseline": why,
				"org_endpoints": strconv.Itoa(org),
			},
			Evidence: []*event.Event{ev},
		})
		return
	}
	if !ai.checked {
		ai.checked = true
		typical := a.usualVersions()
		products(ua, func(p product) {
			if t, ok := typical[p.name]; ok && p.major+a.lag < t && t-p.major > ai.behind {
				ai.old, ai.behind, ai.usual = p.name+"/"+strconv.Itoa(p.major), t-p.major, t
			}
		})
	}
	if ai.old == "" {
		return
	}
	host := requestHost(ev)
	dest := site(host)
	a.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dest, Key: ai.family + " " + ai.old,
		Score: 0.45,
		Summary: fmt.Sprintf("user agent %q, to %s, claims %s: %d major versions behind the %d the organisation runs",
			clip(ua, 120), clip(host, 80), ai.old, ai.behind, ai.usual),
		SummaryJA: fmt.Sprintf("ユーザエージェント %q（%s への通信）は %s を名乗り、組織で使われている版（%d）より%d版古い",
			clip(ua, 120), clip(host, 80), ai.old, ai.usual, ai.behind),
		Details: map[string]string{
			"user_agent": clip(ua, 300), "family": ai.family, "domain": host, "version": ai.old,
			"usual_major": strconv.Itoa(ai.usual), "behind": strconv.Itoa(ai.behind),
		},
		Evidence: []*event.Event{ev},
	})
}

// appBaseline is what N-APP saves.
type appBaseline struct {
	Learned  int64                       `json:"learned_events"`
	Profile  *detect.SetProfile          `json:"profile"`
	Versions map[string]map[int][]string `json:"versions"`
}

// Baseline returns the learned state.
func (a *app) Baseline() any {
	return appBaseline{Learned: a.learnt, Profile: a.prof, Versions: a.versions}
}

// Restore sets the learned state.
func (a *app) Restore(b []byte) error {
	var v appBaseline
	if err := restoreJSON(a.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		a.prof = v.Profile
	}
	if v.Versions != nil {
		a.versions = v.Versions
	}
	a.learnt = v.Learned
	a.typical = nil
	a.agent = detect.NewLRU[string, *agentInfo](8192)
	return nil
}
