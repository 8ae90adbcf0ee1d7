// Package report writes what leaves mamori about an incident: the
// incident report (Markdown for people, JSON for tools) for management or
// an external specialist, and the evidence bundle, a tar.gz of the
// original log lines behind the incident with a manifest of SHA-256 sums.
//
// Build gathers the report's data once (it reads the store and the audit
// log); Markdown and JSON only format it, so a console can build in a
// command and render wherever it likes.
package report

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/asset"
	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
	"github.com/mamori-soc/mamori/handling/containment"
	"github.com/mamori-soc/mamori/handling/incident"
	"github.com/mamori-soc/mamori/sanitize"
)

// Report is an incident report. The JSON field names are stable.
type Report struct {
	Incident    Header          `json:"incident"`
	Generated   time.Time       `json:"generated"`
	GeneratedBy string          `json:"generated_by"`
	Version     string          `json:"mamori_version"`
	TimeZone    string          `json:"time_zone"` // of the local times
	Summary     Summary         `json:"summary"`
	Timeline    []Entry         `json:"timeline"`
	Findings    []FindingReport `json:"findings"`
	Checklist   []PhaseReport   `json:"checklist"`
	Containment []ActionReport  `json:"containment"`
	Trail       []TrailEntry    `json:"audit_trail"`

	loc    *time.Location
	lang   string
	scales *catalog.Scales
}

// Header identifies the incident.
type Header struct {
	ID       string    `json:"id"`
	Title    string    `json:"title"`
	Status   string    `json:"status"`
	Opened   time.Time `json:"opened"`
	OpenedBy string    `json:"opened_by"`
	Closed   time.Time `json:"closed,omitzero"`
	ClosedBy string    `json:"closed_by,omitempty"`
}

// Summary is the incident at a glance.
type Summary struct {
	Endpoints       []Endpoint `json:"endpoints"`
	FirstSeen       time.Time  `json:"first_seen,omitzero"`
	LastSeen        time.Time  `json:"last_seen,omitzero"`
	HighestSeverity string     `json:"highest_severity,omitempty"`
	Alerts          int        `json:"alerts"`
	Phases          []Phase    `json:"phases_reached"`
	HandlingPhase   string     `json:"handling_phase"` // current phase A–G, "" when complete
}

// Endpoint is one of the incident's machines.
type Endpoint struct {
	ID        string    `json:"id"`
	Host      string    `json:"host,omitempty"`
	Segment   string    `json:"segment,omitempty"`
	Role      string    `json:"role,omitempty"`
	Owner     string    `json:"owner,omitempty"`
	Alerts    int       `json:"alerts"`
	FirstSeen time.Time `json:"first_seen,omitzero"`
	LastSeen  time.Time `json:"last_seen,omitzero"`
}

// Phase is an attack phase the alerts reached.
type Phase struct {
	Number int    `json:"number"`
	Name   string `json:"name"`
	Alerts int    `json:"alerts"`
}

// Entry is one line of the timeline: an alert, an original log line
// behind one, or something people did.
type Entry struct {
	Time     time.Time `json:"time"`
	Kind     string    `json:"kind"` // "alert", "event", "action"
	Endpoint string    `json:"endpoint,omitempty"`
	Severity string    `json:"severity,omitempty"`
	Rule     string    `json:"rule,omitempty"`
	Text     string    `json:"text"`
	File     string    `json:"file,omitempty"` // of an event: its log file
	// Offset and Line are where in File: its byte offset, and its line
	// number (0 when not known).
	Offset int64 `json:"offset,omitempty"`
	Line   int64 `json:"line,omitempty"`
}

// FindingReport is one of the four findings.
type FindingReport struct {
	ID          string    `json:"id"`
	Name        string    `json:"name"`
	Questions   []string  `json:"questions"`
	Text        string    `json:"text"` // what people wrote; "" when nothing yet
	WrittenBy   string    `json:"written_by,omitempty"`
	Written     time.Time `json:"written,omitzero"`
	Suggestions []string  `json:"suggestions"` // derived by mamori, not confirmed by anyone
}

// PhaseReport is one handling phase of the checklist.
type PhaseReport struct {
	ID      string       `json:"id"`
	Name    string       `json:"name"`
	Done    int          `json:"done"`
	Total   int          `json:"total"`
	Current bool         `json:"current"`
	Items   []ItemReport `json:"items"`
}

// ItemReport is one checklist item.
type ItemReport struct {
	ID    string    `json:"id"`
	Role  string    `json:"role"`
	Do    string    `json:"do"`
	State string    `json:"state"` // "done", "skipped", "open"
	Who   string    `json:"who,omitempty"`
	When  time.Time `json:"when,omitzero"`
	Note  string    `json:"note,omitempty"`
}

// ActionReport is one containment action with its ratings and outcome.
type ActionReport struct {
	RunID      string            `json:"run_id"`
	Measure    string            `json:"measure"`
	Title      string            `json:"title"`
	Params     map[string]string `json:"params"`
	Command    string            `json:"command,omitempty"` // as run, quoted for reading; "" when done by hand
	Manual     bool              `json:"manual"`
	Who        string            `json:"who"`
	Note       string            `json:"note,omitempty"`
	Started    time.Time         `json:"started"`
	Finished   time.Time         `json:"finished,omitzero"`
	Outcome    string            `json:"outcome"` // an audit outcome ("interrupted" among them), "unfinished" or "running"
	Exit       *int              `json:"exit,omitempty"`
	Output     string            `json:"output,omitempty"`
	Error      string            `json:"error,omitempty"`
	C          int               `json:"c"`
	I          int               `json:"i"`
	A          int               `json:"a"`
	Cost       int               `json:"cost"`
	Evidence   string            `json:"evidence"`
	Reversible string            `json:"reversible"`
	Rationale  string            `json:"rationale,omitempty"`
	UndoOf     string            `json:"undo_of,omitempty"`
	UndoneBy   string            `json:"undone_by,omitempty"`
}

// TrailEntry is one audit record of the incident.
type TrailEntry struct {
	Seq     uint64    `json:"seq"`
	Time    time.Time `json:"time"`
	Who     string    `json:"who"`
	Kind    string    `json:"kind"`
	Action  string    `json:"action"`
	Subject string    `json:"subject,omitempty"`
	Note    string    `json:"note,omitempty"`
}

// Options tune Build.
type Options struct {
	// Lang chooses the catalog texts: "ja…" for Japanese, else English.
	Lang string
	// Location is the zone of the local times; nil means the Manager's.
	Location *time.Location
	// Now is the time of the report; zero means time.Now().
	Now time.Time
	// Who is the person generating it; "" means the audit log's user.
	Who string
	// Version is mamori's version.
	Version string
	// Inventory names segments, roles and owners of endpoints; nil for none.
	Inventory *asset.Inventory
	// MaxOutput bounds the command output quoted per action; zero means 2000 bytes.
	MaxOutput int
}

// maxKeyEvents bounds the original lines quoted per alert in the timeline.
const maxKeyEvents = 2

// Build gathers the report of incident id.
func Build(ctx context.Context, im *incident.Manager, log *audit.Log, id string, opts Options) (*Report, error) {
	inc, err := im.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if opts.Location == nil {
		opts.Location = im.Location()
	}
	if opts.Now.IsZero() {
		opts.Now = time.Now()
	}
	if opts.Who == "" {
		opts.Who = log.User()
	}
	if opts.MaxOutput <= 0 {
		opts.MaxOutput = 2000
	}
	alerts, err := im.Alerts(ctx, &inc)
	if err != nil {
		return nil, err
	}
	sgs, err := im.Suggest(ctx, &inc)
	if err != nil {
		return nil, err
	}
	recs, err := log.Records(ctx, audit.Filter{Incident: id})
	if err != nil {
		return nil, err
	}
	cat := im.Catalog()
	r := &Report{
		Incident: Header{ID: inc.ID, Title: inc.Title, Status: string(inc.Status), Opened: inc.Opened, OpenedBy: inc.OpenedBy,
			Closed: inc.Closed, ClosedBy: inc.ClosedBy},
		Generated: opts.Now.UTC(), GeneratedBy: opts.Who, Version: opts.Version,
		TimeZone: opts.Now.In(opts.Location).Format("MST (-07:00)"),
		loc:      opts.Location, lang: opts.Lang, scales: im.Catalog().Scales(),
	}
	cl := im.Checklist(&inc)
	r.summary(cat, &inc, alerts, cl, opts.Inventory)
	r.timeline(alerts, recs, cat)
	r.findings(cat, &inc, sgs)
	r.checklist(cl)
	r.containment(cat, recs, opts.MaxOutput)
	for _, rec := range recs {
		r.Trail = append(r.Trail, TrailEntry{Seq: rec.Seq, Time: rec.Time, Who: rec.Who, Kind: string(rec.Kind), Action: rec.Action, Subject: rec.Subject, Note: rec.Note})
	}
	return r, nil
}

func (r *Report) text(t catalog.Text) string { return t.In(r.lang) }

func (r *Report) summary(cat *catalog.Catalog, inc *incident.Incident, alerts []alert.Alert, cl incident.Checklist, inv *asset.Inventory) {
	s := &r.Summary
	s.Alerts = len(alerts)
	s.HandlingPhase = cl.Current
	eps := map[string]*Endpoint{}
	for _, id := range inc.Endpoints {
		e := &Endpoint{ID: id}
		if a, err := netip.ParseAddr(id); err == nil {
			if as, ok := inv.Lookup(a); ok {
				e.Segment = as.Segment
				if as.Prefix.IsSingleIP() {
					e.Host, e.Role, e.Owner = as.Host, as.Role, as.Owner
				}
			}
		}
		eps[id] = e
		s.Endpoints = append(s.Endpoints, Endpoint{})
	}
	phases := map[int]int{}
	var top alert.Severity
	for i := range alerts {
		a := &alerts[i]
		if s.FirstSeen.IsZero() || a.FirstSeen.Before(s.FirstSeen) {
			s.FirstSeen = a.FirstSeen
		}
		if a.LastSeen.After(s.LastSeen) {
			s.LastSeen = a.LastSeen
		}
		if i == 0 || a.Severity > top {
			top = a.Severity
		}
		if a.Phase > 0 {
			phases[a.Phase]++
		}
		if e := eps[a.Endpoint]; e != nil {
			e.Alerts++
			if e.Host == "" {
				e.Host = a.Host
			}
			if e.FirstSeen.IsZero() || a.FirstSeen.Before(e.FirstSeen) {
				e.FirstSeen = a.FirstSeen
			}
			if a.LastSeen.After(e.LastSeen) {
				e.LastSeen = a.LastSeen
			}
		}
	}
	for i, id := range inc.Endpoints {
		s.Endpoints[i] = *eps[id]
	}
	if len(alerts) > 0 {
		s.HighestSeverity = top.String()
	}
	for _, n := range slices.Sorted(maps.Keys(phases)) {
		p := Phase{Number: n, Alerts: phases[n]}
		if ph, ok := cat.Phase(n); ok {
			p.Name = r.text(ph.Name)
		}
		s.Phases = append(s.Phases, p)
	}
}

func (r *Report) timeline(alerts []alert.Alert, recs []audit.Record, cat *catalog.Catalog) {
	seen := map[[2]any]bool{}
	for i := range alerts {
		a := &alerts[i]
		ep := a.Endpoint
		if a.Host != "" {
			ep = a.Host + " (" + a.Endpoint + ")"
		}
		text := a.Title
		if a.Summary != "" {
			text += ": " + a.Summary
		}
		if a.Peer != "" {
			text += " [peer " + a.Peer + "]"
		}
		r.Timeline = append(r.Timeline, Entry{Time: a.FirstSeen, Kind: "alert", Endpoint: sanitize.Line(ep), Severity: a.Severity.String(),
			Rule: a.Rule, Text: sanitize.Line(text)})
		evs := slices.Clone(a.Evidence)
		slices.SortStableFunc(evs, func(x, y alert.Evidence) int { return x.Time.Compare(y.Time) })
		for _, e := range evs[:min(len(evs), maxKeyEvents)] {
			k := [2]any{e.File, e.Offset}
			if seen[k] {
				continue
			}
			seen[k] = true
			r.Timeline = append(r.Timeline, Entry{Time: e.Time, Kind: "event", Endpoint: sanitize.Line(ep), Rule: a.Rule,
				Text: clip(sanitize.Line(e.Raw), 1000), File: sanitize.Line(e.File), Offset: e.Offset, Line: e.Line})
		}
	}
	for _, rec := range recs {
		var text string
		switch {
		case rec.Kind == audit.KindIncident && (rec.Action == "opened" || rec.Action == "closed" || rec.Action == "reopened"):
			text = "incident " + rec.Action
		case rec.Kind == audit.KindContainment && rec.Run != nil:
			title := rec.Run.Measure
			if ms, ok := cat.Measure(title); ok {
				title = r.text(ms.Title) + " (" + ms.ID + ")"
			}
			switch rec.Action {
			case audit.ActionStarted:
				text = "containment started: " + title
			case audit.ActionFinished:
				text = "containment " + string(rec.Run.Outcome) + ": " + title
			case audit.ActionManual:
				text = "containment done by hand: " + title
			case audit.ActionInterrupted:
				text = "containment interrupted (mamori stopped while it ran): " + title
			}
			if rec.Run.UndoOf != "" {
				text = strings.Replace(text, "containment", "undo", 1)
			}
		case rec.Kind == audit.KindExport:
			text = rec.Action
		default:
			continue
		}
		if rec.Who != "" {
			text += " — " + rec.Who
		}
		r.Timeline = append(r.Timeline, Entry{Time: rec.Time, Kind: "action", Text: sanitize.Line(text)})
	}
	slices.SortStableFunc(r.Timeline, func(a, b Entry) int { return a.Time.Compare(b.Time) })
}

func (r *Report) findings(cat *catalog.Catalog, inc *incident.Incident, sgs []incident.Suggestion) {
	for _, f := range cat.Findings() {
		fr := FindingReport{ID: f.ID, Name: r.text(f.Name), Suggestions: []string{}}
		for _, q := range f.Questions {
			fr.Questions = append(fr.Questions, r.text(q))
		}
		if w, ok := inc.Findings[f.ID]; ok {
			fr.Text, fr.WrittenBy, fr.Written = w.Text, w.Who, w.When
		}
		for _, s := range sgs {
			if s.Finding == f.ID {
				fr.Suggestions = append(fr.Suggestions, s.Text)
			}
		}
		r.Findings = append(r.Findings, fr)
	}
}

func (r *Report) checklist(cl incident.Checklist) {
	for _, ph := range cl.Phases {
		pr := PhaseReport{ID: ph.Phase.ID, Name: r.text(ph.Phase.Name), Done: ph.Done, Total: ph.Total, Current: ph.Phase.ID == cl.Current}
		for _, role := range ph.Roles {
			for _, it := range role.Items {
				st := string(it.Check.State)
				if st == "" {
					st = "open"
				}
				pr.Items = append(pr.Items, ItemReport{ID: it.Action.ID, Role: r.text(role.Role.Name), Do: r.text(it.Action.Do),
					State: st, Who: it.Check.Who, When: it.Check.When, Note: it.Check.Note})
			}
		}
		r.Checklist = append(r.Checklist, pr)
	}
}

func (r *Report) containment(cat *catalog.Catalog, recs []audit.Record, maxOut int) {
	for _, a := range containment.BuildHistory(cat, recs) {
		ar := ActionReport{
			RunID: a.RunID, Measure: a.Measure, Title: r.text(a.Title), Params: a.Params, Manual: a.Manual,
			Who: a.Who, Note: a.Note, Started: a.Started, Finished: a.Finished, Outcome: string(a.State), Exit: a.Exit,
			Error: a.Error, UndoOf: a.UndoOf, UndoneBy: a.UndoneBy,
		}
		if ar.Params == nil {
			ar.Params = map[string]string{}
		}
		if len(a.Argv) > 0 {
			ar.Command = containment.CommandLine(a.Argv)
		}
		out := strings.TrimSpace(a.Stdout)
		if e := strings.TrimSpace(a.Stderr); e != "" {
			out = strings.TrimSpace(out + "\n" + e)
		}
		if len(out) > maxOut {
			out = out[:maxOut] + "…"
		}
		ar.Output = out
		if rt := a.Ratings; rt != nil {
			ar.C, ar.I, ar.A, ar.Cost, ar.Evidence, ar.Reversible = rt.C, rt.I, rt.A, rt.Cost, rt.Evidence, rt.Reversible
		}
		if ms, ok := cat.Measure(a.Measure); ok {
			ar.Rationale = r.text(ms.Rationale)
			if ar.Title == "" {
				ar.Title = r.text(ms.Title)
			}
		}
		r.Containment = append(r.Containment, ar)
	}
}

// level names a rating on a scale: "medium (2)".
func (r *Report) level(scale []catalog.Level, n int) string {
	for _, l := range scale {
		if l.Level == n {
			return fmt.Sprintf("%s (%d)", r.text(l.Name), n)
		}
	}
	return fmt.Sprint(n)
}

// evidenceName names an evidence class.
func (r *Report) evidenceName(class string) string {
	for _, c := range r.scales.Evidence {
		if string(c.Class) == class {
			return r.text(c.Name)
		}
	}
	return class
}

// reversibleName names a reversibility value.
func (r *Report) reversibleName(v string) string {
	for _, c := range r.scales.Reversibility {
		if string(c.Value) == v {
			return r.text(c.Name)
		}
	}
	return v
}

// local formats t in the report's zone.
func (r *Report) local(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.In(r.loc).Format("2006-01-02 15:04:05")
}

func clip(s string, n int) string {
	rs := []rune(s)
	if len(rs) <= n {
		return s
	}
	return string(rs[:n-1]) + "…"
}

func or(s, def string) string { return cmp.Or(s, def) }
