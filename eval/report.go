package eval

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/mamori-soc/mamori/sanitize"
)

// WriteJSON writes the results as one indented JSON array.
func WriteJSON(w io.Writer, rs []Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rs)
}

// WriteText writes the scorecard table, the missed truths and the sets
// not scanned; verbose adds every set's truths and alerts with their
// verdicts. The text depends only on the data, the sets and mamori, so two
// runs can be compared with diff.
func WriteText(w io.Writer, rs []Result, verbose bool) error {
	p := &printer{w: w}
	tw := tabwriter.NewWriter(p, 0, 0, 2, ' ', 0)
	t := &printer{w: tw}
	t.printf("SET\tDATA\tEVENTS\tTRUTHS\tCRIT\tHIGH\tMED\tLOW\tINFO\tFP≥MED\tFIRST TRUE\n")
	for _, r := range rs {
		truths := fmt.Sprintf("%d/%d", r.Found, r.Total)
		if r.Status != Scanned {
			t.printf("%s\t%s\t-\t%s\t-\t-\t-\t-\t-\t-\t-\n", r.Set, r.Status, truths)
			continue
		}
		c := r.Severity
		t.printf("%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Set, r.Location, r.Events, truths,
			c.Critical, c.High, c.Medium, c.Low, c.Info, r.FalsePositives, rankText(r.FirstTrue))
	}
	if t.err != nil {
		return t.err
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	var missed, notScanned []string
	for _, r := range rs {
		if r.Status != Scanned {
			notScanned = append(notScanned, fmt.Sprintf("  %s: %s", r.Set, r.Reason))
		}
		for _, t := range r.Truths {
			if !t.Optional && t.Rank == 0 && r.Status == Scanned {
				missed = append(missed, fmt.Sprintf("  %s: %s (%s)", r.Set, t.ID, t.What))
			}
		}
	}
	if len(missed) > 0 {
		p.printf("\nMissed truths:\n%s\n", strings.Join(missed, "\n"))
	}
	if len(notScanned) > 0 {
		p.printf("\nNot scanned:\n%s\n", strings.Join(notScanned, "\n"))
	}
	if verbose {
		for _, r := range rs {
			writeDetail(p, r)
		}
	}
	return p.err
}

func rankText(n int) string {
	if n == 0 {
		return "-"
	}
	return strconv.Itoa(n)
}

func writeDetail(p *printer, r Result) {
	p.printf("\n== %s — %s\n", r.Set, r.Title)
	if r.Status != Scanned {
		p.printf("   %s\n", r.Reason)
	} else {
		p.printf("   data: %s; %d events, %d lines rejected, %d files skipped\n", r.Location, r.Events, r.Rejected, r.SkippedFiles)
	}
	for _, t := range r.Truths {
		state := "MISSED"
		switch {
		case r.Status != Scanned:
			state = "-"
		case t.Rank > 0:
			state = "found at " + strconv.Itoa(t.Rank)
		case t.Optional:
			state = "not seen"
		}
		opt := ""
		if t.Optional {
			opt = " (optional)"
		}
		p.printf("   truth %-26s %-12s %s%s\n", t.ID, state, t.What, opt)
	}
	for _, a := range r.Alerts {
		verdict := "true: " + strings.Join(a.Truths, ",")
		switch a.Class {
		case OnBenign:
			verdict = "FP benign: " + a.Benign
		case Unexplained:
			verdict = "unexplained"
			if a.FalsePositive {
				verdict = "FP"
			}
		}
		who := a.Endpoint
		if a.Peer != "" {
			who += " → " + a.Peer
		}
		p.printf("   %4d %-8s %-14s %-44s %-24s %s\n", a.Rank, a.Severity, a.Rule, clip(sanitize.Line(who), 44),
			clip(verdict, 24), clip(sanitize.Line(a.Summary), 100))
	}
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// printer keeps the first write error and skips the writes after it, so
// that a report of many lines is checked once at the end.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) printf(format string, args ...any) {
	if p.err == nil {
		_, p.err = fmt.Fprintf(p.w, format, args...)
	}
}

func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	var n int
	n, p.err = p.w.Write(b)
	return n, p.err
}

// WriteTruths writes every set's description as Markdown: a section per
// set with its data, settings, truths and hard negatives and the sentence
// each comes from (EVALUATION.md keeps this text).
func WriteTruths(w io.Writer, sets []*Set) error {
	p := &printer{w: w}
	for _, s := range sets {
		p.printf("### %s\n\n%s. Data: %s.", s.Name, s.Title, s.Origin)
		if s.Unsupported != "" {
			p.printf(" **%s.**", strings.TrimSuffix(s.Unsupported, "."))
		}
		p.printf("\n\n")
		for _, l := range s.Locations {
			note := ""
			if l.Note != "" {
				note = " (" + l.Note + ")"
			}
			p.printf("- copy `%s`: %s%s\n", l.Name, code(l.Paths), note)
		}
		if st := settingsText(s.Settings); st != "" {
			p.printf("- settings: %s\n", st)
		}
		if len(s.Truths)+len(s.Benign) == 0 {
			p.printf("- no truths: the documentation names no attack to find in it\n")
		}
		p.printf("\n")
		for _, t := range s.Truths {
			kind := "truth"
			if t.Optional {
				kind = "optional truth"
			}
			hosts := slices.Concat(t.Endpoints, t.Peers)
			if len(hosts) > 8 {
				hosts = append(hosts[:8:8], fmt.Sprintf("… %d more", len(hosts)-8))
			}
			p.printf("- %s **%s**: %s. Hosts %s; rules %s", kind, t.ID, t.What, strings.Join(hosts, ", "), strings.Join(t.Rules, ", "))
			if len(t.About) > 0 {
				p.printf("; alert mentions %s", strings.Join(t.About, " or "))
			}
			p.printf(".\n  Source: %s", sourceText(t.Source))
		}
		for _, b := range s.Benign {
			p.printf("- hard negative: %s (%s).\n  Source: %s", b.What, strings.Join(slices.Concat(b.Endpoints, b.Peers), ", "), sourceText(b.Source))
		}
		p.printf("\n")
	}
	return p.err
}

func sourceText(s Source) string {
	out := fmt.Sprintf("%s: “%s”\n", s.File, squashSpace(s.Quote))
	if s.Note != "" {
		out += "  " + squashSpace(s.Note) + "\n"
	}
	return out
}

func settingsText(s Settings) string {
	var parts []string
	if len(s.InternalNetworks) > 0 {
		parts = append(parts, "internal networks "+strings.Join(s.InternalNetworks, ", "))
	}
	if s.Timezone != "" {
		parts = append(parts, "time zone "+s.Timezone)
	}
	if s.Year != 0 {
		parts = append(parts, "year "+strconv.Itoa(s.Year))
	}
	for _, alts := range s.IOC {
		parts = append(parts, "IOC list "+strings.Join(alts, " (else ")+strings.Repeat(")", len(alts)-1))
	}
	for _, a := range s.Assets {
		parts = append(parts, fmt.Sprintf("inventory: %s is %s (%s)", a["ip"], a["host"], a["role"]))
	}
	return strings.Join(parts, "; ")
}

func code(paths []string) string {
	out := make([]string, len(paths))
	for i, p := range paths {
		out[i] = "`" + p + "`"
	}
	return strings.Join(out, ", ")
}

func squashSpace(s string) string { return strings.Join(strings.Fields(s), " ") }
