package contain

import (
	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/list"
)

// KeyMap is the dialog's keys, for every step.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Pick, Filter, Back                      key.Binding
	PrevParam, NextParam                    key.Binding
	PrevValue, NextValue, TypeValue         key.Binding
	Run, DryRun, Export                     key.Binding
	Confirm, Cancel, Close                  key.Binding
}

// nav is the picker's moving keys.
func (k KeyMap) nav() list.NavKeys {
	return list.NavKeys{Up: k.Up, Down: k.Down, Top: k.Top, Bottom: k.Bottom, PageUp: k.PageUp, PageDown: k.PageDown}
}

// DefaultKeyMap returns the dialog's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:        key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:      key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		PageUp:    key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown:  key.NewBinding(key.WithKeys("pgdown", "ctrl+d", "space"), key.WithHelp("pgdn", "page down")),
		Top:       key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:    key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Pick:      key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "plan")),
		Filter:    key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		PrevParam: key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑↓", "parameter")),
		NextParam: key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "next parameter")),
		PrevValue: key.NewBinding(key.WithKeys("h", "left"), key.WithHelp("←→", "change")),
		NextValue: key.NewBinding(key.WithKeys("l", "right"), key.WithHelp("→/l", "next value")),
		TypeValue: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "type a value")),
		Run:       key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "run…")),
		DryRun:    key.NewBinding(key.WithKeys("d"), key.WithHelp("d", "dry run")),
		Export:    key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "export evidence")),
		Confirm:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "confirm")),
		Cancel:    key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Close:     key.NewBinding(key.WithKeys("esc", "enter", "q"), key.WithHelp("esc", "close")),
	}
}

// keyMap returns the keys in lang, with the changing ones disabled when
// readonly.
func keyMap(lang i18n.Lang, readonly bool) KeyMap {
	k := DefaultKeyMap()
	lang.Keys(&k)
	k.Run.SetEnabled(!readonly)
	k.Confirm.SetEnabled(!readonly)
	return k
}

// stepKeys are the keys of one step, as help.KeyMap.
type stepKeys struct {
	k    KeyMap
	step step
}

// ShortHelp implements help.KeyMap.
func (s stepKeys) ShortHelp() []key.Binding {
	k := s.k
	switch s.step {
	case picking:
		return []key.Binding{k.Pick, k.Filter, k.Back}
	case planning:
		return []key.Binding{k.Run, k.DryRun, k.PrevParam, k.PrevValue, k.Export, k.Back}
	case confirming:
		return []key.Binding{k.Confirm, k.Cancel}
	case running:
		return nil
	}
	return []key.Binding{k.Close, k.PageDown}
}

// FullHelp implements help.KeyMap.
func (s stepKeys) FullHelp() [][]key.Binding {
	k := s.k
	switch s.step {
	case picking:
		return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Pick, k.Filter, k.Back}}
	case planning:
		// PrevParam's and PrevValue's help names both their keys (↑↓, ←→).
		return [][]key.Binding{{k.PrevParam, k.PrevValue, k.TypeValue}, {k.Run, k.DryRun, k.Export, k.PageUp, k.PageDown, k.Back}}
	case confirming:
		return [][]key.Binding{{k.Confirm, k.Cancel}}
	case running:
		return nil
	}
	return [][]key.Binding{{k.PageUp, k.PageDown, k.Close}}
}
