package incident

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/mamori-soc/mamori/catalog"
	"github.com/mamori-soc/mamori/handling/audit"
)

// Checklist is an incident's handling checklist: the catalog's phases A–G
// with every role's actions and what was marked. It is a plain value for
// a console to render.
type Checklist struct {
	Phases []PhaseProgress
	// Current is the current phase: the one set by hand, else the first
	// phase not complete, else "" (every item is done or skipped).
	Current string
	// Explicit says the current phase was set by hand.
	Explicit bool
}

// Progress counts the items done or skipped, and all items.
func (c Checklist) Progress() (done, total int) {
	for _, p := range c.Phases {
		done += p.Done
		total += p.Total
	}
	return done, total
}

// PhaseProgress is one phase of the checklist.
type PhaseProgress struct {
	Phase catalog.HandlingPhase
	Roles []RoleItems
	// Done counts items done or skipped, Total all items.
	Done, Total int
}

// Complete reports whether every item of the phase is done or skipped.
func (p PhaseProgress) Complete() bool { return p.Done == p.Total }

// RoleItems are one role's items in one phase; NoPart says why a role
// has none.
type RoleItems struct {
	Role   catalog.Role
	NoPart catalog.Text
	Items  []Item
}

// Item is one checklist item and its state.
type Item struct {
	Action catalog.Action
	Check  Check
}

// Checklist builds the checklist view of inc. It reads nothing but the
// catalog.
func (m *Manager) Checklist(inc *Incident) Checklist {
	return BuildChecklist(m.cat, inc)
}

// BuildChecklist builds the checklist view of inc from the catalog.
func BuildChecklist(cat *catalog.Catalog, inc *Incident) Checklist {
	var cl Checklist
	for _, ph := range cat.HandlingPhases() {
		pp := PhaseProgress{Phase: ph}
		for _, role := range cat.Roles() {
			ri := RoleItems{Role: role}
			if part, ok := cat.Part(ph.ID, role.ID); ok {
				ri.NoPart = part.NoPart
				for _, a := range part.Actions {
					it := Item{Action: a, Check: inc.Checks[a.ID]}
					pp.Total++
					if it.Check.State == Done || it.Check.State == Skipped {
						pp.Done++
					}
					ri.Items = append(ri.Items, it)
				}
			}
			pp.Roles = append(pp.Roles, ri)
		}
		cl.Phases = append(cl.Phases, pp)
		if cl.Current == "" && !pp.Complete() {
			cl.Current = ph.ID
		}
	}
	if inc.Phase != "" {
		cl.Current, cl.Explicit = inc.Phase, true
	}
	return cl
}

// Mark is a change to one checklist item.
type Mark struct {
	Action string     // catalog action id: "C.it-admin.contain"
	State  CheckState // Done, Skipped, or Todo to open it again
	Note   string
	Who    string // "" means the audit log's user
}

// Check marks a checklist item of an open incident.
func (m *Manager) Check(ctx context.Context, id string, mk Mark) (Incident, error) {
	if _, ok := m.cat.Action(mk.Action); !ok {
		return Incident{}, fmt.Errorf("incident: no checklist item %q", mk.Action)
	}
	switch mk.State {
	case Done, Skipped, Todo:
	default:
		return Incident{}, fmt.Errorf("incident: unknown check state %q", mk.State)
	}
	note, err := cleanText("note", mk.Note, 2000)
	if err != nil {
		return Incident{}, err
	}
	return m.update(ctx, id, func(inc *Incident, now time.Time) (audit.Record, error) {
		if !inc.IsOpen() {
			return audit.Record{}, ErrClosed
		}
		prev := inc.Checks[mk.Action]
		if prev.State == mk.State && note == "" {
			return audit.Record{}, fmt.Errorf("%s is already %s", mk.Action, stateName(mk.State))
		}
		who := m.who(mk.Who)
		c := Check{State: mk.State, Who: who, When: now, Note: note}
		if note == "" && mk.State == Todo {
			c.Note = prev.Note
		}
		if inc.Checks == nil {
			inc.Checks = map[string]Check{}
		}
		inc.Checks[mk.Action] = c
		action := map[CheckState]string{Done: "checked", Skipped: "skipped", Todo: "unchecked"}[mk.State]
		return audit.Record{Kind: audit.KindChecklist, Action: action, Subject: mk.Action, Who: who, Note: note}, nil
	})
}

func stateName(s CheckState) string {
	if s == Todo {
		return "open"
	}
	return string(s)
}

// SetPhase sets the current handling phase by hand ("A" … "G"), or with
// "" lets the checklist decide again.
func (m *Manager) SetPhase(ctx context.Context, id, phase, who string) (Incident, error) {
	if phase != "" {
		if _, ok := m.cat.HandlingPhase(phase); !ok {
			return Incident{}, fmt.Errorf("incident: no handling phase %q (want A to G)", phase)
		}
	}
	return m.update(ctx, id, func(inc *Incident, _ time.Time) (audit.Record, error) {
		if inc.Phase == phase {
			return audit.Record{}, errors.New("the phase is already " + phaseName(phase))
		}
		from := inc.Phase
		inc.Phase = phase
		return audit.Record{Kind: audit.KindIncident, Action: "phase set", Who: m.who(who),
			Fields: map[string]string{"from": phaseName(from), "to": phaseName(phase)}}, nil
	})
}

func phaseName(p string) string {
	if p == "" {
		return "automatic"
	}
	return p
}

// SetFinding writes (or with empty text clears) what someone found for one
// of the four full-investigation findings.
func (m *Manager) SetFinding(ctx context.Context, id, finding, text, who string) (Incident, error) {
	if _, ok := m.cat.Finding(finding); !ok {
		return Incident{}, fmt.Errorf("incident: no finding %q", finding)
	}
	t, err := cleanText("finding", text, 20000)
	if err != nil {
		return Incident{}, err
	}
	return m.update(ctx, id, func(inc *Incident, now time.Time) (audit.Record, error) {
		if inc.Findings[finding].Text == t {
			return audit.Record{}, errors.New("the finding is unchanged")
		}
		who := m.who(who)
		if inc.Findings == nil {
			inc.Findings = map[string]Finding{}
		}
		action := "written"
		if t == "" {
			delete(inc.Findings, finding)
			action = "cleared"
		} else {
			inc.Findings[finding] = Finding{Text: t, Who: who, When: now}
		}
		return audit.Record{Kind: audit.KindFinding, Action: action, Subject: finding, Who: who, Note: t}, nil
	})
}
