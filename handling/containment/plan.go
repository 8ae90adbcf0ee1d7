package containment

import (
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
)

// Plan is one measure with its parameters filled: exactly what would run,
// what it protects and costs, what it does to evidence, whom it affects
// and how it is undone. A console shows it before asking for the
// confirmation; Run derives the command from the measure and parameters
// again, so a plan changed after the fact cannot run anything else.
type Plan struct {
	Measure  string
	Title    catalog.Text
	Target   catalog.Target
	Incident string
	// Params are the validated, canonical values by parameter name.
	Params map[string]string
	// Confirm is what the person must type to run the plan: the value of
	// the parameter naming what the measure acts on (ConfirmParam).
	Confirm      string
	ConfirmParam string

	// Argv is the command that runs, with every secret shown as Masked;
	// empty when Manual.
	Argv []string
	// Env are the variables the actuator adds to the environment its
	// command runs in (see BaseEnv), secrets shown as Masked.
	Env     map[string]string
	Timeout time.Duration
	// Manual says no actuator is configured: Steps are the catalog's
	// instructions (for an undo, its undo text) and running the plan
	// records that it was done by hand. Example is the catalog's command
	// example, for reference.
	Manual  bool
	Steps   []catalog.Text
	Example []catalog.Command

	// UndoOf is the run this plan undoes; empty for a measure itself.
	UndoOf string
	// UndoArgv is how the measure would be undone by command; empty when
	// no undo actuator is configured.
	UndoArgv   []string
	Reversible catalog.Reversibility
	UndoText   catalog.Text

	Protects catalog.CIA
	Cost     catalog.Cost
	Evidence catalog.EvidenceEffect
	// ExportFirst says to export the evidence bundle before running: the
	// measure loses evidence and no export of the incident is recorded.
	ExportFirst bool
	Rationale   catalog.Text
	Impact      Impact
}

// Impact is whom a measure affects.
type Impact struct {
	// Endpoints counts the known endpoints the measure cuts off or acts
	// on (from the asset inventory and the endpoints the store has seen).
	Endpoints int
	// Hosts names them (at most 20).
	Hosts []string
	// Scope says it in words; ScopeJA in Japanese.
	Scope, ScopeJA string
}

// ScopeIn returns the scope in the language lang names (see catalog.Text.In).
func (i Impact) ScopeIn(lang string) string {
	return catalog.Text{EN: i.Scope, JA: i.ScopeJA}.In(lang)
}

// confirmOrder is the order in which a measure's required parameters are
// taken as the one to confirm: the object acted on before the place.
var confirmOrder = []string{"ip", "url", "domain", "user", "service", "protocol", "port", "to", "host", "segment", "endpoint", "from"}

// Plan validates the parameters of a measure and builds its plan.
// Parameters not given take no value; a required one missing, an unknown
// one or an invalid value is an error naming the parameter.
func (m *Manager) Plan(ctx context.Context, incident, measure string, params map[string]string) (Plan, error) {
	ms, ok := m.opts.Catalog.Measure(measure)
	if !ok {
		return Plan{}, fmt.Errorf("containment: no measure %q", measure)
	}
	vals := map[string]string{}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		p := param(ms, name)
		if p == nil {
			return Plan{}, fmt.Errorf("containment: measure %s has no parameter %q (it has %s)", measure, name, paramNames(ms))
		}
		if params[name] == "" {
			continue
		}
		v, err := m.val.Validate(name, p.Kind, params[name])
		if err != nil {
			return Plan{}, fmt.Errorf("containment: %s: %w", measure, err)
		}
		vals[name] = v
	}
	for _, p := range ms.Params {
		if p.Required && vals[p.Name] == "" {
			return Plan{}, fmt.Errorf("containment: %s: parameter %s (%s) is required: %s", measure, p.Name, p.Kind, p.Label.EN)
		}
	}
	p := Plan{
		Measure: ms.ID, Title: ms.Title, Target: ms.Target, Incident: incident, Params: vals,
		Reversible: ms.Reversible, UndoText: ms.Undo, Protects: ms.Protects, Cost: ms.Cost,
		Evidence: ms.Evidence, Rationale: ms.Rationale, Steps: ms.Manual,
	}
	if ms.Actuator != nil {
		p.Example = filled(ms.Expand, ms.Actuator.Commands, vals)
	}
	for _, name := range confirmOrder {
		if pp := param(ms, name); pp != nil && pp.Required {
			p.Confirm, p.ConfirmParam = vals[name], name
			break
		}
	}
	if p.ConfirmParam == "" {
		for _, pp := range ms.Params {
			if pp.Required {
				p.Confirm, p.ConfirmParam = vals[pp.Name], pp.Name
				break
			}
		}
	}
	act, configured := m.opts.Actuators[ms.ID]
	p.Manual = !configured
	if configured {
		var err error
		if p.Argv, err = expand(ms.ID, "argv", act.Argv, vals, masked); err != nil {
			return Plan{}, err
		}
		if len(act.Undo) > 0 {
			if p.UndoArgv, err = expand(ms.ID, "undo", act.Undo, vals, masked); err != nil {
				return Plan{}, err
			}
		}
		for k, v := range act.Env {
			if p.Env == nil {
				p.Env = map[string]string{}
			}
			p.Env[k] = placeholderRE.ReplaceAllString(v, Masked)
		}
		p.Timeout = time.Duration(act.Timeout)
		if p.Timeout <= 0 {
			p.Timeout = DefaultTimeout
		}
	}
	if ms.Evidence.ExportFirst {
		exported, err := m.exported(ctx, incident)
		if err != nil {
			return Plan{}, err
		}
		p.ExportFirst = !exported
	}
	imp, err := m.impact(ms, vals)
	if err != nil {
		return Plan{}, err
	}
	p.Impact = imp
	return p, nil
}

// expand replaces the placeholders of argv with values, each within the
// argument it is in: a value never becomes more than one argument.
// filled is the catalog's example commands with the plan's values in
// place of their placeholders (a reference to copy, not one with {{ip}}
// left in it); as written when they cannot be filled.
func filled(expand func(map[string]string) ([]catalog.Command, error), raw []catalog.Command, vals map[string]string) []catalog.Command {
	if cs, err := expand(vals); err == nil {
		return cs
	}
	return raw
}

// {{secret:name}} placeholders take secret(name).
func expand(id, field string, argv []string, vals map[string]string, secret func(string) (string, error)) ([]string, error) {
	out := make([]string, len(argv))
	var missing string
	var serr error
	for i, a := range argv {
		out[i] = placeholderRE.ReplaceAllStringFunc(a, func(ph string) string {
			name := ph[2 : len(ph)-2]
			if s, ok := strings.CutPrefix(name, secretPrefix); ok {
				v, err := secret(s)
				if err != nil && serr == nil {
					serr = err
				}
				return v
			}
			v, ok := vals[name]
			if !ok && missing == "" {
				missing = name
			}
			return v
		})
	}
	if serr != nil {
		return nil, serr
	}
	if missing != "" {
		return nil, fmt.Errorf("containment: %s: the configured %s needs parameter %s", id, field, missing)
	}
	return out, nil
}

// masked is the secret of a command shown: Masked.
func masked(string) (string, error) { return Masked, nil }

// exported reports whether an evidence export of the incident is in the
// audit log.
func (m *Manager) exported(ctx context.Context, incident string) (bool, error) {
	if incident == "" {
		return false, nil
	}
	recs, err := m.opts.Audit.Records(ctx, audit.Filter{Incident: incident, Kind: audit.KindExport})
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(recs, func(r audit.Record) bool { return r.Action == audit.ActionEvidenceExported }), nil
}

// known returns the endpoints mamori knows of: single-address inventory
// entries and the endpoints the store has seen, by address, with a name.
func (m *Manager) known() (map[netip.Addr]string, error) {
	out := map[netip.Addr]string{}
	for _, as := range m.opts.Inventory.All() {
		if as.Prefix.IsSingleIP() && m.opts.Networks.Contains(as.Prefix.Addr()) {
			out[as.Prefix.Addr()] = as.Host
		}
	}
	if m.opts.Endpoints != nil {
		sums, err := m.opts.Endpoints.EndpointSummaries()
		if err != nil {
			return nil, fmt.Errorf("containment: %w", err)
		}
		for _, s := range sums {
			a, err := netip.ParseAddr(s.ID)
			if err != nil || !m.opts.Networks.Contains(a) {
				continue
			}
			if out[a] == "" {
				out[a] = s.Host
			}
		}
	}
	return out, nil
}

func (m *Manager) impact(ms *catalog.Measure, vals map[string]string) (Impact, error) {
	known, err := m.known()
	if err != nil {
		return Impact{}, err
	}
	pick := func(match func(netip.Addr) bool) Impact {
		var imp Impact
		addrs := slices.SortedFunc(maps.Keys(known), func(a, b netip.Addr) int { return a.Compare(b) })
		for _, a := range addrs {
			if match(a) {
				imp.Endpoints++
				if len(imp.Hosts) < 20 {
					imp.Hosts = append(imp.Hosts, nameOf(a, known[a]))
				}
			}
		}
		return imp
	}
	switch ms.Target {
	case catalog.TargetAccount:
		return Impact{
			Scope:   fmt.Sprintf("the account %s and every service, job or device that runs as it", vals["user"]),
			ScopeJA: fmt.Sprintf("アカウント %s と、それで動くすべてのサービス・ジョブ・機器", vals["user"]),
		}, nil
	case catalog.TargetEndpoint:
		ep := vals["endpoint"]
		if ep == "" {
			ep = vals["host"]
		}
		if ep == "" {
			ep = vals["ip"]
		}
		name := ep
		if a, err := netip.ParseAddr(ep); err == nil {
			name = nameOf(a, known[a])
		}
		imp := Impact{Endpoints: 1, Hosts: []string{name}, Scope: "one endpoint: " + name, ScopeJA: "エンドポイント1台: " + name}
		if d := farSide(vals); d != "" {
			imp.Scope += ", for " + d + " only"
			imp.ScopeJA += "（" + d + " への通信のみ）"
		}
		return imp, nil
	case catalog.TargetService:
		where := ""
		if h := vals["host"]; h != "" {
			where = " on " + h
		}
		whereJA := ""
		if h := vals["host"]; h != "" {
			whereJA = h + " 上の"
		}
		return Impact{
			Scope:   fmt.Sprintf("everyone who uses %s%s", vals["service"], where),
			ScopeJA: fmt.Sprintf("%s%s を使うすべての人", whereJA, vals["service"]),
		}, nil
	}
	// Segment measures.
	if seg := vals["segment"]; seg != "" {
		imp := pick(func(a netip.Addr) bool { return m.opts.Inventory.Segment(a) == seg })
		imp.Scope = fmt.Sprintf("every endpoint in segment %s (%d known)", seg, imp.Endpoints)
		imp.ScopeJA = fmt.Sprintf("セグメント %s のすべてのエンドポイント（既知 %d 台）", seg, imp.Endpoints)
		return imp, nil
	}
	if from, to := vals["from"], vals["to"]; from != "" && to != "" {
		pf, _ := netip.ParsePrefix(from)
		pt, _ := netip.ParsePrefix(to)
		nf, nt := pick(pf.Contains), pick(pt.Contains)
		imp := pick(func(a netip.Addr) bool { return pf.Contains(a) || pt.Contains(a) })
		imp.Scope = fmt.Sprintf("traffic between %s (%d known endpoints) and %s (%d)", from, nf.Endpoints, to, nt.Endpoints)
		imp.ScopeJA = fmt.Sprintf("%s（既知 %d 台）と %s（%d 台）の間の通信", from, nf.Endpoints, to, nt.Endpoints)
		return imp, nil
	}
	imp := pick(func(netip.Addr) bool { return true })
	imp.Scope = fmt.Sprintf("every endpoint behind the gateway (%d known) loses %s", imp.Endpoints, farSide(vals))
	imp.ScopeJA = fmt.Sprintf("ゲートウェイ配下のすべてのエンドポイント（既知 %d 台）が %s へ接続できなくなる", imp.Endpoints, farSide(vals))
	if a, err := netip.ParseAddr(vals["ip"]); err == nil && m.opts.Networks.Contains(a) {
		imp.Scope += "; it is an internal address: " + nameOf(a, known[a]) + " is cut off from everyone"
		imp.ScopeJA += "。内部アドレスのため、" + nameOf(a, known[a]) + " は全員から切り離される"
	}
	return imp, nil
}

// farSide names what a destination measure blocks.
func farSide(vals map[string]string) string {
	var parts []string
	for _, k := range []string{"url", "domain", "ip", "port", "protocol"} {
		if v := vals[k]; v != "" {
			parts = append(parts, k+" "+v)
		}
	}
	return strings.Join(parts, ", ")
}

func nameOf(a netip.Addr, host string) string {
	if host == "" {
		return a.String()
	}
	return host + " (" + a.String() + ")"
}

// DryRun checks a plan as Run would and returns the plan as it would run,
// without confirming, recording or running anything.
func (m *Manager) DryRun(ctx context.Context, p Plan) (Plan, error) {
	return m.replan(ctx, p)
}

// replan builds the plan again from its measure and parameters (and, for
// an undo, from the run it undoes), and checks that what would run is what
// the plan showed.
func (m *Manager) replan(ctx context.Context, p Plan) (Plan, error) {
	var fresh Plan
	var err error
	if p.UndoOf != "" {
		fresh, err = m.UndoPlan(ctx, p.UndoOf)
	} else {
		fresh, err = m.Plan(ctx, p.Incident, p.Measure, p.Params)
	}
	if err != nil {
		return Plan{}, err
	}
	if !slices.Equal(fresh.Argv, p.Argv) || fresh.Manual != p.Manual || fresh.Confirm != p.Confirm {
		return Plan{}, fmt.Errorf("containment: %s: %w", p.Measure, ErrStale)
	}
	return fresh, nil
}

// CommandLine renders argv for people to read, quoting arguments a shell
// would split; it is never run by a shell.
func CommandLine(argv []string) string {
	out := make([]string, len(argv))
	for i, a := range argv {
		if a != "" && !strings.ContainsAny(a, " \t\n'\"\\$`;&|<>(){}[]*?!#~") {
			out[i] = a
			continue
		}
		out[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	return strings.Join(out, " ")
}
