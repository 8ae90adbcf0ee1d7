package allowlist

import (
	"charm.land/bubbles/v2/key"

	"github.com/mamori-soc/mamori/tui/i18n"
)

// KeyMap is the dialog's keys.
type KeyMap struct {
	// Adding an entry: the field above or below, a shorter or longer
	// expiry (on the expiry field), the next field or save, cancel.
	PrevField, NextField, Shorter, Longer, Next, Cancel key.Binding
	// The list of entries.
	Up, Down, Remove, Close key.Binding
	// Removing one.
	ConfirmRemove, Keep key.Binding
}

// DefaultKeyMap returns the dialog's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		PrevField:     key.NewBinding(key.WithKeys("up", "shift+tab"), key.WithHelp("↑↓", "field")),
		NextField:     key.NewBinding(key.WithKeys("down", "tab"), key.WithHelp("↓", "field")),
		Shorter:       key.NewBinding(key.WithKeys("left"), key.WithHelp("←→", "expiry")),
		Longer:        key.NewBinding(key.WithKeys("right"), key.WithHelp("→", "expiry")),
		Next:          key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next / allow-list")),
		Cancel:        key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Up:            key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:          key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Remove:        key.NewBinding(key.WithKeys("d", "delete"), key.WithHelp("d", "remove…")),
		Close:         key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "close")),
		ConfirmRemove: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "remove")),
		Keep:          key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "keep it")),
	}
}

// keyMap returns the keys in lang, Remove off in read-only mode.
func keyMap(lang i18n.Lang, readonly bool) KeyMap {
	k := DefaultKeyMap()
	lang.Keys(&k)
	k.Remove.SetEnabled(!readonly)
	return k
}

// helpKeys are the keys of the step the dialog is at.
type helpKeys struct {
	k    KeyMap
	step step
}

// ShortHelp implements help.KeyMap.
func (h helpKeys) ShortHelp() []key.Binding {
	switch h.step {
	case adding:
		// ↑↓ and ←→ are one entry each: the first of the pair says both.
		return []key.Binding{h.k.Next, h.k.PrevField, h.k.Shorter, h.k.Cancel}
	case removing:
		return []key.Binding{h.k.ConfirmRemove, h.k.Keep}
	}
	return []key.Binding{h.k.Up, h.k.Down, h.k.Remove, h.k.Close}
}

// FullHelp implements help.KeyMap.
func (h helpKeys) FullHelp() [][]key.Binding { return [][]key.Binding{h.ShortHelp()} }
