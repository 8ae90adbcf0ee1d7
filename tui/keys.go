package tui

import (
	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/i18n"
)

// KeyMap is the keys that work in every pane.
type KeyMap struct {
	Next, Prev                                      key.Binding
	Alerts, Endpoints, Timeline, Sources, Incidents key.Binding
	Help, Command, Back, Quit                       key.Binding
}

// DefaultKeyMap returns the global keys (k9s habits: ':' commands, '?'
// help, numbers for panes).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Next:      key.NewBinding(key.WithKeys("tab"), key.WithHelp("tab", "next pane")),
		Prev:      key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "previous pane")),
		Alerts:    key.NewBinding(key.WithKeys("1"), key.WithHelp("1", "alerts")),
		Endpoints: key.NewBinding(key.WithKeys("2"), key.WithHelp("2", "endpoints")),
		Timeline:  key.NewBinding(key.WithKeys("3"), key.WithHelp("3", "timeline")),
		Sources:   key.NewBinding(key.WithKeys("4"), key.WithHelp("4", "sources")),
		Incidents: key.NewBinding(key.WithKeys("5"), key.WithHelp("5", "incidents")),
		Help:      key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "help")),
		Command:   key.NewBinding(key.WithKeys(":"), key.WithHelp(":", "command")),
		Back:      key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:      key.NewBinding(key.WithKeys("q", "ctrl+c"), key.WithHelp("q", "quit")),
	}
}

// In returns the key map with its help texts in l (the texts of
// DefaultKeyMap are the keys of the translations, prefixed "key:").
func (k KeyMap) In(l i18n.Lang) KeyMap {
	for _, b := range []*key.Binding{&k.Next, &k.Prev, &k.Alerts, &k.Endpoints, &k.Timeline, &k.Sources, &k.Incidents, &k.Help, &k.Command, &k.Back, &k.Quit} {
		h := b.Help()
		b.SetHelp(h.Key, l.T("key:"+h.Desc))
	}
	return k
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding { return []key.Binding{k.Help, k.Quit} }

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		{k.Alerts, k.Endpoints, k.Timeline, k.Sources, k.Incidents},
		{k.Next, k.Prev, k.Back, k.Command, k.Help, k.Quit},
	}
}
