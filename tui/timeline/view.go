package timeline

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"charm.land/bubbles/v2/viewport"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
	"github.com/mamori-soc/mamori/tui/search"
	"github.com/mamori-soc/mamori/tui/style"
	"github.com/mamori-soc/mamori/tui/table"
)

// openEvent shows one event whole over the pane: every field it has and
// the original log line, scrollable.
func (m *Model) openEvent(st *store.Stored) {
	if st == nil {
		return
	}
	ev := &st.Event
	var b strings.Builder
	T := m.lang.T
	fmt.Fprintf(&b, "%s\n\n", m.st.Title.Render(ev.Time.In(m.be.Location()).Format("2006-01-02 15:04:05.000")+"  "+ev.Format+"  "+ev.Kind.String()))
	const labelWidth = 12
	field := func(k, v string) {
		if v = strings.TrimSpace(v); v != "" && v != "0" {
			fmt.Fprintf(&b, "%s %s\n", m.st.Muted.Render(table.Fit(k, labelWidth, false)), sanitize.Line(v))
		}
	}
	field(T("endpoint"), ev.EndpointID()+" "+ev.Host)
	field("src", hostPort(ev.SrcIP, ev.SrcPort))
	field("dst", hostPort(ev.DstIP, ev.DstPort))
	field("user", ev.User)
	field("domain", ev.Domain)
	field("url", ev.URL)
	field("method", ev.Method)
	field("status", fmt.Sprint(ev.Status))
	field("user agent", ev.UserAgent)
	field("dns", strings.TrimSpace(ev.Query+" "+ev.QType+" "+ev.RCode+" "+strings.Join(ev.Answers, ",")))
	field("file", strings.TrimSpace(ev.FileName+" "+ev.FileHash))
	if ev.BytesOut != 0 || ev.BytesIn != 0 {
		field("bytes", fmt.Sprintf("out %d in %d", ev.BytesOut, ev.BytesIn))
	}
	field("action", ev.Action.String()+" "+ev.Outcome.String())
	field("label", ev.Label)
	field("signature", ev.Signature)
	field("message", ev.Message)
	fmt.Fprintf(&b, "\n%s\n%s\n", m.st.Accent.Render(fmt.Sprintf("%s:%d", sanitize.Line(ev.Ref.File), ev.Ref.Offset)), ansi.Hardwrap(sanitize.Line(ev.Raw), max(10, m.width), true))
	vp := viewport.New()
	vp.SetWidth(m.width)
	vp.SetHeight(m.height)
	vp.SetContent(b.String())
	m.overlay = &vp
}

// hostPort is an address with its port, the address alone without a
// port, nothing without an address.
func hostPort(ip netip.Addr, port uint16) string {
	switch {
	case !ip.IsValid():
		return ""
	case port == 0:
		return ip.String()
	}
	return netip.AddrPortFrom(ip, port).String()
}

// The pane's fixed lines: the endpoint's header, the sparkline (activity
// and the alerts' marks under it) above the list, the status line under
// it. The sparkline keeps a column free on either side.
const (
	headerHeight = 1
	sparkHeight  = 2
	statusHeight = 1
	sparkMargin  = 1
)

// listHeight is the rows available for the event list: the pane less the
// header, the sparkline, the column header and the status line.
func (m Model) listHeight() int {
	return max(1, table.Rows(m.height-headerHeight-sparkHeight-statusHeight))
}

// sparkWidth is the buckets the sparkline has room for.
func (m Model) sparkWidth() int { return max(10, m.width-2*sparkMargin) }

// View renders the pane.
func (m Model) View() string {
	if m.width <= 0 || m.height <= 0 {
		return ""
	}
	if m.overlay != nil {
		return m.overlay.View()
	}
	T := m.lang.T
	if m.endpoint == "" {
		return table.FitLines([]string{m.st.Muted.Render("  " + T("pick endpoint"))}, m.height)
	}
	var b strings.Builder
	b.WriteString(m.headerLine())
	b.WriteByte('\n')
	b.WriteString(m.sparkline())
	b.WriteByte('\n')
	b.WriteString(m.list())
	b.WriteByte('\n')
	b.WriteString(m.statusLine())
	return b.String()
}

func (m Model) headerLine() string {
	ep := m.endpoint
	if as, ok := m.be.Asset(m.endpoint); ok {
		for _, s := range []string{as.Host, as.Segment, as.Role, as.Owner} {
			if s != "" {
				ep += "  " + s
			}
		}
	}
	var reached [7]bool
	worst, any := alert.Info, false
	for i := range m.alerts {
		a := &m.alerts[i]
		if a.Phase >= 1 && a.Phase <= 6 {
			reached[a.Phase] = true
		}
		if !any || a.Severity > worst {
			worst, any = a.Severity, true
		}
	}
	right := ""
	if any {
		right = m.st.Sev(worst).Render(style.SevMark(worst)+" "+style.SevName(worst, m.lang)) + fmt.Sprintf("  %d %s  ", len(m.alerts), m.lang.T("alerts")) + m.st.Phases(reached)
	}
	// The endpoint's description gives way to its alerts (severity,
	// count, phases reached) when the line is too short for both.
	left := m.st.Title.Render(sanitize.Line(ep))
	gap := m.width - ansi.StringWidth(left) - ansi.StringWidth(right)
	if gap < 1 {
		if rw := ansi.StringWidth(right); rw < m.width {
			return table.Fit(left, m.width-rw-1, false) + " " + right
		}
		return ansi.Truncate(left+" "+right, m.width, "…")
	}
	return left + strings.Repeat(" ", gap) + right
}

// sparkline draws activity over the endpoint's history (one cell per
// bucket) and, below it, the alerts as severity marks.
func (m Model) sparkline() string {
	w := m.sparkWidth()
	if len(m.hist) == 0 {
		msg := m.lang.T("loading")
		if m.histDone {
			msg = m.lang.T("no activity")
		}
		return m.st.Muted.Render(table.Fit(strings.Repeat(" ", sparkMargin)+msg, m.width, false)) + "\n"
	}
	levels := []rune(" ▁▂▃▄▅▆▇█")
	peak := 1
	for _, c := range m.hist {
		peak = max(peak, c)
	}
	n := min(len(m.hist), w)
	var spark strings.Builder
	for i := 0; i < n; i++ {
		c := m.hist[i]
		l := 0
		if c > 0 {
			l = 1 + c*(len(levels)-2)/peak
		}
		spark.WriteRune(levels[l])
	}
	marks := make([]rune, n)
	sev := make([]int, n)
	for i := range marks {
		marks[i], sev[i] = ' ', -1
	}
	for i := range m.alerts {
		a := &m.alerts[i]
		x := int(a.Time.Sub(m.histFrom) / m.histStep)
		if x >= 0 && x < n && int(a.Severity) > sev[x] {
			sev[x] = int(a.Severity)
			marks[x] = []rune(style.SevMark(a.Severity))[0]
		}
	}
	var mk strings.Builder
	for i, r := range marks {
		if sev[i] >= 0 {
			mk.WriteString(m.st.Sev(alert.Severity(sev[i])).Render(string(r)))
		} else {
			mk.WriteRune(' ')
		}
	}
	from := m.histFrom.In(m.be.Location()).Format("01-02 15:04")
	to := m.histFrom.Add(m.histStep * time.Duration(n)).In(m.be.Location()).Format("01-02 15:04")
	scale := fmt.Sprintf(" %s/%s ", durationLabel(m.histStep), "▏")
	label := m.st.Muted.Render(from) + m.st.Subtle.Render(scale) + m.st.Muted.Render(to)
	margin := strings.Repeat(" ", sparkMargin)
	line1 := margin + m.st.Spark.Render(spark.String())
	line2 := margin + mk.String()
	if strings.TrimSpace(ansi.Strip(mk.String())) == "" {
		line2 = margin + label
	}
	return line1 + "\n" + lipgloss.NewStyle().MaxWidth(m.width).Render(line2)
}

func durationLabel(d time.Duration) string {
	if d >= 24*time.Hour {
		return fmt.Sprintf("%dd", int(d/(24*time.Hour)))
	}
	if d >= time.Hour {
		return fmt.Sprintf("%dh", int(d/time.Hour))
	}
	return fmt.Sprintf("%dm", int(d/time.Minute))
}

// srcWidth is the source column's width: the widest source label loaded
// (zeek's smb_mapping, dce_rpc...), within bounds.
func (m Model) srcWidth() int {
	const minSrc, maxSrc = 6, 11
	w := minSrc
	for _, r := range m.rows {
		if r.ev != nil {
			w = max(w, ansi.StringWidth(sourceLabel(r.ev.Event.Format)))
		}
	}
	return min(w, maxSrc)
}

func (m Model) list() string {
	T := m.lang.T
	cols := []table.Column{
		{Title: T("time"), Width: 14},
		{Title: "src", Width: m.srcWidth()},
		{Title: T("events"), Width: 20, Flex: 1},
	}
	rows := make([]table.Row, len(m.rows))
	loc := m.be.Location()
	for i, r := range m.rows {
		when := r.t.In(loc).Format("01-02 15:04:05")
		text := m.rowText(r)
		var hl []int
		if q := strings.TrimSpace(m.find.Value()); q != "" {
			hl = search.Highlight(text, q, search.Part)
		}
		if r.alert != nil {
			st := m.st.Sev(r.alert.Severity)
			rows[i] = table.Row{Cells: []table.Cell{{Text: when, Style: &st}, {Text: "alert", Style: &st}, {Text: text, Style: &st, Match: hl}}}
			continue
		}
		rows[i] = table.Row{Cells: []table.Cell{{Text: when}, {Text: sourceLabel(r.ev.Event.Format)}, {Text: text, Match: hl}}}
	}
	h := m.listHeight() + table.HeaderHeight
	out := table.Render(cols, rows, m.selected, m.offset, m.width, h, table.Styles{Header: m.st.ColumnHeader, Text: m.st.Text, Selected: m.st.Selected, Match: m.st.Match})
	if len(m.rows) == 0 {
		msg := T("no events")
		if m.loading {
			msg = T("loading")
		}
		out += "\n" + m.st.Muted.Render("  "+msg)
	}
	if n := strings.Count(out, "\n") + 1; n < h {
		out += strings.Repeat("\n", h-n)
	}
	return out
}

// markOf is an alert's severity mark.
func markOf(a *alert.Alert) string { return style.SevMark(a.Severity) }

// alertTitle is an alert's title in the pane's language.
func (m Model) alertTitle(a *alert.Alert) string {
	if rule, ok := m.be.Catalog().Rule(a.Rule); ok {
		return rule.Title.In(string(m.lang))
	}
	return a.Title
}

func (m Model) statusLine() string {
	if m.find.Active() {
		return m.find.View()
	}
	T := m.lang.T
	parts := []string{fmt.Sprintf("%d %s, %d %s", len(m.events), T("events"), len(m.alerts), T("alerts"))}
	if m.finding() {
		parts = append(parts, m.findStatus())
	}
	if m.kind != event.KindUnknown {
		parts = append(parts, "kind="+m.kind.String())
	}
	if m.source != "" {
		parts = append(parts, "src="+m.source)
	}
	if m.moreOlder {
		parts = append(parts, "↑ "+T("more above"))
	}
	if m.moreNewer {
		parts = append(parts, "↓ "+T("more below"))
	}
	if m.loading {
		parts = append(parts, T("loading"))
	}
	return m.st.Muted.Render(table.Fit(" "+strings.Join(parts, "  "), m.width, false))
}
