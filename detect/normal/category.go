package normal

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
)

// siteCategory is N-CATEGORY: a visit to a site category the endpoint, its
// segment and the organisation do not normally visit, by the category
// list given to mamori. Sites the list does not know are not judged: an
// "uncategorised" bucket would be in everyone's baseline.
type siteCategory struct {
	rule
	prof  *detect.SetProfile
	cats  *detect.LRU[string, string] // host → category, "" for none
	risky map[string]bool
}

// defaultRisky are the categories that deliver malware or carry stolen
// data more often than others: a first visit to one weighs more.
var defaultRisky = []string{
	"dynamic-dns", "newly-registered", "newly-observed", "parked", "anonymizer", "proxy", "vpn",
	"file-sharing", "personal-storage", "paste", "url-shortener", "malware", "phishing", "suspicious",
}

func newCategory(p detect.Params, env *detect.Env) detect.Detector {
	c := &siteCategory{
		rule:  newRule(RuleCategory, env),
		prof:  detect.NewSetProfile(p.Int("max_categories", 128)),
		cats:  detect.NewLRU[string, string](1 << 15),
		risky: map[string]bool{},
	}
	for _, r := range p.Strings("risky_categories", defaultRisky) {
		c.risky[strings.ToLower(r)] = true
	}
	return c
}

// Params lists the tunables.
func (c *siteCategory) Params() []detect.Param {
	return []detect.Param{
		{Name: "max_categories", Default: 128, Doc: "categories kept per endpoint; an endpoint visiting more is too varied to judge"},
		{Name: "risky_categories", Default: defaultRisky, Doc: "categories whose first visit scores higher (names as the category list writes them)"},
	}
}

// Missing says why the rule cannot run.
func (c *siteCategory) Missing() string {
	if c.env.Categories == nil {
		return "no site-category list configured (categories: in the config, or --categories)"
	}
	return ""
}

// Kinds lists the events read: HTTP requests and TLS server names.
func (c *siteCategory) Kinds() []event.Kind { return []event.Kind{event.KindHTTP, event.KindTLS} }

// categoryOf returns the category of the site ev visited, with its host.
func (c *siteCategory) categoryOf(ev *event.Event) (cat, host string) {
	host = requestHost(ev)
	if host == "" || c.env.Categories == nil {
		return "", ""
	}
	if _, ip := ipLiteral(host); ip {
		return "", host
	}
	if cat, ok := c.cats.Get(host); ok {
		return cat, host
	}
	cat, _ = c.env.Categories.Category(host)
	c.cats.Put(host, cat)
	return cat, host
}

// Learn records the categories each endpoint visits.
func (c *siteCategory) Learn(ev *event.Event) {
	c.learnt++
	if c.sensorCopy(ev) {
		return
	}
	if !ev.Endpoint.IsValid() {
		return
	}
	if cat, _ := c.categoryOf(ev); cat != "" {
		in := c.eps.get(ev.Endpoint)
		c.prof.Learn(in.id, in.segment, cat)
	}
}

// Observe reports a visit to a category outside the baseline.
func (c *siteCategory) Observe(ev *event.Event, em *detect.Emitter) {
	if c.sensorCopy(ev) {
		return
	}
	if !ev.Endpoint.IsValid() || !c.ready() {
		return
	}
	cat, host := c.categoryOf(ev)
	if cat == "" {
		return
	}
	in := c.eps.get(ev.Endpoint)
	usual, why := c.prof.Usual(in.id, in.segment, cat)
	if usual {
		return
	}
	org := int(c.prof.Org[cat])
	score := 0.45
	if c.risky[cat] {
		score = 0.7
	}
	if org == 0 {
		score += 0.1 // nobody in the organisation visits such sites
	}
	dest := site(host)
	denied, deniedJA := "", ""
	if ev.Action == event.ActionDeny {
		denied, deniedJA = " (the proxy denied it)", "（プロキシが拒否）"
	}
	c.lim.emit(em, detect.Finding{
		Time: ev.Time, Endpoint: in.id, Host: ev.Host, Peer: dest, Key: cat,
		Score: score, Rare: rare(c.env, dest),
		Summary: fmt.Sprintf("visited %s, a %s site%s: a category not in the baseline (%s)",
			clip(host, 80), cat, denied, why),
		SummaryJA: fmt.Sprintf("ベースラインにないカテゴリ「%s」のサイト %s へアクセス%s（学習期間中に%d台のエンドポイントが利用）",
			cat, clip(host, 80), deniedJA, org),
		Details: map[string]string{
			"category": cat, "domain": host, "baseline": why, "org_endpoints": strconv.Itoa(org),
		},
		Evidence: []*event.Event{ev},
	})
}

// profileBaseline is what a rule with one set baseline saves.
type profileBaseline struct {
	Learned int64              `json:"learned_events"`
	Profile *detect.SetProfile `json:"profile"`
}

// Baseline returns the learned state.
func (c *siteCategory) Baseline() any { return profileBaseline{Learned: c.learnt, Profile: c.prof} }

// Restore sets the learned state.
func (c *siteCategory) Restore(b []byte) error {
	var v profileBaseline
	if err := restoreJSON(c.id, b, &v); err != nil {
		return err
	}
	if v.Profile != nil {
		c.prof = v.Profile
	}
	c.learnt = v.Learned
	return nil
}
