// Package list holds what the console's lists share: the keys that move a
// selection and the "/" filter line. Each pane keeps its own rows and its
// own idea of what a row is.
package list

import (
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
)

// NavKeys are the keys that move a selection (vi keys and arrows, as k9s
// and lnav users expect).
type NavKeys struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
}

// DefaultNavKeys returns the navigation keys.
func DefaultNavKeys() NavKeys {
	return NavKeys{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "ctrl+u"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "ctrl+d"), key.WithHelp("pgdn", "page down")),
	}
}

// Bindings returns the keys in help order.
func (k NavKeys) Bindings() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Top, k.Bottom, k.PageUp, k.PageDown}
}

// Delta returns how far msg moves a selection in a list of n rows of
// which shown are on screen, and whether msg is a navigation key at all. A
// page keeps one row of the one before in view.
func (k NavKeys) Delta(msg tea.KeyPressMsg, n, shown int) (int, bool) {
	page := max(1, shown-pageOverlap)
	switch {
	case key.Matches(msg, k.Up):
		return -1, true
	case key.Matches(msg, k.Down):
		return 1, true
	case key.Matches(msg, k.PageUp):
		return -page, true
	case key.Matches(msg, k.PageDown):
		return page, true
	case key.Matches(msg, k.Top):
		return -n, true
	case key.Matches(msg, k.Bottom):
		return n, true
	}
	return 0, false
}

// pageOverlap is the rows a page up or down keeps in view.
const pageOverlap = 1

// cursorWidth is the cell an input's cursor takes after its text.
const cursorWidth = 1

// minInput is the fewest cells an input's text gets, however narrow the
// line.
const minInput = 10

// FitInput sizes an input so that its line — the prompt, the text and
// the cursor after it — is w cells wide; the text scrolls within it.
func FitInput(ti *textinput.Model, w int) {
	ti.SetWidth(max(minInput, w-ansi.StringWidth(ti.Prompt)-cursorWidth))
}

// Filter is a list's "/" filter line.
type Filter struct {
	input  textinput.Model
	active bool
}

// NewFilter returns an empty filter.
func NewFilter() Filter {
	ti := textinput.New()
	ti.Prompt = "/"
	ti.CharLimit = 200
	st := ti.Styles()
	st.Cursor.Blink = false // a blinking cursor redraws twice a second over SSH
	ti.SetStyles(st)
	return Filter{input: ti}
}

// SetPlaceholder sets what the empty filter line shows while it is typed
// (the filter's language, for one that has one).
func (f *Filter) SetPlaceholder(s string) { f.input.Placeholder = s }

// Start begins typing the filter.
func (f *Filter) Start() tea.Cmd {
	f.active = true
	return f.input.Focus()
}

// Active reports whether the filter is being typed (the list then takes
// every key).
func (f Filter) Active() bool { return f.active }

// Value returns the filter text.
func (f Filter) Value() string { return f.input.Value() }

// Clear empties the filter.
func (f *Filter) Clear() { f.input.SetValue("") }

// SetWidth sets the filter line's width.
func (f *Filter) SetWidth(w int) { FitInput(&f.input, w) }

// View renders the filter line.
func (f Filter) View() string { return f.input.View() }

// Handle takes a key while the filter is typed: enter keeps the text and
// stops typing, esc clears it and stops, anything else edits it. It
// reports whether the text changed.
func (f *Filter) Handle(k tea.KeyPressMsg) (changed bool, cmd tea.Cmd) {
	switch k.String() {
	case "enter":
		f.active = false
		f.input.Blur()
		return false, nil
	case "esc":
		f.active = false
		f.input.Blur()
		had := f.input.Value() != ""
		f.input.SetValue("")
		return had, nil
	}
	before := f.input.Value()
	f.input, cmd = f.input.Update(k)
	return f.input.Value() != before, cmd
}
