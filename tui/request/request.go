// Package request holds the messages panes send to the root model to ask
// for what the root owns: focus, the status line, the prompt and the
// dialogs. A pane asks instead of switching itself.
package request

import (
	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/alert"
)

// Pane identifies a pane.
type Pane int

// The panes, in tab order.
const (
	Alerts Pane = iota
	Endpoints
	Timeline
	Sources
	Incidents
)

// OpenTimelineMsg asks for an endpoint's timeline.
type OpenTimelineMsg struct {
	Endpoint string
	// At, when set, positions the timeline at this alert's time.
	AlertID string
}

// OpenAlertMsg asks for an alert's detail.
type OpenAlertMsg struct{ ID string }

// FocusMsg asks to show a pane.
type FocusMsg struct{ Pane Pane }

// NotifyMsg shows a short message in the status line.
type NotifyMsg struct {
	Text  string
	Error bool
}

// Notify returns a command that shows text in the status line.
func Notify(text string, isErr bool) tea.Cmd {
	return func() tea.Msg { return NotifyMsg{Text: text, Error: isErr} }
}

// AlertsChangedMsg says the sender changed alerts in a way the panes
// cannot see by themselves (an acknowledgement, an allow-list entry): the
// root shows Notice and reloads the alerts. A NotifyMsg only notifies.
type AlertsChangedMsg struct{ Notice string }

// AllowMsg asks for the allow-list dialog: the form of a new entry
// hiding alerts like Alert, or with none the list of entries.
type AllowMsg struct{ Alert *alert.Alert }

// PromptMsg asks the root to read a line from the user and deliver it to
// Done.
type PromptMsg struct {
	Prompt string
	Value  string
	Done   func(value string) tea.Cmd
}

// OpenIncidentMsg asks for an incident's view.
type OpenIncidentMsg struct{ ID string }

// NewIncidentMsg asks to open an incident on alerts or endpoints (ids as
// the alerts and the endpoints pane know them). When an alert already
// belongs to an open incident, that incident is shown instead.
type NewIncidentMsg struct {
	Alerts    []string
	Endpoints []string
}

// ContainMsg asks for the containment picker over a selection: alert
// ids, endpoints, and the incident the measure is for ("" when the root
// is to find the incident the alerts belong to).
type ContainMsg struct {
	Incident  string
	Alerts    []string
	Endpoints []string
}

// UndoMsg asks for the plan that undoes an earlier containment run, in
// the picker's plan view.
type UndoMsg struct {
	Incident string
	RunID    string
}

// IncidentChangedMsg says an incident changed (opened, marked, a measure
// run for it): the panes that show it reload.
type IncidentChangedMsg struct{ ID string }
