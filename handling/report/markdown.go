package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/mamori-soc/mamori/event"
	"github.com/mamori-soc/mamori/sanitize"
)

// JSON writes the report as one indented JSON document.
func (r *Report) JSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// Markdown writes the report as Markdown that reads as plain text too.
// Every text it did not write itself (from logs, people, stored records)
// is made safe for a terminal and for a Markdown viewer: raw lines go in
// code blocks, other text loses its line breaks and control characters
// and has the characters that would make HTML, links or code escaped, so
// nothing can add a heading, a list item or a tag (FuzzMarkdown).
func (r *Report) Markdown(w io.Writer) error {
	b := bufio.NewWriter(w)
	p := func(format string, args ...any) { _, _ = fmt.Fprintf(b, format, args...) } // errors show at Flush
	inc := r.Incident

	p("# Incident %s: %s\n\n", md(inc.ID), md(inc.Title))
	status := md(inc.Status)
	if inc.Status == "closed" {
		status += fmt.Sprintf(" (%s by %s)", r.local(inc.Closed), md(inc.ClosedBy))
	}
	p("- Status: %s\n", status)
	p("- Opened: %s by %s\n", r.local(inc.Opened), md(inc.OpenedBy))
	p("- Report: generated %s by %s with mamori %s; times are %s\n\n", r.local(r.Generated), md(r.GeneratedBy), md(or(r.Version, "(unknown version)")), md(r.TimeZone))

	s := r.Summary
	p("## Summary\n\n")
	p("- Alerts: %d, highest severity %s\n", s.Alerts, md(or(s.HighestSeverity, "—")))
	p("- First seen: %s; last seen: %s\n", r.local(s.FirstSeen), r.local(s.LastSeen))
	if len(s.Phases) > 0 {
		var ps []string
		for _, ph := range s.Phases {
			ps = append(ps, fmt.Sprintf("%d %s (%d)", ph.Number, md(ph.Name), ph.Alerts))
		}
		p("- Attack phases reached: %s\n", strings.Join(ps, "; "))
	} else {
		p("- Attack phases reached: none from the alerts\n")
	}
	if s.HandlingPhase != "" {
		name := ""
		for _, ph := range r.Checklist {
			if ph.ID == s.HandlingPhase {
				name = " — " + md(ph.Name)
			}
		}
		p("- Handling phase now: %s%s\n", md(s.HandlingPhase), name)
	} else {
		p("- Handling phase now: every checklist item is done or skipped\n")
	}
	p("- Endpoints:\n")
	for _, e := range s.Endpoints {
		var about []string
		for _, v := range []string{e.Segment, e.Role, e.Owner} {
			if v != "" {
				about = append(about, md(v))
			}
		}
		desc := ""
		if len(about) > 0 {
			desc = ", " + strings.Join(about, ", ")
		}
		p("  - %s%s: %d alerts, %s – %s\n", md(endpointName(e.ID, e.Host)), desc, e.Alerts, r.local(e.FirstSeen), r.local(e.LastSeen))
	}
	p("\n")

	p("## Timeline\n\n")
	if len(r.Timeline) == 0 {
		p("Nothing recorded.\n\n")
	}
	for _, e := range r.Timeline {
		switch e.Kind {
		case "alert":
			p("- %s  ALERT %s %s on %s: %s\n", r.local(e.Time), md(e.Severity), md(e.Rule), md(e.Endpoint), md(e.Text))
		case "event":
			p("- %s  log line (%s, %s):\n\n%s\n", r.local(e.Time), md(e.File), event.Place(e.Line, e.Offset), codeBlock(e.Text, "      "))
		default:
			p("- %s  %s\n", r.local(e.Time), md(e.Text))
		}
	}
	p("\n")

	p("## Findings of the full investigation\n\n")
	for _, f := range r.Findings {
		p("### %s\n\n", md(f.Name))
		for _, q := range f.Questions {
			p("- %s\n", md(q))
		}
		p("\n")
		if f.Text != "" {
			p("Established (written by %s, %s):\n\n", md(f.WrittenBy), r.local(f.Written))
			for _, line := range strings.Split(f.Text, "\n") {
				p("> %s\n", md(line))
			}
			p("\n")
		} else {
			p("Not established yet.\n\n")
		}
		if len(f.Suggestions) > 0 {
			p("Suggested by mamori from the evidence (not confirmed):\n\n")
			for _, sg := range f.Suggestions {
				p("- (suggested) %s\n", md(sg))
			}
			p("\n")
		}
	}

	p("## Handling checklist\n\n")
	for _, ph := range r.Checklist {
		cur := ""
		if ph.Current {
			cur = " (current)"
		}
		p("### %s. %s — %d/%d%s\n\n", md(ph.ID), md(ph.Name), ph.Done, ph.Total, cur)
		for _, it := range ph.Items {
			box := map[string]string{"done": "[x]", "skipped": "[-]"}[it.State]
			if box == "" {
				box = "[ ]"
			}
			p("- %s %s (%s): %s\n", box, md(it.ID), md(it.Role), md(it.Do))
			if it.State != "open" || it.Note != "" {
				by := ""
				if it.Who != "" {
					by = fmt.Sprintf(" by %s, %s", md(it.Who), r.local(it.When))
				}
				note := ""
				if it.Note != "" {
					note = ": " + md(strings.ReplaceAll(it.Note, "\n", " / "))
				}
				p("  - %s%s%s\n", md(it.State), by, note)
			}
		}
		p("\n")
	}

	p("## Containment actions\n\n")
	if len(r.Containment) == 0 {
		p("None recorded.\n\n")
	}
	for i, a := range r.Containment {
		what := ""
		if a.UndoOf != "" {
			what = ", undoing run " + md(a.UndoOf)
		}
		p("### %d. %s (%s) — %s\n\n", i+1, md(a.Title), md(a.Measure), md(outcomeText(a.Outcome)))
		p("- Run %s%s: decided by %s at %s", md(a.RunID), what, md(a.Who), r.local(a.Started))
		if !a.Finished.IsZero() && a.Outcome != "done-by-hand" {
			p("; finished %s", r.local(a.Finished))
		}
		if a.Exit != nil {
			p("; exit status %d", *a.Exit)
		}
		p("\n")
		if len(a.Params) > 0 {
			var ps []string
			for _, k := range slices.Sorted(maps.Keys(a.Params)) {
				ps = append(ps, k+"="+a.Params[k])
			}
			p("- Parameters: %s\n", md(strings.Join(ps, ", ")))
		}
		if a.Command != "" {
			p("- Command:\n\n%s\n", codeBlock(a.Command, "      "))
		} else if a.Manual {
			p("- Done by hand and recorded in mamori\n")
		}
		pr := r.scales.Protection
		p("- Protects confidentiality %s, integrity %s, availability %s\n", r.level(pr, a.C), r.level(pr, a.I), r.level(pr, a.A))
		p("- Business cost: %s; evidence: %s; %s\n", r.level(r.scales.Cost, a.Cost), md(r.evidenceName(a.Evidence)), md(r.reversibleName(a.Reversible)))
		if a.Rationale != "" {
			p("- Why these ratings: %s\n", md(a.Rationale))
		}
		if a.Note != "" {
			p("- Note: %s\n", md(strings.ReplaceAll(a.Note, "\n", " / ")))
		}
		if a.UndoneBy != "" {
			p("- Undone later by run %s\n", md(a.UndoneBy))
		}
		if a.Error != "" {
			p("- Error: %s\n", md(a.Error))
		}
		if a.Output != "" {
			p("- Output:\n\n%s\n", codeBlock(a.Output, "      "))
		}
		p("\n")
	}

	p("## Audit trail\n\n")
	for _, t := range r.Trail {
		subj := ""
		if t.Subject != "" {
			subj = " " + md(t.Subject)
		}
		note := ""
		if t.Note != "" {
			note = ": " + md(clip(strings.ReplaceAll(t.Note, "\n", " / "), 200))
		}
		p("- #%d %s %s: %s %s%s%s\n", t.Seq, r.local(t.Time), md(t.Who), md(t.Kind), md(t.Action), subj, note)
	}
	return b.Flush()
}

func endpointName(id, host string) string {
	if host == "" || host == id {
		return id
	}
	return host + " (" + id + ")"
}

func outcomeText(o string) string {
	switch o {
	case "unfinished":
		return "UNFINISHED (mamori stopped while it ran: check by hand whether it took effect)"
	case "interrupted":
		return "INTERRUPTED (mamori was stopped while it ran: check by hand whether it took effect)"
	case "done-by-hand":
		return "done by hand"
	}
	return o
}

// mdEscaper escapes what would turn text into HTML, links or code in a
// Markdown viewer; the text stays readable as plain text.
var mdEscaper = strings.NewReplacer(`\`, `\\`, `<`, `\<`, `>`, `\>`, "`", "\\`", `[`, `\[`, `]`, `\]`)

// md makes text safe for a terminal and for Markdown.
func md(s string) string { return mdEscaper.Replace(sanitize.Line(s)) }

// codeBlock indents lines as a Markdown code block (inside a list item),
// made safe for a terminal.
func codeBlock(s, indent string) string {
	var b strings.Builder
	for _, line := range strings.Split(s, "\n") {
		b.WriteString(indent)
		b.WriteString(sanitize.Line(line))
		b.WriteByte('\n')
	}
	return b.String()
}
