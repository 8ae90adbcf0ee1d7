// Package alertview is one alert in full: what the rule looks for, why it
// fired (the explanation and the figures behind the score and severity),
// what to check first, the suggested containment measures, and the
// evidence as the original log lines.
package alertview

import (
	"fmt"
	"sort"
	"strings"

	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/viewport"
	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/backend"
	"github.com/mamori-soc/mamori/tui/i18n"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/style"
)

// KeyMap is the detail view's keys.
type KeyMap struct {
	Up, Down, PageUp, PageDown, Top, Bottom key.Binding
	Evidence, Back, Timeline                key.Binding
	Incident, Contain                       key.Binding
}

// DefaultKeyMap returns the detail view's keys.
func DefaultKeyMap() KeyMap {
	return KeyMap{
		Up:       key.NewBinding(key.WithKeys("k", "up"), key.WithHelp("↑/k", "scroll up")),
		Down:     key.NewBinding(key.WithKeys("j", "down"), key.WithHelp("↓/j", "scroll down")),
		PageUp:   key.NewBinding(key.WithKeys("pgup", "b"), key.WithHelp("pgup", "page up")),
		PageDown: key.NewBinding(key.WithKeys("pgdown", "space"), key.WithHelp("pgdn", "page down")),
		Top:      key.NewBinding(key.WithKeys("g", "home"), key.WithHelp("g", "top")),
		Bottom:   key.NewBinding(key.WithKeys("G", "end"), key.WithHelp("G", "bottom")),
		Evidence: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "evidence")),
		Back:     key.NewBinding(key.WithKeys("esc", "backspace"), key.WithHelp("esc", "back")),
		Timeline: key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "endpoint timeline")),
		Incident: key.NewBinding(key.WithKeys("i"), key.WithHelp("i", "incident")),
		Contain:  key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "contain…")),
	}
}

// ShortHelp implements help.KeyMap.
func (k KeyMap) ShortHelp() []key.Binding {
	return []key.Binding{k.Back, k.Down, k.Evidence, k.Timeline, k.Incident, k.Contain}
}

// FullHelp implements help.KeyMap.
func (k KeyMap) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.PageUp, k.PageDown, k.Top, k.Bottom}, {k.Evidence, k.Back, k.Timeline, k.Incident, k.Contain}}
}

// Model shows one alert.
type Model struct {
	keys KeyMap
	a    alert.Alert
	be   backend.Backend
	st   *style.Styles
	lang i18n.Lang
	vp   viewport.Model
	w, h int
	// evidenceLine is where the evidence section starts.
	evidenceLine int
}

// New returns the detail view of a.
func New(a alert.Alert, be backend.Backend, st *style.Styles, lang i18n.Lang) Model {
	m := Model{a: a, be: be, st: st, vp: viewport.New()}
	m.setLang(lang)
	return m
}

// ID is the shown alert's id.
func (m Model) ID() string { return m.a.ID }

// Alert is the shown alert.
func (m Model) Alert() alert.Alert { return m.a }

// KeyMap returns the view's keys.
func (m Model) KeyMap() KeyMap { return m.keys }

// SetAlert refreshes the shown alert (it was updated live).
func (m *Model) SetAlert(a alert.Alert) { m.a = a; m.render() }

// SetStyles changes the theme.
func (m *Model) SetStyles(st *style.Styles) { m.st = st; m.render() }

// SetLang changes the language.
func (m *Model) SetLang(l i18n.Lang) { m.setLang(l); m.render() }

func (m *Model) setLang(l i18n.Lang) {
	m.lang = l
	m.keys = DefaultKeyMap()
	l.Keys(&m.keys)
	m.keys.Incident.SetEnabled(!m.be.ReadOnly()) // opening an incident changes the store
}

// SetSize sets the view's size.
func (m *Model) SetSize(w, h int) {
	m.w, m.h = w, h
	m.vp.SetWidth(w)
	m.vp.SetHeight(h)
	m.render()
}

// Update handles keys.
func (m Model) Update(msg tea.Msg) (Model, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok {
		switch {
		case key.Matches(k, m.keys.Up):
			m.vp.ScrollUp(1)
		case key.Matches(k, m.keys.Down):
			m.vp.ScrollDown(1)
		case key.Matches(k, m.keys.PageUp):
			m.vp.PageUp()
		case key.Matches(k, m.keys.PageDown):
			m.vp.PageDown()
		case key.Matches(k, m.keys.Top):
			m.vp.GotoTop()
		case key.Matches(k, m.keys.Bottom):
			m.vp.GotoBottom()
		case key.Matches(k, m.keys.Evidence):
			m.vp.SetYOffset(m.evidenceLine)
		case key.Matches(k, m.keys.Timeline):
			a := m.a
			return m, func() tea.Msg { return request.OpenTimelineMsg{Endpoint: a.Endpoint, AlertID: a.ID} }
		case key.Matches(k, m.keys.Incident):
			msg := request.NewIncidentMsg{Alerts: []string{m.a.ID}}
			return m, func() tea.Msg { return msg }
		case key.Matches(k, m.keys.Contain):
			msg := request.ContainMsg{Alerts: []string{m.a.ID}}
			return m, func() tea.Msg { return msg }
		}
	}
	return m, nil
}

// View renders the view.
func (m Model) View() string { return m.vp.View() }

// render lays the alert out for the current width.
func (m *Model) render() {
	if m.w <= 0 {
		return
	}
	content := Render(m.a, m.be, m.st, m.lang, m.w)
	m.vp.SetContent(content)
	m.evidenceLine = 0
	for i, l := range strings.Split(content, "\n") {
		if strings.Contains(l, "── ") && strings.Contains(l, fmt.Sprintf("(%d)", len(m.a.Evidence))) {
			m.evidenceLine = i
		}
	}
}

// Render lays out alert a at width w.
func Render(a alert.Alert, be backend.Backend, st *style.Styles, lang i18n.Lang, w int) string {
	T := lang.T
	cat, loc := be.Catalog(), be.Location()
	L := string(lang)
	var b strings.Builder
	line := func(s string) { b.WriteString(s); b.WriteByte('\n') }
	wrap := func(label, text string) {
		text = sanitize.Line(text)
		if label != "" {
			text = st.Muted.Render(label+": ") + text
		}
		line(ansi.Wrap(text, w, " ,;/")) // breaks a word (and Japanese, which has no spaces) rather than leave a line wider than w
	}

	title := a.Title
	var ruleDesc, check string
	var measures []string
	if r, ok := cat.Rule(a.Rule); ok {
		title = r.Title.In(L)
		ruleDesc = r.Description.In(L)
		check = r.Check.In(L)
		for _, id := range r.Measures {
			if ms, ok := cat.Measure(id); ok {
				measures = append(measures, ms.Title.In(L))
			}
		}
	}
	sev := st.Sev(a.Severity).Render(style.SevMark(a.Severity) + " " + strings.ToUpper(style.SevName(a.Severity, lang)))
	line(ansi.Truncate(sev+"  "+st.Title.Render(a.Rule)+"  "+st.Title.Render(sanitize.Line(title)), w, "…"))

	ep := a.Endpoint
	if a.Host != "" {
		ep += " (" + sanitize.Line(a.Host)
		if as, ok := be.Asset(a.Endpoint); ok {
			for _, s := range []string{as.Segment, as.Role, as.Owner} {
				if s != "" {
					ep += ", " + sanitize.Line(s)
				}
			}
		}
		ep += ")"
	}
	wrap(T("endpoint"), ep)
	if a.Peer != "" {
		wrap(T("peer"), a.Peer)
	}
	phase := fmt.Sprint(a.Phase)
	if p, ok := cat.Phase(a.Phase); ok {
		phase += " " + p.Name.In(L)
	}
	persp := string(a.Perspective)
	if p, ok := cat.Perspective(a.Perspective); ok {
		persp = p.Name.In(L)
	}
	basis := string(a.Basis)
	if bs, ok := cat.Basis(a.Basis); ok {
		basis = bs.Name.In(L)
	}
	analysis := persp + " · " + basis + " · " + T("phase") + " " + phase
	if len(a.Attack) > 0 {
		analysis += " · ATT&CK " + strings.Join(a.Attack, ", ")
	}
	wrap(T("perspective"), analysis)
	// Each figure stays on one line with its label (a no-break space).
	wrap("", fmt.Sprintf("%s\u00a0%s   %s\u00a0%s   %s\u00a0%d   %s\u00a0%.2f",
		T("first seen"), a.FirstSeen.In(loc).Format("2006-01-02\u00a015:04:05"),
		T("last seen"), a.LastSeen.In(loc).Format("2006-01-02\u00a015:04:05"),
		T("count"), a.Count, T("score"), a.Score))
	if a.Acked {
		line(st.OK.Render("✓ " + T("acked")))
	}
	if e, ok := be.HiddenBy(&a); ok {
		id := e.ID
		if id == "" {
			id = T("al:config")
		}
		until := T("al:until removed")
		if !e.Expires.IsZero() {
			until = fmt.Sprintf(T("al:until"), e.Expires.In(loc).Format("01-02 15:04 MST"))
		}
		wrap("", st.Warn.Render("⊘ "+fmt.Sprintf(T("al:hidden by"), id, sanitize.Line(e.Reason)))+st.Muted.Render(" · "+until+" · "+sanitize.Line(e.By)))
	}
	line("")
	wrap(T("why"), Summary(&a, lang))
	if why := a.Details["severity_reason"]; why != "" {
		wrap(T("severity"), why)
	}
	if ruleDesc != "" {
		wrap(T("rule"), ruleDesc)
	}
	if check != "" {
		line("")
		wrap(T("check first"), check)
	}
	if len(measures) > 0 {
		wrap(T("measures"), strings.Join(measures, " · "))
	}
	if details := detailText(a.Details); details != "" {
		line("")
		wrap(T("details"), details)
	}
	line("")
	head := fmt.Sprintf("── %s (%d) ", T("evidence"), len(a.Evidence))
	line(st.Accent.Render(head) + st.Subtle.Render(strings.Repeat("─", max(0, w-ansi.StringWidth(head)))))
	for _, ev := range a.Evidence {
		line(st.Muted.Render(ev.Time.In(loc).Format("01-02 15:04:05") + "  " + sanitize.Line(ev.File) + fmt.Sprintf(":%d", ev.Offset)))
		line(ansi.Hardwrap(sanitize.Line(ev.Raw), w, true))
	}
	return strings.TrimRight(b.String(), "\n")
}

func detailText(d map[string]string) string {
	var keys []string
	for k := range d {
		if k == "severity_reason" || k == "summary_ja" {
			continue
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + " " + d[k]
	}
	return strings.Join(parts, " · ")
}

// Summary is what an alert says of itself, in lang when it has that
// language (raw: sanitize it before showing it).
func Summary(a *alert.Alert, lang i18n.Lang) string {
	if lang == i18n.JA && a.Details["summary_ja"] != "" {
		return a.Details["summary_ja"]
	}
	return a.Summary
}
