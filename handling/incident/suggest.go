package incident

import (
	"cmp"
	"context"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

// Suggestion is one line of evidence offered for a full-investigation
// finding. Suggestions are kept apart from what people write: a person
// reads them, and accepts or edits them into the finding's text.
type Suggestion struct {
	Finding  string    `json:"finding"` // catalog finding id
	Text     string    `json:"text"`    // one line, safe to show on a terminal
	Time     time.Time `json:"time"`
	Endpoint string    `json:"endpoint,omitempty"`
	Peer     string    `json:"peer,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	Alert    string    `json:"alert,omitempty"`
	Bytes    int64     `json:"bytes,omitempty"` // bytes sent, for transfers
	// Evidence is the original line behind the suggestion, when there is one.
	Evidence *alert.Evidence `json:"evidence,omitempty"`
}

// Rule ids the suggestions single out.
const (
	rulePsExec     = "M-PSEXEC"
	ruleBytesOut   = "S-BYTES-OUT"
	ruleUploadType = "N-UPLOAD-TYPE"
)

// maxTransfers bounds the transfers suggested for exfiltration.
const maxTransfers = 5

// Suggest derives suggestions for the four findings from the incident's
// alerts, their evidence and its endpoints' events:
//
//   - intrusion route: the first evidence line of the earliest delivery
//     (phase 2) and foothold (phase 3) alerts: URL, file, domain;
//   - spread: alerts whose peer is another internal machine, A → B;
//   - exfiltration: outbound-volume alerts and the largest transfers the
//     endpoints sent out around the alerts;
//   - recovery: the affected endpoints, services created by remote
//     execution, and the accounts seen in the evidence.
//
// Suggestions come in finding order, then time order.
func (m *Manager) Suggest(ctx context.Context, inc *Incident) ([]Suggestion, error) {
	alerts, err := m.Alerts(ctx, inc)
	if err != nil {
		return nil, err
	}
	s := &suggester{m: m, ctx: ctx, inc: inc, alerts: alerts, events: map[evKey]*event.Event{}}
	var out []Suggestion
	for _, step := range []func() ([]Suggestion, error){s.intrusion, s.spread, s.exfiltration, s.recovery} {
		got, err := step()
		if err != nil {
			return nil, fmt.Errorf("incident %s: suggestions: %w", inc.ID, err)
		}
		out = append(out, got...)
	}
	return out, nil
}

type evKey struct {
	file   string
	offset int64
}

type suggester struct {
	m      *Manager
	ctx    context.Context
	inc    *Incident
	alerts []alert.Alert
	events map[evKey]*event.Event // looked-up evidence events; nil when not stored
}

// event looks up the stored event behind an evidence line.
func (s *suggester) event(e alert.Evidence) (*event.Event, error) {
	k := evKey{e.File, e.Offset}
	if ev, ok := s.events[k]; ok {
		return ev, nil
	}
	var found *event.Event
	err := s.m.st.Events(s.ctx, e.Time, e.Time.Add(time.Nanosecond), func(st store.Stored) error {
		if st.Event.Ref.File == e.File && st.Event.Ref.Offset == e.Offset {
			ev := st.Event
			found = &ev
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.events[k] = found
	return found, nil
}

func (s *suggester) when(t time.Time) string {
	return t.In(s.m.opts.Location).Format("2006-01-02 15:04:05 MST")
}

// name is an endpoint or peer as people know it: "pc-011 (10.0.10.31)".
func (s *suggester) name(id, host string) string {
	if id == "" {
		return host
	}
	if host == "" {
		if a, err := netip.ParseAddr(id); err == nil {
			if as, ok := s.m.opts.Inventory.Lookup(a); ok && as.Prefix.IsSingleIP() {
				host = as.Host
			}
		}
	}
	if host == "" || host == id {
		return sanitize.Line(id)
	}
	return sanitize.Line(host + " (" + id + ")")
}

func (s *suggester) internal(id string) bool {
	a, err := netip.ParseAddr(id)
	return err == nil && s.m.opts.Networks.Contains(a)
}

// target is one internal machine an alert's endpoint reached, with the
// alert's evidence about it.
type target struct {
	addr     string
	first    time.Time
	evidence *alert.Evidence // the first about it
	events   []*event.Event  // the evidence events about it
}

// targets are the internal machines other than its endpoint that an alert
// is about: the peers of its evidence events (an alert that groups one
// source's actions on several machines, such as M-PSEXEC, names each),
// else its peer; in the order first reached.
func (s *suggester) targets(a *alert.Alert) ([]target, error) {
	var out []target
	at := map[string]int{}
	add := func(addr string, e *alert.Evidence, ev *event.Event) {
		if addr == "" || addr == a.Endpoint || !s.internal(addr) {
			return
		}
		i, ok := at[addr]
		if !ok {
			i = len(out)
			at[addr] = i
			out = append(out, target{addr: addr, first: a.FirstSeen, evidence: e})
		}
		t := &out[i]
		if e != nil && (t.evidence == nil || e.Time.Before(t.evidence.Time)) {
			t.evidence, t.first = e, e.Time
		}
		if ev != nil {
			t.events = append(t.events, ev)
		}
	}
	for i := range a.Evidence {
		e := &a.Evidence[i]
		ev, err := s.event(*e)
		if err != nil {
			return nil, err
		}
		// Only what the endpoint itself did: a composite alert's evidence
		// holds other endpoints' events too.
		if ev != nil && ev.DstIP.IsValid() && ev.SrcIP.String() == a.Endpoint {
			add(ev.DstIP.String(), e, ev)
		}
	}
	add(a.Peer, firstEvidence(a), nil)
	slices.SortStableFunc(out, func(x, y target) int { return x.first.Compare(y.first) })
	return out, nil
}

func firstEvidence(a *alert.Alert) *alert.Evidence {
	var first *alert.Evidence
	for i := range a.Evidence {
		if e := &a.Evidence[i]; first == nil || e.Time.Before(first.Time) {
			first = e
		}
	}
	return first
}

func (s *suggester) intrusion() ([]Suggestion, error) {
	var out []Suggestion
	var used []evKey
	for _, phase := range []int{2, 3} {
		// The earliest alert of the phase whose first line is not already
		// suggested (a download can be both the delivery and its rule's
		// phase-3 alert).
		var first *alert.Alert
		for i := range s.alerts {
			a := &s.alerts[i]
			if a.Phase != phase || (first != nil && !a.FirstSeen.Before(first.FirstSeen)) {
				continue
			}
			if e := firstEvidence(a); e != nil && slices.Contains(used, evKey{e.File, e.Offset}) {
				continue
			}
			first = a
		}
		if first == nil {
			continue
		}
		sg := Suggestion{Finding: catalog.FindingIntrusionRoute, Time: first.FirstSeen, Endpoint: first.Endpoint, Peer: first.Peer, Rule: first.Rule, Alert: first.ID}
		what := "delivery"
		if phase == 3 {
			what = "foothold"
		}
		detail := sanitize.Line(first.Summary)
		if e := firstEvidence(first); e != nil {
			used = append(used, evKey{e.File, e.Offset})
			sg.Time, sg.Evidence = e.Time, e
			d, err := s.describeFetch(first, e)
			if err != nil {
				return nil, err
			}
			if d != "" {
				detail = d
			}
		}
		sg.Text = fmt.Sprintf("%s: %s on %s: %s (%s: %s)", what, s.when(sg.Time), s.name(first.Endpoint, first.Host), detail, first.Rule, sanitize.Line(first.Title))
		out = append(out, sg)
	}
	return out, nil
}

// describeFetch says what an alert's first event fetched or looked up:
// URL or domain, file name and hash. The same fetch is often logged by
// several sources a moment apart (the sensor's file record, the proxy's
// request): the alert's evidence within a minute of the first line fill
// in what the first one lacks.
func (s *suggester) describeFetch(a *alert.Alert, first *alert.Evidence) (string, error) {
	var target, file, hash, conn string
	for _, e := range a.Evidence {
		if e.Time.Sub(first.Time) > time.Minute || e.Time.Before(first.Time) {
			continue
		}
		ev, err := s.event(e)
		if err != nil {
			return "", err
		}
		if ev == nil {
			continue
		}
		switch {
		case target != "":
		case ev.URL != "":
			target = strings.TrimSpace(ev.Method + " " + ev.URL)
		case ev.Domain != "":
			target = strings.TrimSpace(ev.Method + " " + ev.Domain)
		case ev.Query != "":
			target = "lookup of " + ev.Query
		}
		if conn == "" && ev.DstIP.IsValid() {
			conn = fmt.Sprintf("%s connection to %s:%d", cmp.Or(ev.Transport, "a"), ev.DstIP, ev.DstPort)
		}
		file, hash = cmp.Or(file, ev.FileName), cmp.Or(hash, ev.FileHash)
	}
	var parts []string
	if t := cmp.Or(target, conn); t != "" {
		parts = append(parts, t)
	}
	if file != "" {
		parts = append(parts, "file "+file)
	}
	if hash != "" {
		parts = append(parts, "hash "+hash)
	}
	if len(parts) == 0 {
		return clip(sanitize.Line(first.Raw), 200), nil
	}
	return clip(sanitize.Line(strings.Join(parts, ", ")), 300), nil
}

// spread suggests the internal pairs of the incident's spreading alerts
// (phase 4, and phase 6 which includes spreading to other systems): A → B
// with the rules and the first time. One rule reaching many machines at
// once from one endpoint (a scan, a sweep of servers) is one line.
func (s *suggester) spread() ([]Suggestion, error) {
	type pair struct{ a, b string }
	idx := map[pair]int{}
	var pairs []Suggestion
	var rules [][]string
	for i := range s.alerts {
		a := &s.alerts[i]
		if a.Phase != 4 && a.Phase != 6 {
			continue
		}
		targets, err := s.targets(a)
		if err != nil {
			return nil, err
		}
		for _, t := range targets {
			p := pair{a.Endpoint, t.addr}
			if j, ok := idx[p]; ok {
				rules[j] = appendNew(rules[j], a.Rule)
				continue
			}
			idx[p] = len(pairs)
			rules = append(rules, []string{a.Rule})
			pairs = append(pairs, Suggestion{
				Finding: catalog.FindingSpread, Time: t.first, Endpoint: a.Endpoint, Peer: t.addr, Rule: a.Rule, Alert: a.ID,
				Evidence: t.evidence, Text: s.name(a.Endpoint, a.Host) + " → ",
			})
		}
	}
	const maxPeers = 5
	var out []Suggestion
	for i := 0; i < len(pairs); {
		// Pairs from one endpoint with the same rules in the same minute.
		j := i + 1
		for j < len(pairs) && pairs[j].Endpoint == pairs[i].Endpoint && slices.Equal(rules[j], rules[i]) &&
			pairs[j].Time.Sub(pairs[i].Time) < time.Minute {
			j++
		}
		var peers []string
		for k := i; k < j && k < i+maxPeers; k++ {
			peers = append(peers, s.name(pairs[k].Peer, ""))
		}
		if j-i > maxPeers {
			peers = append(peers, fmt.Sprintf("%d more", j-i-maxPeers))
		}
		sg := pairs[i]
		title := ""
		if ms, ok := s.m.cat.Rule(sg.Rule); ok {
			title = ": " + ms.Title.EN
		}
		sg.Text = fmt.Sprintf("%s %s%s%s (%s)", s.when(sg.Time), sg.Text, strings.Join(peers, ", "), title, strings.Join(rules[i], ", "))
		out = append(out, sg)
		i = j
	}
	return out, nil
}

// transfer is one outbound flow of an endpoint.
type transfer struct {
	ev   event.Event
	sent int64
	to   string // destination: a domain when known, else the peer address
	via  string // the internal machine it went through (a proxy), if any
}

func (t *transfer) dest() string {
	if t.via == "" {
		return t.to
	}
	return t.to + " via " + t.via
}

func (s *suggester) exfiltration() ([]Suggestion, error) {
	type dest struct{ ep, to string }
	idx := map[dest]int{}
	var out []Suggestion
	var rules [][]string
	for i := range s.alerts {
		a := &s.alerts[i]
		volume := a.Rule == ruleBytesOut || a.Rule == ruleUploadType
		if !volume && (a.Phase != 6 || a.Perspective == alert.Composite || a.Peer == "" || s.internal(a.Peer)) {
			continue // an alert that says nothing about where data went
		}
		to := a.Peer
		if d := a.Details["domain"]; d != "" {
			to = d
			if a.Peer != "" && a.Peer != d {
				to += " (" + a.Peer + ")"
			}
		}
		k := dest{a.Endpoint, to}
		if j, ok := idx[k]; ok {
			rules[j] = appendNew(rules[j], a.Rule)
			continue
		}
		idx[k] = len(out)
		rules = append(rules, []string{a.Rule})
		out = append(out, Suggestion{
			Finding: catalog.FindingExfiltration, Time: a.FirstSeen, Endpoint: a.Endpoint, Peer: a.Peer, Rule: a.Rule, Alert: a.ID,
			Evidence: firstEvidence(a),
			Text: fmt.Sprintf("%s %s → %s: %s", s.when(a.FirstSeen), s.name(a.Endpoint, a.Host), sanitize.Line(cmp.Or(to, "?")),
				sanitize.Line(a.Summary)),
		})
	}
	for i := range out {
		out[i].Text += " (" + strings.Join(rules[i], ", ") + ")"
	}
	ts, err := s.transfers()
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		ep := t.ev.EndpointID()
		raw := t.ev.Raw
		out = append(out, Suggestion{
			Finding: catalog.FindingExfiltration, Time: t.ev.Time, Endpoint: ep, Peer: t.to, Bytes: t.sent,
			Evidence: &alert.Evidence{Time: t.ev.Time, File: t.ev.Ref.File, Offset: t.ev.Ref.Offset, Line: t.ev.Ref.Line, Raw: raw},
			Text: fmt.Sprintf("%s %s sent %s to %s (%s, %s)", s.when(t.ev.Time), s.name(ep, t.ev.Host), human.Traffic(t.sent),
				sanitize.Line(t.dest()), t.ev.Format, transferVia(&t.ev)),
		})
	}
	return out, nil
}

func transferVia(ev *event.Event) string {
	if ev.DstIP.IsValid() {
		return fmt.Sprintf("%s %s:%d", cmp.Or(ev.Transport, "flow"), ev.DstIP, ev.DstPort)
	}
	return cmp.Or(ev.Service, ev.Kind.String())
}

// window is the period the suggestions look at: the alerts' span widened
// by SuggestWindow, or the last SuggestWindow of an endpoint's events when
// there are no alerts.
func (s *suggester) window() (from, to time.Time, err error) {
	for i := range s.alerts {
		a := &s.alerts[i]
		if from.IsZero() || a.FirstSeen.Before(from) {
			from = a.FirstSeen
		}
		if a.LastSeen.After(to) {
			to = a.LastSeen
		}
	}
	w := s.m.opts.SuggestWindow
	if !from.IsZero() {
		return from.Add(-w), to.Add(w), nil
	}
	for _, ep := range s.inc.Endpoints {
		p, err := s.m.st.Timeline(s.ctx, store.ParseEndpoint(ep), store.Query{Reverse: true, Limit: 1})
		if err != nil {
			return from, to, err
		}
		if len(p.Items) > 0 && p.Items[0].Key.Time.After(to) {
			to = p.Items[0].Key.Time
		}
	}
	if to.IsZero() {
		return from, to, nil
	}
	return to.Add(-w), to.Add(time.Nanosecond), nil
}

// transfers finds the largest flows the incident's endpoints sent out in
// the window. A flow to an internal address counts only when it carried a
// web request to an outside name (a proxy's client side), found on the
// same connection's application events.
func (s *suggester) transfers() ([]transfer, error) {
	from, to, err := s.window()
	if err != nil || to.IsZero() {
		return nil, err
	}
	var flows []transfer
	type conn struct {
		src, dst         netip.Addr
		srcPort, dstPort uint16
	}
	named := map[conn]string{} // connection to the outside name it carried
	for _, epID := range s.inc.Endpoints {
		ep := store.ParseEndpoint(epID)
		q := store.Query{From: from, To: to, Limit: 1000}
		for {
			p, err := s.m.st.Timeline(s.ctx, ep, q)
			if err != nil {
				return nil, err
			}
			for _, it := range p.Items {
				ev := &it.Event
				if ev.Domain != "" && ev.SrcPort != 0 && ev.SrcIP.IsValid() {
					named[conn{ev.SrcIP, ev.DstIP, ev.SrcPort, ev.DstPort}] = ev.Domain
				}
				sent := sentBy(ev, ep)
				if sent < s.m.opts.MinTransfer {
					continue
				}
				flows = append(flows, transfer{ev: *ev, sent: sent})
			}
			if !p.More || len(p.Items) == 0 {
				break
			}
			last := p.Items[len(p.Items)-1].Key
			q.After = &last
		}
	}
	var out []transfer
	for _, t := range flows {
		ev := &t.ev
		peer := ev.Peer()
		t.to = ev.Domain
		if t.to == "" {
			t.to = named[conn{ev.SrcIP, ev.DstIP, ev.SrcPort, ev.DstPort}]
		}
		if t.to != "" && peer.IsValid() && s.m.opts.Networks.Contains(peer) {
			t.via = s.name(peer.String(), "")
		}
		switch {
		case t.to != "":
		case peer.IsValid() && !s.m.opts.Networks.Contains(peer):
			t.to = peer.String()
		default:
			continue // internal traffic: not a way out
		}
		out = append(out, t)
	}
	// One transfer is often logged twice (the sensor and the proxy): keep
	// the largest per destination and minute.
	slices.SortStableFunc(out, func(a, b transfer) int { return cmp.Compare(b.sent, a.sent) })
	type slot struct {
		to  string
		min int64
	}
	seen := map[slot]bool{}
	kept := out[:0]
	for _, t := range out {
		k := slot{t.to, t.ev.Time.Unix() / 60}
		if seen[k] {
			continue
		}
		seen[k] = true
		kept = append(kept, t)
		if len(kept) == maxTransfers {
			break
		}
	}
	slices.SortStableFunc(kept, func(a, b transfer) int { return a.ev.Time.Compare(b.ev.Time) })
	return kept, nil
}

// sentBy returns the bytes the endpoint sent in ev (BytesOut counts what
// the source sent).
func sentBy(ev *event.Event, ep store.Endpoint) int64 {
	switch {
	case ep.Addr.IsValid() && ev.SrcIP.Unmap() == ep.Addr:
		return ev.BytesOut
	case ep.Addr.IsValid() && ev.DstIP.Unmap() == ep.Addr:
		return ev.BytesIn
	case ev.Endpoint.IsValid() && ev.Endpoint == ev.SrcIP:
		return ev.BytesOut
	}
	return 0
}

func (s *suggester) recovery() ([]Suggestion, error) {
	var out []Suggestion
	// The machines to clean: the incident's endpoints and the internal
	// machines the attack reached.
	var hosts []string
	for _, ep := range s.inc.Endpoints {
		hosts = appendNew(hosts, ep)
	}
	for i := range s.alerts {
		if a := &s.alerts[i]; a.Peer != "" && s.internal(a.Peer) && a.Peer != a.Endpoint {
			hosts = appendNew(hosts, a.Peer)
		}
	}
	if len(hosts) > 0 {
		names := make([]string, len(hosts))
		for i, h := range hosts {
			names[i] = s.name(h, s.hostOf(h))
		}
		out = append(out, Suggestion{Finding: catalog.FindingRecovery, Text: "affected endpoints: " + strings.Join(names, ", ")})
	}
	// Services created by remote execution: persistence to remove.
	for i := range s.alerts {
		a := &s.alerts[i]
		if a.Rule != rulePsExec {
			continue
		}
		targets, err := s.targets(a)
		if err != nil {
			return nil, err
		}
		// One alert names every machine one source ran code on: each
		// has its own service (and files) to remove.
		for _, t := range targets {
			var files []string
			if svc := a.Details["service"]; svc != "" && len(targets) == 1 {
				files = append(files, "service "+svc)
			}
			for _, ev := range t.events {
				if ev.FileName != "" {
					files = appendNew(files, "file "+ev.FileName)
				}
			}
			what := ""
			if len(files) > 0 {
				what = ": " + sanitize.Line(strings.Join(files, ", "))
			}
			out = append(out, Suggestion{
				Finding: catalog.FindingRecovery, Time: t.first, Endpoint: a.Endpoint, Peer: t.addr, Rule: a.Rule, Alert: a.ID,
				Evidence: t.evidence,
				Text: fmt.Sprintf("%s service created on %s from %s%s (%s)", s.when(t.first), s.name(t.addr, ""),
					s.name(a.Endpoint, a.Host), what, a.Rule),
			})
		}
	}
	// Accounts seen in the evidence: passwords to change, sessions to end.
	seen := map[string]bool{}
	var accts []Suggestion
	for i := range s.alerts {
		a := &s.alerts[i]
		if u := a.Details["user"]; u != "" && !seen[u] {
			seen[u] = true
			accts = append(accts, Suggestion{Finding: catalog.FindingRecovery, Time: a.FirstSeen, Endpoint: a.Endpoint, Rule: a.Rule, Alert: a.ID,
				Text: fmt.Sprintf("%s account %s involved in %s on %s", s.when(a.FirstSeen), sanitize.Line(u), a.Rule, s.name(a.Endpoint, a.Host))})
		}
		for j := range a.Evidence {
			e := a.Evidence[j]
			ev, err := s.event(e)
			if err != nil {
				return nil, err
			}
			if ev == nil || ev.User == "" || ev.User == "-" || seen[ev.User] {
				continue
			}
			seen[ev.User] = true
			how := ev.Format
			if o := ev.Outcome.String(); o != "" {
				how += " " + o
			}
			src, dst := "", ""
			if ev.SrcIP.IsValid() {
				src = " from " + s.name(ev.SrcIP.String(), "")
			}
			if ev.DstIP.IsValid() {
				dst = " to " + s.name(ev.DstIP.String(), "")
			}
			accts = append(accts, Suggestion{Finding: catalog.FindingRecovery, Time: e.Time, Endpoint: a.Endpoint, Rule: a.Rule, Alert: a.ID, Evidence: &e,
				Text: fmt.Sprintf("%s account %s used%s%s (%s; %s)", s.when(e.Time), sanitize.Line(ev.User), src, dst, how, a.Rule)})
		}
	}
	slices.SortStableFunc(accts, func(a, b Suggestion) int { return a.Time.Compare(b.Time) })
	return append(out, accts...), nil
}

// hostOf returns the host name an alert gives for an endpoint id.
func (s *suggester) hostOf(id string) string {
	for i := range s.alerts {
		if a := &s.alerts[i]; a.Endpoint == id && a.Host != "" {
			return a.Host
		}
	}
	return ""
}
