package alerts

import (
	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/list"
)

// KeyMap is the alerts pane's keys.
type KeyMap struct {
	list.NavKeys
	Open, Timeline, Filter, ClearFilter   key.Binding
	Severity, Perspective, Phase, ShowAll key.Binding
	Ack, Allow                            key.Binding
	Incident, Contain                     key.Binding
}

// DefaultKeyMap returns the alerts pane's keys (vi and arrows, as k9s and
// lnav users expect).
func DefaultKeyMap() KeyMap {
	return KeyMap{
		NavKeys:     list.DefaultNavKeys(),
		Open:        key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "detail")),
		Timeline:    key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "timeline")),
		Filter:      key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		ClearFilter: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Severity:    key.NewBinding(key.WithKeys("s"), key.WithHelp("s", "min severity")),
		Perspective: key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "perspective")),
		Phase:       key.NewBinding(key.WithKeys("f"), key.WithHelp("f", "phase")),
		ShowAll:     key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "show acked/allow-listed")),
		Ack:         key.NewBinding(key.WithKeys("a"), key.WithHelp("a", "acknowledge")),
		Allow:       key.NewBinding(key.WithKeys("A"), key.WithHelp("A", "allow-list…")),
		Incident:    key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "incident")),
		Contain:     key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "contain…")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Open, k.Timeline, k.Incident, k.Contain, k.Filter, k.Severity, k.Ack}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{
		k.Bindings(),
		{k.Open, k.Timeline, k.Filter, k.ClearFilter},
		{k.Severity, k.Perspective, k.Phase, k.ShowAll},
		{k.Ack, k.Allow, k.Incident, k.Contain},
	}
}

// setKeys sets the keys in the pane's language, those that change
// something hidden when the store is read-only.
func (m *Model) setKeys() {
	m.keys = DefaultKeyMap()
	m.lang.Keys(&m.keys)
	m.keys.setReadOnly(m.be.ReadOnly())
}

// setReadOnly hides the keys that change something.
func (k *KeyMap) setReadOnly(ro bool) {
	k.Ack.SetEnabled(!ro)
	k.Allow.SetEnabled(!ro)
	k.Incident.SetEnabled(!ro)
}
