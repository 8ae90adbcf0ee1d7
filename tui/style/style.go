// Package style turns a theme into the one grouped set of lipgloss styles
// that every pane receives by pointer. No pane keeps styles of its own.
package style

import (
	"charm.land/lipgloss/v2"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/themes"
	"github.com/mamori-soc/mamori/tui/i18n"
)

// Styles are the console's styles for one theme.
type Styles struct {
	Theme *themes.Theme

	Text, Muted, Subtle, Accent, Title, Bold lipgloss.Style
	Header, HeaderDim                        lipgloss.Style
	Tab, TabActive                           lipgloss.Style
	Box, BoxFocused                          lipgloss.Style
	Selected, Match                          lipgloss.Style
	OK, Warn, Error                          lipgloss.Style
	Severity                                 [5]lipgloss.Style
	PhaseReached, PhaseMissing               lipgloss.Style
	AlertRow, Spark, SparkAlert              lipgloss.Style
	HelpKey, HelpDesc, HelpSep               lipgloss.Style
	ColumnHeader                             lipgloss.Style
	Overlay                                  lipgloss.Style
}

// New builds the styles of theme t.
func New(t *themes.Theme) *Styles {
	s := &Styles{Theme: t}
	if t.Monochrome {
		return monochrome(s)
	}
	c := func(name string) lipgloss.Style { return lipgloss.NewStyle().Foreground(lipgloss.Color(t.Color(name))) }
	s.Text = c("text")
	s.Muted = c("muted")
	s.Subtle = c("subtle")
	s.Accent = c("accent")
	s.Title = c("title").Bold(true)
	s.Bold = c("text").Bold(true)
	s.Header = lipgloss.NewStyle().Foreground(lipgloss.Color(t.Color("header_fg"))).Background(lipgloss.Color(t.Color("header_bg")))
	s.HeaderDim = s.Header.Faint(true)
	s.Tab = c("muted")
	s.TabActive = lipgloss.NewStyle().Foreground(lipgloss.Color(t.Color("tab_active_fg"))).Background(lipgloss.Color(t.Color("tab_active_bg"))).Bold(true)
	s.Box = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color(t.Color("border")))
	s.BoxFocused = s.Box.BorderForeground(lipgloss.Color(t.Color("border_focused")))
	s.Selected = lipgloss.NewStyle().Foreground(lipgloss.Color(t.Color("selected_fg"))).Background(lipgloss.Color(t.Color("selected_bg"))).Bold(true)
	s.Match = c("match").Bold(true).Underline(true)
	s.OK = c("ok")
	s.Warn = c("warn")
	s.Error = c("error").Bold(true)
	for i, n := range []string{"severity_info", "severity_low", "severity_medium", "severity_high", "severity_critical"} {
		s.Severity[i] = c(n)
		if t.BoldSeverity || i >= int(alert.High) {
			s.Severity[i] = s.Severity[i].Bold(true)
		}
	}
	s.PhaseReached = c("phase_reached").Bold(true)
	s.PhaseMissing = c("subtle")
	s.AlertRow = c("alert_row")
	s.Spark = c("spark")
	s.SparkAlert = c("severity_high").Bold(true)
	s.HelpKey = c("accent").Bold(true)
	s.HelpDesc = c("muted")
	s.HelpSep = c("subtle")
	s.ColumnHeader = c("muted").Bold(true)
	s.Overlay = lipgloss.NewStyle().Border(lipgloss.RoundedBorder()).BorderForeground(lipgloss.Color(t.Color("border_focused"))).Padding(0, 1)
	return s
}

func monochrome(s *Styles) *Styles {
	n := lipgloss.NewStyle()
	s.Text, s.Muted, s.Subtle, s.Accent = n, n.Faint(true), n.Faint(true), n.Bold(true)
	s.Title, s.Bold = n.Bold(true), n.Bold(true)
	s.Header, s.HeaderDim = n.Reverse(true), n.Reverse(true)
	s.Tab, s.TabActive = n, n.Reverse(true).Bold(true)
	s.Box = n.Border(lipgloss.NormalBorder())
	s.BoxFocused = n.Border(lipgloss.ThickBorder())
	s.Selected, s.Match = n.Reverse(true), n.Underline(true).Bold(true)
	s.OK, s.Warn, s.Error = n, n.Bold(true), n.Bold(true).Underline(true)
	s.Severity = [5]lipgloss.Style{n.Faint(true), n, n, n.Bold(true), n.Bold(true).Underline(true)}
	s.PhaseReached, s.PhaseMissing = n.Bold(true), n.Faint(true)
	s.AlertRow, s.Spark, s.SparkAlert = n.Bold(true), n, n.Bold(true)
	s.HelpKey, s.HelpDesc, s.HelpSep = n.Bold(true), n, n.Faint(true)
	s.ColumnHeader = n.Bold(true).Underline(true)
	s.Overlay = n.Border(lipgloss.NormalBorder()).Padding(0, 1)
	return s
}

// Sev returns the style of a severity.
func (s *Styles) Sev(sev alert.Severity) lipgloss.Style {
	return s.Severity[min(int(sev), len(s.Severity)-1)]
}

// SevMark is a symbol per severity, so that severities differ without
// colour.
func SevMark(sev alert.Severity) string {
	return sev.Symbol()
}

// SevName is a severity's name in lang.
func SevName(sev alert.Severity, lang i18n.Lang) string {
	return lang.T("sev " + sev.String())
}

// SevShort is a severity's name in four cells at most, for narrow
// columns.
func SevShort(sev alert.Severity, lang i18n.Lang) string {
	return lang.T("sev short " + sev.String())
}

// Phases renders the six attack phases as a strip of digits: reached ones
// emphasised, the others as a dot ("·23·56"). Digits keep one cell each in
// every terminal, which the circled ①…⑥ do not.
func (s *Styles) Phases(reached [7]bool) string {
	var out string
	for p := 1; p <= 6; p++ {
		if reached[p] {
			out += s.PhaseReached.Render(string(rune('0' + p)))
		} else {
			out += s.PhaseMissing.Render("·")
		}
	}
	return out
}
