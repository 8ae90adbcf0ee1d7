package matching

import (
	"strings"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// ddns is M-DDNS: a name looked up or contacted (DNS question, HTTP Host,
// CONNECT target, TLS server name) under a dynamic-DNS provider's zone —
// the catalog's shipped list, plus the zones the configuration's ddns:
// files add (detect.Env.Zones under catalog.ListDynamicDNS, loaded with
// intel.LoadZones). A zone itself and "www." under it are the provider's
// own site (where people register names), not a name someone made, and
// stay silent. Each name is its own alert (Key), with the zone in Details;
// one lookup or request written in two logs counts once (sightings).
//
// A name anyone can create says little by itself (score 0.6, the catalog's
// medium); one that few endpoints reach is raised (Rare), and an
// executable fetched from one is delivery (phase 2).
type ddns struct {
	env     *detect.Env
	relays  *relays
	seen    sightings
	shipped *catalog.List
	extra   *catalog.DomainSet
}

func newDDNS(p detect.Params, env *detect.Env) detect.Detector {
	d := &ddns{env: env, relays: newRelays(env, p.Strings("relay_roles", defaultRelayRoles)), seen: newSightings()}
	if env.Catalog != nil {
		d.shipped, _ = env.Catalog.List(catalog.ListDynamicDNS)
	}
	d.extra = env.Zones[catalog.ListDynamicDNS]
	return d
}

func (*ddns) Rule() string { return RuleDDNS }
func (*ddns) Kinds() []event.Kind {
	return []event.Kind{event.KindDNS, event.KindHTTP, event.KindTLS}
}
func (*ddns) Params() []detect.Param { return []detect.Param{relayParam} }

func (d *ddns) Missing() string {
	if d.shipped == nil && d.extra.Len() == 0 {
		return "no dynamic-DNS zone list (the catalog's " + catalog.ListDynamicDNS + " list is missing)"
	}
	return ""
}

// zone returns the provider zone name is under and where the zone is
// listed.
func (d *ddns) zone(name string) (zone, list string, ok bool) {
	if d.shipped != nil {
		if z, ok := d.shipped.Match(name); ok {
			return z, "shipped list " + catalog.ListDynamicDNS, true
		}
	}
	if z, ok := d.extra.Match(name); ok {
		return z, "the configuration's ddns: files", true
	}
	return "", "", false
}

func (d *ddns) Observe(ev *event.Event, em *detect.Emitter) {
	d.relays.note(ev)
	if !ev.Endpoint.IsValid() && ev.Host == "" {
		return
	}
	name := reachedName(ev)
	if name == "" {
		return
	}
	zone, list, ok := d.zone(name)
	if !ok {
		return
	}
	name = strings.ToLower(strings.TrimSuffix(name, "."))
	if name == zone || name == "www."+zone || d.seen.again(ev, actOf(ev, name)) {
		return
	}
	ep := ev.EndpointID()
	shown := sanitize.Line(name)
	verb, verbJA := contactVerb(ev)
	f := detect.Finding{
		Time: ev.Time, Endpoint: ep, Host: ev.Host, Peer: shown,
		Score: 0.6, Rare: rare(d.env, site(name)),
		Summary: who(ev.Host, ep) + " " + verb + " " + shown + ", a name under the dynamic-DNS provider zone " + zone +
			" (" + list + "), where anyone can point a name at any address.",
		SummaryJA: who(ev.Host, ep) + " が " + shown + " " + verbJA + "。ダイナミックDNSサービスのドメイン " + zone +
			" の配下の名前で、誰でも任意のIPアドレスを割り当てられる。",
		Details:  map[string]string{"domain": shown, "zone": zone, "list": list, "source": ev.Format},
		Evidence: []*event.Event{ev},
	}
	if d.env.Prevalence != nil {
		f.Details["prevalence"] = d.env.Prevalence.Describe(site(name))
	}
	blockedOrFetched(&f, ev, phaseDelivery)
	if why := d.relays.why(ev.Endpoint); why != "" {
		asRelay(&f, ev.Host, why)
	}
	em.Emit(f)
}
