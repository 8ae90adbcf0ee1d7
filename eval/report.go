package eval

import (
	"encoding/json"
	"fmt"
	"io"
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
	fmt.Fprintln(tw, "SET\tDATA\tEVENTS\tTRUTHS\tCRIT\tHIGH\tMED\tLOW\tINFO\tFP≥MED\tFIRST TRUE")
	for _, r := range rs {
		truths := fmt.Sprintf("%d/%d", r.Found, r.Total)
		if r.Status != Scanned {
			fmt.Fprintf(tw, "%s\t%s\t-\t%s\t-\t-\t-\t-\t-\t-\t-\n", r.Set, r.Status, truths)
			continue
		}
		c := r.Severity
		fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%d\t%d\t%d\t%d\t%d\t%d\t%s\n", r.Set, r.Location, r.Events, truths,
			c.Critical, c.High, c.Medium, c.Low, c.Info, r.FalsePositives, rankText(r.FirstTrue))
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
		fmt.Fprintf(p, "\nMissed truths:\n%s\n", strings.Join(missed, "\n"))
	}
	if len(notScanned) > 0 {
		fmt.Fprintf(p, "\nNot scanned:\n%s\n", strings.Join(notScanned, "\n"))
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
	fmt.Fprintf(p, "\n== %s — %s\n", r.Set, r.Title)
	if r.Status != Scanned {
		fmt.Fprintf(p, "   %s\n", r.Reason)
	} else {
		fmt.Fprintf(p, "   data: %s; %d events, %d lines rejected, %d files skipped\n", r.Location, r.Events, r.Rejected, r.SkippedFiles)
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
		fmt.Fprintf(p, "   truth %-26s %-12s %s%s\n", t.ID, state, t.What, opt)
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
		fmt.Fprintf(p, "   %4d %-8s %-14s %-44s %-24s %s\n", a.Rank, a.Severity, a.Rule, clip(sanitize.Line(who), 44),
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

// printer keeps the first write error and skips the writes after it.
type printer struct {
	w   io.Writer
	err error
}

func (p *printer) Write(b []byte) (int, error) {
	if p.err != nil {
		return 0, p.err
	}
	var n int
	n, p.err = p.w.Write(b)
	return n, p.err
}
