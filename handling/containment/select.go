package containment

import (
	"context"
	"net/netip"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

// Selection is what the person has selected: alerts (one, or an
// incident's), endpoints, and the incident the action belongs to.
type Selection struct {
	Incident  string
	Alerts    []alert.Alert
	Endpoints []string
}

// Value is one value a selection offers for parameters of its kind.
type Value struct {
	Kind  catalog.ParamKind
	Value string // validated, canonical
	// Source says where it came from: "endpoint pc-011", "peer of S-BEACON".
	Source string
	// Internal is set for the organisation's own addresses, networks and
	// machines.
	Internal bool
	// Rank orders values of a kind: higher first. An account that logged
	// in after the failures ranks above the accounts that only failed: it
	// is the one the attacker holds.
	Rank int
}

// Ranks of values.
const (
	rankFailedLogin = -1 // an account only seen failing
	rankLoggedIn    = 1  // an account seen logging in
)

// maxEvidenceLookups bounds the evidence events read per alert.
const maxEvidenceLookups = 8

// Values gathers the values a selection offers: its endpoints (address,
// host name, segment and the segment's network from the inventory), the
// alerts' peers and details, and the domains, URLs, ports, protocols and
// accounts in the alerts' evidence events. A value that fails validation
// is not offered, so the picker never pre-fills hostile text.
func (m *Manager) Values(ctx context.Context, sel Selection) ([]Value, error) {
	g := &gatherer{m: m, seen: map[[2]string]int{}}
	for _, ep := range sel.Endpoints {
		g.endpoint(ep, "", "endpoint")
	}
	for i := range sel.Alerts {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a := &sel.Alerts[i]
		g.endpoint(a.Endpoint, a.Host, "endpoint")
		if a.Peer != "" {
			pa, err := netip.ParseAddr(a.Peer)
			switch {
			case err != nil: // a peer named by its domain
				g.add(catalog.ParamDomain, a.Peer, "peer of "+a.Rule)
			case m.opts.Networks.Contains(pa):
				g.endpoint(a.Peer, "", "peer of "+a.Rule)
			default:
				g.add(catalog.ParamIP, a.Peer, "peer of "+a.Rule)
			}
		}
		for _, k := range []struct {
			key  string
			kind catalog.ParamKind
		}{
			{"domain", catalog.ParamDomain}, {"url_host", catalog.ParamDomain}, {"dst_ip", catalog.ParamIP},
			{"url", catalog.ParamURL}, {"user", catalog.ParamUser}, {"port", catalog.ParamPort},
			{"dst_port", catalog.ParamPort},
		} {
			if v := a.Details[k.key]; v != "" {
				g.add(k.kind, v, k.key+" of "+a.Rule)
			}
		}
		if m.opts.Events == nil {
			continue
		}
		for j, e := range a.Evidence {
			if j == maxEvidenceLookups {
				break
			}
			ev, err := lookup(ctx, m.opts.Events, e)
			if err != nil {
				return nil, err
			}
			if ev != nil {
				g.event(ev, a)
			}
		}
	}
	return g.out, nil
}

func lookup(ctx context.Context, r EventReader, e alert.Evidence) (*event.Event, error) {
	var found *event.Event
	err := r.Events(ctx, e.Time, e.Time.Add(time.Nanosecond), func(st store.Stored) error {
		if st.Event.Ref.File == e.File && st.Event.Ref.Offset == e.Offset {
			ev := st.Event
			found = &ev
		}
		return nil
	})
	return found, err
}

type gatherer struct {
	m    *Manager
	out  []Value
	seen map[[2]string]int // kind, value → index in out
}

func (g *gatherer) add(kind catalog.ParamKind, v, source string) {
	g.addSide(kind, v, source, false)
}

// addSide adds a value; internal marks it as the organisation's own side
// when its kind cannot tell (a port of an internal server).
func (g *gatherer) addSide(kind catalog.ParamKind, v, source string, internal bool) {
	g.addRanked(kind, v, source, internal, 0)
}

// addRanked adds a value of a rank; a value seen again with a higher rank
// takes it, and its source.
func (g *gatherer) addRanked(kind catalog.ParamKind, v, source string, internal bool, rank int) {
	c, err := g.m.val.Validate(string(kind), kind, v)
	if err != nil {
		return
	}
	k := [2]string{string(kind), c}
	if i, ok := g.seen[k]; ok {
		if rank > g.out[i].Rank {
			g.out[i].Rank, g.out[i].Source = rank, sanitize.Line(source)
		}
		return
	}
	g.seen[k] = len(g.out)
	g.out = append(g.out, Value{Kind: kind, Value: c, Source: sanitize.Line(source), Internal: internal || g.m.internal(kind, c), Rank: rank})
}

// endpoint offers an endpoint's address, host name, segment and the
// segment's networks.
func (g *gatherer) endpoint(id, host, role string) {
	if id == "" {
		return
	}
	a, err := netip.ParseAddr(id)
	if err != nil {
		g.add(catalog.ParamHost, id, role+" "+id)
		return
	}
	a = a.Unmap()
	inv := g.m.opts.Inventory
	asset, known := inv.Lookup(a)
	if host == "" && known && asset.Prefix.IsSingleIP() {
		host = asset.Host
	}
	name := id
	if host != "" {
		name = host
	}
	g.add(catalog.ParamIP, a.String(), role+" "+name)
	if host != "" {
		g.add(catalog.ParamHost, host, role+" "+name)
	}
	g.add(catalog.ParamHost, a.String(), role+" "+name)
	if seg := inv.Segment(a); seg != "" {
		g.add(catalog.ParamSegment, seg, "segment of "+name)
		for _, as := range inv.All() {
			if as.Segment == seg && !as.Prefix.IsSingleIP() && as.Prefix.Contains(a) {
				g.add(catalog.ParamCIDR, as.Prefix.Masked().String(), "network of "+name+" ("+seg+")")
			}
		}
	}
}

// event offers what an evidence event names on the far side.
func (g *gatherer) event(ev *event.Event, a *alert.Alert) {
	from := "evidence of " + a.Rule
	if ev.Domain != "" {
		g.add(catalog.ParamDomain, ev.Domain, from)
	}
	if ev.Query != "" {
		g.add(catalog.ParamDomain, strings.TrimSuffix(ev.Query, "."), from)
	}
	if u, err := url.Parse(ev.URL); err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		g.add(catalog.ParamURL, ev.URL, from)
	}
	if ev.User != "" && ev.User != "-" {
		switch {
		case ev.Kind == event.KindAuth && ev.Outcome == event.OutcomeSuccess:
			g.addRanked(catalog.ParamUser, ev.User, "logged in ("+from+")", false, rankLoggedIn)
		case ev.Kind == event.KindAuth && ev.Outcome == event.OutcomeFailure:
			g.addRanked(catalog.ParamUser, ev.User, "failed logins ("+from+")", false, rankFailedLogin)
		default:
			g.add(catalog.ParamUser, ev.User, from)
		}
	}
	if p := ev.Peer(); p.IsValid() && p != ev.Endpoint {
		if g.m.opts.Networks.Contains(p) {
			g.endpoint(p.String(), "", "peer in "+from)
		} else {
			g.add(catalog.ParamIP, p.String(), from)
		}
		if p == ev.DstIP && ev.DstPort != 0 {
			g.addSide(catalog.ParamPort, strconv.Itoa(int(ev.DstPort)), from, g.m.opts.Networks.Contains(p))
		}
	}
	if ev.Transport != "" {
		g.add(catalog.ParamProtocol, ev.Transport, from)
	}
	// A service of the office's own (a measure stops it) is one an
	// endpoint answers on; the protocol an endpoint speaks to the far
	// side (a beacon's https) is not.
	if ev.Service != "" && ev.Endpoint.IsValid() && ev.DstIP == ev.Endpoint {
		g.addSide(catalog.ParamService, ev.Service, "service on "+ev.Endpoint.String()+" ("+from+")", true)
	}
}

// Option is one applicable measure with its parameters' choices.
type Option struct {
	Measure *catalog.Measure
	Params  []Choice
	// Manual says no actuator is configured: the plan shows the steps and
	// recording it as done by hand is the action.
	Manual bool
	// Filter is the text a fuzzy filter matches: id, titles, target and
	// the default values.
	Filter string
}

// Choice is one parameter of an Option and the values offered for it.
type Choice struct {
	Param   catalog.Param
	Choices []Value
	// Default is the value pre-selected: the best fitting choice, or ""
	// for an optional parameter with none.
	Default string
}

// Values returns the Choice's default values by parameter name, ready for
// Plan.
func (o *Option) Values() map[string]string {
	out := map[string]string{}
	for _, c := range o.Params {
		if c.Default != "" {
			out[c.Param.Name] = c.Default
		}
	}
	return out
}

// Applicable returns the measures of the catalog whose required
// parameters the values can fill, in catalog order (mildest first per
// target), with the choices per parameter and a default for each.
func (m *Manager) Applicable(values []Value) []Option {
	var out []Option
	for i := range m.opts.Catalog.Measures() {
		ms := &m.opts.Catalog.Measures()[i]
		opt := Option{Measure: ms}
		ok := true
		for _, p := range ms.Params {
			var cs []Value
			for _, v := range values {
				if v.Kind == p.Kind {
					cs = append(cs, v)
				}
			}
			if len(cs) == 0 && p.Required {
				ok = false
				break
			}
			opt.Params = append(opt.Params, Choice{Param: p, Choices: orderChoices(ms, p, cs)})
		}
		if !ok {
			continue
		}
		pickDefaults(&opt)
		_, configured := m.opts.Actuators[ms.ID]
		opt.Manual = !configured
		parts := []string{ms.ID, ms.Title.EN, ms.Title.JA, string(ms.Target)}
		for _, c := range opt.Params {
			parts = append(parts, c.Default)
		}
		opt.Filter = strings.Join(parts, " ")
		out = append(out, opt)
	}
	return out
}

// Offer is Values then Applicable: the picker's list for a selection.
func (m *Manager) Offer(ctx context.Context, sel Selection) ([]Option, error) {
	vs, err := m.Values(ctx, sel)
	if err != nil {
		return nil, err
	}
	return m.Applicable(vs), nil
}

// wantsInternal says whether a parameter names the organisation's own
// side (the endpoint to isolate, the source segment) or the far side (the
// destination to block).
func wantsInternal(ms *catalog.Measure, p catalog.Param) bool {
	switch p.Name {
	case "endpoint", "host", "from", "segment":
		return true
	case "ip":
		// endpoint.block-ip isolates the endpoint itself; everywhere else
		// (a destination of an endpoint, of the segment) it is the far side.
		return ms.Target == catalog.TargetEndpoint && param(ms, "endpoint") == nil
	}
	return false
}

// orderChoices puts first the values of the side the parameter names
// (the organisation's own or the far side), then the higher ranked.
func orderChoices(ms *catalog.Measure, p catalog.Param, cs []Value) []Value {
	want := wantsInternal(ms, p)
	slices.SortStableFunc(cs, func(a, b Value) int {
		ai, bi := a.Internal == want, b.Internal == want
		switch {
		case ai && !bi:
			return -1
		case bi && !ai:
			return 1
		}
		return b.Rank - a.Rank
	})
	return cs
}

func pickDefaults(o *Option) {
	used := map[string]bool{}
	for i := range o.Params {
		c := &o.Params[i]
		if len(c.Choices) == 0 {
			continue
		}
		c.Default = c.Choices[0].Value
		// Two parameters of one kind (from and to) start on different values.
		for _, v := range c.Choices {
			if !used[string(c.Param.Kind)+"\x00"+v.Value] {
				c.Default = v.Value
				break
			}
		}
		if !c.Param.Required && !wantsInternal(o.Measure, c.Param) && len(c.Choices) > 0 && c.Choices[0].Internal {
			c.Default = "" // an optional far-side value with nothing far: leave it empty
		}
		if c.Default != "" {
			used[string(c.Param.Kind)+"\x00"+c.Default] = true
		}
	}
}
