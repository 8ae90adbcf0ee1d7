package incidentview

import (
	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/i18n"
)

// KeyMap is the incident view's keys.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	NextSection, PrevSection                key.Binding
	Open, Back, Reload                      key.Binding
	// Checklist.
	Done, Skip, SetPhase, AutoPhase, InOut key.Binding
	// Findings.
	Edit, Accept, AcceptAll, Save, Cancel key.Binding
	// Actions.
	Undo key.Binding
	// The incident.
	Contain, CloseReopen, Report, Evidence key.Binding
}

// DefaultKeyMap returns the view's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:          key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:        key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		PageUp:      key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:    key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
		Top:         key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:      key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		NextSection: key.NewBinding(key.WithKeys("l", "right", "]"), key.WithHelp("←→", "section")),
		PrevSection: key.NewBinding(key.WithKeys("h", "left", "["), key.WithHelp("h/l", "section")),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "open")),
		Back:        key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Reload:      key.NewBinding(key.WithKeys("r", "ctrl+r"), key.WithHelp("r", "reload")),
		Done:        key.NewBinding(key.WithKeys("x", "space"), key.WithHelp("x", "done/undone")),
		Skip:        key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "skip/unskip")),
		SetPhase:    key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "set current phase")),
		AutoPhase:   key.NewBinding(key.WithKeys("P"), key.WithHelp("P", "automatic phase")),
		InOut:       key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "inputs → outputs")),
		Edit:        key.NewBinding(key.WithKeys("e", "enter"), key.WithHelp("e", "edit")),
		Accept:      key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "accept")),
		AcceptAll:   key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "accept all")),
		Save:        key.NewBinding(key.WithKeys("ctrl+s"), key.WithHelp("ctrl+s", "save")),
		Cancel:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Undo:        key.NewBinding(key.WithKeys("u"), key.WithHelp("u", "undo…")),
		Contain:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "contain…")),
		CloseReopen: key.NewBinding(key.WithKeys("C"), key.WithHelp("C", "close/reopen…")),
		Report:      key.NewBinding(key.WithKeys("R"), key.WithHelp("R", "report…")),
		Evidence:    key.NewBinding(key.WithKeys("E"), key.WithHelp("E", "evidence…")),
	}
}

// keyMap returns the keys in lang with those that change something
// disabled when readonly.
func keyMap(lang i18n.Lang, readonly bool) KeyMap {
	k := DefaultKeyMap()
	lang.Keys(&k)
	for _, b := range []*key.Binding{&k.Done, &k.Skip, &k.SetPhase, &k.AutoPhase, &k.Edit, &k.Accept, &k.AcceptAll, &k.Save, &k.Undo, &k.CloseReopen} {
		b.SetEnabled(!readonly)
	}
	return k
}

// sectionKeys are the keys of one section, as help.KeyMap.
type sectionKeys struct {
	k       KeyMap
	section section
	editing bool
}

// ShortHelp implements help.KeyMap.
func (s sectionKeys) ShortHelp() []key.Binding {
	k := s.k
	if s.editing {
		return []key.Binding{k.Save, k.Cancel}
	}
	var out []key.Binding
	switch s.section {
	case checklist:
		out = []key.Binding{k.Open, k.Done, k.Skip, k.SetPhase}
	case findings:
		out = []key.Binding{k.Edit, k.Accept}
	case alerts:
		out = []key.Binding{k.Open}
	case actions:
		out = []key.Binding{k.Open, k.Undo}
	}
	return append(out, k.NextSection, k.Contain, k.Back)
}

// FullHelp implements help.KeyMap.
func (s sectionKeys) FullHelp() [][]key.Binding {
	k := s.k
	if s.editing {
		return [][]key.Binding{{k.Save, k.Cancel}}
	}
	return [][]key.Binding{
		{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom, k.NextSection, k.Reload},
		{k.Open, k.Done, k.Skip, k.SetPhase, k.AutoPhase, k.InOut, k.Edit, k.Accept, k.AcceptAll},
		{k.Undo, k.Contain, k.CloseReopen, k.Report, k.Evidence, k.Back},
	}
}
