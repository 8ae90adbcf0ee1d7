package timeline

import (
	"fmt"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/tui/request"
	"github.com/mamori-soc/mamori/tui/search"
	"github.com/mamori-soc/mamori/tui/table"
)

// The "/" search of the timeline looks for text in the loaded rows (what
// each row says and, for an event, its original log line), case aside,
// highlights it, and n/N go to the next and previous row that has it
// (instead of the next alert) until esc clears it. It searches what is
// loaded, not the store: the status line says so when nothing matches.

// finding reports whether a search is set.
func (m Model) finding() bool { return strings.TrimSpace(m.find.Value()) != "" }

// Searched reports whether a search is set (esc clears it before it
// leaves the pane).
func (m Model) Searched() bool { return m.finding() }

// rowText is what a row says in the list.
func (m Model) rowText(r row) string {
	if r.alert != nil {
		return fmt.Sprintf("%s %s %s — %s", markOf(r.alert), r.alert.Rule, sanitize.Line(m.alertTitle(r.alert)), sanitize.Line(r.alert.Summary))
	}
	return Describe(&r.ev.Event, m.endpoint)
}

// findHits lists the rows that have the searched text.
func (m *Model) findHits() {
	m.hits = m.hits[:0]
	q := strings.TrimSpace(m.find.Value())
	if q == "" {
		return
	}
	for i, r := range m.rows {
		if search.Contains(m.rowText(r), q) || (r.ev != nil && search.Contains(r.ev.Event.Raw, q)) {
			m.hits = append(m.hits, i)
		}
	}
}

// handleFind takes a key while the search is typed: the selection goes
// to the first match from where it was as the text changes.
func (m Model) handleFind(k tea.KeyPressMsg) (Model, tea.Cmd) {
	changed, cmd := m.find.Handle(k)
	if changed {
		m.findHits()
		if m.finding() {
			m, _ = m.seekMatch(0)
		}
	}
	m.setFindKeys()
	return m, cmd
}

// seekMatch selects the next (dir 1) or previous (-1) row that matches,
// or with dir 0 the first at or after the selection.
func (m Model) seekMatch(dir int) (Model, tea.Cmd) {
	if len(m.hits) == 0 {
		return m, nil
	}
	pick := -1
	switch {
	case dir < 0:
		for k := len(m.hits) - 1; k >= 0; k-- {
			if m.hits[k] < m.selected {
				pick = m.hits[k]
				break
			}
		}
	default:
		for _, i := range m.hits {
			if i > m.selected || (dir == 0 && i == m.selected) {
				pick = i
				break
			}
		}
	}
	if pick < 0 {
		if dir == 0 {
			pick = m.hits[len(m.hits)-1] // every match is above
		} else {
			where := m.lang.T("no match below")
			if dir < 0 {
				where = m.lang.T("no match above")
			}
			return m, request.Notify(fmt.Sprintf(where, sanitize.Line(m.find.Value())), false)
		}
	}
	m.selected = pick
	m.offset = table.Window(m.offset, m.selected, m.listHeight(), len(m.rows))
	return m, nil
}

// matchIndex is the position of the selected row among the matches
// (1-based), 0 when it is not one.
func (m Model) matchIndex() int {
	for k, i := range m.hits {
		if i == m.selected {
			return k + 1
		}
	}
	return 0
}

// setFindKeys names what n and N do: the next match while a search is
// set, else the next alert.
func (m *Model) setFindKeys() {
	next, prev := "next alert", "previous alert"
	if m.finding() {
		next, prev = "next match", "previous match"
	}
	m.keys.NextAlert.SetHelp("n", m.lang.T(next))
	m.keys.PrevAlert.SetHelp("N", m.lang.T(prev))
}

// findStatus says what the search found, for the status line.
func (m Model) findStatus() string {
	q := "/" + sanitize.Line(m.find.Value())
	if len(m.hits) == 0 {
		return q + " " + fmt.Sprintf(m.lang.T("no match loaded"), len(m.events))
	}
	return fmt.Sprintf("%s %d/%d", q, m.matchIndex(), len(m.hits))
}
