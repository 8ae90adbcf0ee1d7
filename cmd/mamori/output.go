package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"

	"github.com/mamori-soc/mamori/alert"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/internal/human"
	"github.com/mamori-soc/mamori/sanitize"
)

// isTerminal reports whether f is a terminal (progress bars and tables
// only go to one).
func isTerminal(f *os.File) bool { return term.IsTerminal(f.Fd()) }

// progressPrinter reports an import's progress on stderr: a bar redrawn
// in place that fits the terminal, or, when stderr is a file or a pipe (a
// cron job, a CI log), one plain line every few seconds.
func progressPrinter() func(ingest.Progress) {
	start := time.Now()
	if !isTerminal(os.Stderr) {
		var last time.Time
		return func(p ingest.Progress) {
			if time.Since(last) < 5*time.Second && p.FilesDone < p.Files {
				return
			}
			last = time.Now()
			fmt.Fprintf(os.Stderr, "mamori: %3.0f%%  %s of %s  %d/%d files  %s  %s\n", percent(p)*100,
				human.Bytes(p.BytesDone), human.Bytes(p.Bytes), p.FilesDone, p.Files,
				time.Since(start).Round(time.Second), sanitize.Line(p.Current))
		}
	}
	return func(p ingest.Progress) {
		width := 80
		if w, _, err := term.GetSize(os.Stderr.Fd()); err == nil && w > 0 {
			width = w
		}
		pct := percent(p)
		text := fmt.Sprintf(" %3.0f%%  %s / %s  %d/%d files  %s  %s", pct*100, human.Bytes(p.BytesDone), human.Bytes(p.Bytes),
			p.FilesDone, p.Files, time.Since(start).Round(time.Second), sanitize.Line(filepath.Base(p.Current)))
		// The bar takes what the text leaves, 10 to 24 cells; the text is
		// cut to the terminal: a line that wraps cannot be redrawn in place.
		barW := max(10, min(24, width-1-ansi.StringWidth(text)))
		filled := int(pct * float64(barW))
		line := ansi.Truncate(strings.Repeat("█", filled)+strings.Repeat("░", barW-filled)+text, width-1, "…")
		fmt.Fprint(os.Stderr, "\r\033[K"+line)
		if p.FilesDone == p.Files {
			fmt.Fprint(os.Stderr, "\r\033[K")
		}
	}
}

func percent(p ingest.Progress) float64 {
	if p.Bytes <= 0 {
		return 0
	}
	return min(1, float64(p.BytesDone)/float64(p.Bytes))
}

// removeTemp removes a temporary directory the command made, warning on
// stderr when it cannot, so the space it holds does not go unnoticed.
func removeTemp(dir string) {
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintln(os.Stderr, "mamori: remove temporary directory:", err)
	}
}

// printer writes text and keeps the first write error in err, skipping the
// writes after it, so that a report of many lines is checked once at the
// end.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

// table writes the rows that fill prints with tab-separated cells as
// aligned columns.
func (p *printer) table(fill func(t *printer)) {
	if p.err != nil {
		return
	}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	fill(t)
	if t.err != nil {
		p.err = t.err
		return
	}
	p.err = tw.Flush()
}

// printSummary writes an ingest summary for people.
func printSummary(w io.Writer, s ingest.Summary) error {
	p := &printer{w: w}
	rate := ""
	if s.Elapsed > 0 {
		rate = fmt.Sprintf(" in %s (%.0f events/s)", s.Elapsed.Round(time.Millisecond), float64(s.Events)/s.Elapsed.Seconds())
	}
	switch {
	case s.Events == 0 && s.Unchanged > 0 && s.Unchanged == s.Files:
		p.printf("nothing new: %d files already imported and unchanged\n", s.Unchanged)
	case s.Unchanged > 0:
		p.printf("%d events from %d files%s (%d files already imported and unchanged)\n", s.Events, s.Files-s.Unchanged, rate, s.Unchanged)
	default:
		p.printf("%d events from %d files%s\n", s.Events, s.Files, rate)
	}
	if len(s.ByFormat) > 0 {
		p.table(func(t *printer) {
			for _, k := range sortedKeys(s.ByFormat) {
				t.printf("  %s\t%d events\n", k, s.ByFormat[k])
			}
		})
	}
	if s.Rejected > 0 {
		p.printf("%d lines rejected:\n", s.Rejected)
		p.table(func(t *printer) {
			for _, k := range sortedKeys(s.RejectedByReason) {
				t.printf("  %s\t%d\n", k, s.RejectedByReason[k])
			}
		})
		for _, src := range s.Sources {
			for _, smp := range src.Samples {
				p.printf("    e.g. %s:%d (%s): %s\n", sanitize.Line(src.Path), smp.Offset, smp.Reason, smp.Line)
				break
			}
		}
	}
	if len(s.Notes) > 0 {
		p.printf("notes:\n")
		for _, k := range sortedKeys(s.Notes) {
			p.printf("  %s: %d lines\n", k, s.Notes[k])
		}
	}
	if len(s.Skipped) > 0 {
		p.printf("%d files skipped:\n", len(s.Skipped))
		for _, f := range s.Skipped {
			p.printf("  %s: %s\n", sanitize.Line(f.Path), sanitize.Line(f.Reason))
		}
	}
	for _, f := range s.Failed {
		p.printf("failed: %s: %s\n", sanitize.Line(f.Path), sanitize.Line(f.Reason))
	}
	return p.err
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// printJSONLines writes one JSON object per line.
func printJSONLines[T any](w io.Writer, vs []T) error {
	enc := json.NewEncoder(w)
	for i := range vs {
		if err := enc.Encode(&vs[i]); err != nil {
			return err
		}
	}
	return nil
}

// printAlerts writes alerts as a table fitted to width (0: whole lines),
// their times in loc (the office's zone); on a narrow terminal each
// summary goes, whole, under its alert.
func printAlerts(w io.Writer, as []alert.Alert, width int, loc *time.Location) error {
	if len(as) == 0 {
		_, err := fmt.Fprintln(w, "no alerts")
		return err
	}
	t := newGrid("LAST SEEN", "SEVERITY", "RULE", "PH", "ENDPOINT", "COUNT", "SUMMARY").withDetail(6)
	for _, a := range as {
		ep := a.Endpoint
		if a.Host != "" && a.Host != a.Endpoint {
			ep = a.Host + " " + a.Endpoint
		}
		t.row(a.LastSeen.In(loc).Format("01-02 15:04:05"), a.Severity.Symbol()+" "+a.Severity.String(), a.Rule,
			fmt.Sprint(a.Phase), ep, fmt.Sprint(a.Count), a.Summary)
	}
	return t.write(w, width)
}
