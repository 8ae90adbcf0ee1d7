package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/mamori-soc/mamori/app"
	"github.com/mamori-soc/mamori/app/control"
	"github.com/mamori-soc/mamori/detect"
	"github.com/mamori-soc/mamori/ingest"
	"github.com/mamori-soc/mamori/internal/duration"
	"github.com/mamori-soc/mamori/sanitize"
	"github.com/mamori-soc/mamori/store"
)

func newIngestCmd(g *globals) *cobra.Command {
	var resume bool
	cmd := &cobra.Command{
		Use:   "ingest [flags] PATH...",
		Short: "Import log files and folders (including .gz) into the store",
		Long: `Import collected logs — files, folders (walked recursively) and .gz files —
into the store, recognising each file's format from its content. Files that
are not logs of a known format are listed as skipped with the reason;
malformed lines are counted per reason. Importing the same file twice stores
each line once.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			sum, err := a.Ingest(cmd.Context(), args, resume, progressPrinter())
			if err != nil && !interrupted(cmd.Context(), err) {
				return importStopped(err)
			}
			if g.jsonOut {
				if jerr := json.NewEncoder(os.Stdout).Encode(sum); jerr != nil {
					return jerr
				}
			} else if perr := printSummary(os.Stdout, sum); perr != nil {
				return perr
			}
			if err != nil {
				return interruptedError(sum, true)
			}
			if sum.Events > 0 && !g.jsonOut {
				fmt.Printf("stored, not analysed: run \"mamori scan --db %s\" to run the rules over them\n", a.Store.Dir())
			}
			return nothingReadError(sum)
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print the summary as one JSON object")
	cmd.Flags().BoolVar(&resume, "resume", true, "skip what an earlier import of the same unchanged files stored")
	readFlags(cmd, g)
	return cmd
}

func newScanCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "scan [flags] [PATH...]",
		Short: "Import logs, run every detector to completion and print the alerts",
		Long: `Import collected logs (like "mamori ingest"), run every detection rule
over all stored events in event-time order, and print the alerts, most
important first (the priority order of "mamori alerts --help"): a readable table on a terminal, one JSON object per line
with --json, ending with one {"summary": {...}} line. Without --db the scan
uses a temporary store that is removed afterwards; give --db DIR to keep it
for "mamori alerts" or the console. With --db and no PATH, the events
already in the store are analysed (after "mamori ingest").

Syslog-style logs carry no zone and are read in --timezone (or the
config's timezone:, else the machine's zone). When the sources disagree by
whole hours (the same lookups and connections seen hours apart, a file
dated after it was written), the summary says which files and the
--timezone to try ("warnings" and "zone_warnings" with --json).

Exit status: 0 when events were analysed (alerts or not), 3 when no event
was read (nothing but skipped or rejected input), 130 when interrupted.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 && g.db == "" {
				return usageError("scan: give the logs to scan, or --db DIR to analyse a store filled by \"mamori ingest\"")
			}
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			keep := g.db != ""
			if g.db == "" {
				tmp, err := os.MkdirTemp("", "mamori-scan-")
				if err != nil {
					return err
				}
				defer removeTemp(tmp)
				g.db = tmp
			}
			a, done, err := openAppWith(g, cfg, false)
			if err != nil {
				return err
			}
			defer done()
			var sum ingest.Summary
			if len(args) > 0 {
				sum, err = a.Scan(cmd.Context(), args, progressPrinter())
			} else {
				err = a.Detect(cmd.Context())
			}
			if interrupted(cmd.Context(), err) {
				_ = printSummary(os.Stderr, sum)
				return interruptedError(sum, keep)
			}
			if err != nil {
				return importStopped(err)
			}
			if len(args) > 0 {
				if err := nothingReadError(sum); err != nil {
					_ = printSummary(os.Stderr, sum)
					return err
				}
			}
			as, err := a.Alerts(all)
			if err != nil {
				return err
			}
			var warnings []string
			if w := a.Topology.Warning(); w != "" {
				warnings = append(warnings, w)
			}
			if len(args) == 0 {
				// Nothing was read now: the stored sources are compared
				// for the time-zone check instead.
				rep, err := a.SourcesReport(cmd.Context())
				if err != nil {
					return err
				}
				sum.Zones = rep.Zones
				if !g.jsonOut {
					for _, z := range rep.Zones {
						warnings = append(warnings, z.Text)
					}
				}
			}
			if g.jsonOut {
				if err := printJSONLines(os.Stdout, as); err != nil {
					return err
				}
				for _, z := range sum.Zones {
					warnings = append(warnings, z.Text)
				}
				return json.NewEncoder(os.Stdout).Encode(scanSummary{Summary: sum, Alerts: len(as), Warnings: warnings, Learning: learningOf(a.Engine)})
			}
			// The summary is a side note on stderr: the alerts on stdout
			// are the result, and whether they were written is what counts.
			if len(args) > 0 {
				_ = printSummary(os.Stderr, sum)
			}
			if n := learningOf(a.Engine); len(args) > 0 || n != nil && !n.Done {
				_ = n.print(os.Stderr)
				fmt.Fprintln(os.Stderr)
			}
			for _, w := range warnings {
				fmt.Fprintln(os.Stderr, "warning: "+w)
				fmt.Fprintln(os.Stderr)
			}
			return printAlerts(os.Stdout, as, outputWidth(g), a.Location())
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print alerts as JSON lines")
	cmd.Flags().BoolVar(&all, "all", false, "include allow-listed alerts")
	readFlags(cmd, g)
	detectFlags(cmd, g)
	return cmd
}

// importStopped says what a full disk means for an import: it stopped,
// kept what it stored, and resumes.
func importStopped(err error) error {
	if !errors.Is(err, store.ErrDiskFull) {
		return err
	}
	return &exitError{code: exitDiskFull, err: fmt.Errorf("the import stopped: %w. What it stored is kept: run the same command again once space is freed and it resumes where it stopped", err)}
}

func newPruneCmd(g *globals) *cobra.Command {
	var force bool
	cmd := &cobra.Command{
		Use:   "prune [--force]",
		Short: "Delete the events the retention no longer keeps, now",
		Long: `Delete the events the retention no longer keeps (see "retention" in the
README): those older than the retention by the clock, unless their day was
stored (imported) less than the retention ago. The console does this by
itself every ten minutes, but never deletes more than half of the store at
once: when the clock jumped, mamori was stopped for long, or the retention
was shortened, it logs why it refused. --force deletes them anyway.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			n, err := a.Store.Prune(cmd.Context(), force)
			if err != nil {
				return err
			}
			fmt.Printf("pruned %d events (retention %s)\n", n, duration.Format(time.Duration(a.Config.Retention)))
			return nil
		},
	}
	cmd.Flags().BoolVar(&force, "force", false, "delete them even when they are more than half of the store")
	return cmd
}

func newMigrateCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Convert a store written by an older mamori to the current format",
		Long: `Convert a store written by an older mamori (one entry per event) to the
current format (events in compressed blocks, timelines indexed by hour).
Any command that opens the store for writing does this by itself, once; a
read-only command (--readonly, "alerts", "report"...) refuses an old store
and names this command. The conversion reads every event once (about a
minute per few million events); if it is interrupted, run it again: it
starts over, and the old entries are deleted only once all are converted.`,
		Args: cobra.NoArgs,
		RunE: func(_ *cobra.Command, _ []string) error {
			a, done, err := openApp(g, false)
			if err != nil {
				return err
			}
			defer done()
			if ok, n := a.Store.Migrated(); ok {
				fmt.Printf("converted %d events; the store is in the current format\n", n)
			} else {
				fmt.Println("the store is already in the current format")
			}
			return nil
		},
	}
}

func newAlertsCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "alerts",
		Short: "Print the alerts a store holds, most important first",
		Long: `Print the alerts a store holds, most important first: a table on a
terminal, one JSON object per line with --json. While a mamori runs on
the store (the console, --headless, the demo) the alerts are read
through it, the same as from the store, with a note on stderr.

Most important first is mamori's one priority order, the same in the
console's alert list and in "mamori scan": severity (critical first),
then score (the strongest finding first), then phase (the furthest
attack phase first), then time (the newest first). Each alert's rank in
it is the "priority" field of the JSON (1 = shown first).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			a, _, done, err := openRead(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer done()
			as, err := a.Alerts(all)
			if err != nil {
				return err
			}
			// Events the rules never saw make "no alerts" a wrong answer:
			// say so, whatever the output format.
			if p, err := a.Pending(); err == nil && p.Events > 0 {
				fmt.Fprintf(os.Stderr, "mamori: %d events stored by \"mamori ingest\" since %s were never analysed: run \"mamori scan --db %s\"\n",
					p.Events, p.Since.In(a.Location()).Format(time.DateTime+" MST"), a.StoreDir())
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, as)
			}
			return printAlerts(os.Stdout, as, outputWidth(g), a.Location())
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print alerts as JSON lines")
	cmd.Flags().BoolVar(&all, "all", false, "include allow-listed alerts")
	return cmd
}

// interrupted reports whether err is the command's context ending (Ctrl-C
// or SIGTERM) rather than a failure.
func interrupted(ctx context.Context, err error) bool {
	return err != nil && ctx.Err() != nil && errors.Is(err, context.Canceled)
}

// interruptedError says what an interrupted import kept.
func interruptedError(sum ingest.Summary, kept bool) error {
	msg := fmt.Sprintf("interrupted; %d events stored; run the same command again to resume", sum.Events)
	if !kept {
		msg = fmt.Sprintf("interrupted after reading %d events; nothing kept (the scan used a temporary store: give --db DIR to keep what is read)", sum.Events)
	}
	return &exitError{code: exitInterrupted, err: errors.New(msg)}
}

// nothingReadError is the error of an import that read no event and had
// nothing already imported: an empty folder, unreadable or unknown files.
func nothingReadError(sum ingest.Summary) error {
	if sum.Events > 0 || sum.Unchanged > 0 {
		return nil
	}
	var why []string
	if n := len(sum.Skipped); n > 0 {
		why = append(why, fmt.Sprintf("%d files skipped: %s", n, firstReasons(sum.Skipped)))
	}
	if n := len(sum.Failed); n > 0 {
		why = append(why, fmt.Sprintf("%d files unreadable: %s", n, firstReasons(sum.Failed)))
	}
	if sum.Rejected > 0 {
		why = append(why, fmt.Sprintf("%d lines rejected", sum.Rejected))
	}
	if sum.Files == 0 && len(sum.Skipped) == 0 && len(sum.Failed) == 0 {
		why = append(why, "no files found")
	}
	msg := "0 events read"
	if len(why) > 0 {
		msg += " (" + strings.Join(why, "; ") + ")"
	}
	return &exitError{code: exitNothingRead, err: errors.New(msg)}
}

// firstReasons names the first few files and why.
func firstReasons(fs []ingest.SkippedFile) string {
	var parts []string
	for i, f := range fs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(fs)-3))
			break
		}
		parts = append(parts, sanitize.Line(filepath.Base(f.Path))+": "+sanitize.Line(f.Reason))
	}
	return strings.Join(parts, ", ")
}

// scanSummary is the last line of `scan --json`: what was read and found,
// so a script can tell "no alerts" from "nothing analysed".
type scanSummary struct {
	ingest.Summary
	Alerts int `json:"alerts"`
	// Warnings say why the alerts may be incomplete (no event had an
	// internal address; sources disagree on the time zone: their texts
	// are also in zone_warnings, with the offsets and the zone to try).
	Warnings []string `json:"warnings,omitempty"`
	// Learning says which rules only learned (the data is shorter than
	// the learning window): their silence is not a verdict.
	Learning *learningNote `json:"learning,omitempty"`
}

// MarshalJSON wraps the summary as {"summary": {...}}, a line no alert
// line can be taken for.
func (s scanSummary) MarshalJSON() ([]byte, error) {
	type plain scanSummary
	return json.Marshal(struct {
		Summary plain `json:"summary"`
	}{plain(s)})
}

func newFormatsCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "formats",
		Short: "List the supported log formats with an example line each",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			for _, f := range ingest.Formats() {
				fmt.Printf("%-10s %s\n           %s\n\n", f.Name, f.Title, sanitize.Line(f.Example))
			}
			return nil
		},
	}
}

func newBaselineCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "baseline",
		Short: "Manage the learned baselines of normal business",
	}
	var from, to string
	learn := &cobra.Command{
		Use:   "learn --from TIME --to TIME",
		Short: "Relearn every baseline from the stored events of a period",
		Long: `Relearn the baselines of normal business (per endpoint, per segment and
across the organisation) from the events stored between --from and --to,
replacing what was learned before. Times are RFC 3339 ("2026-11-01T00:00:00+09:00")
or dates and times in the office's zone ("2026-11-01" is midnight there,
"2026-11-01 09:00").`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			loc := officeLocation(cfg, g)
			f, err := parseWhen(from, loc)
			if err != nil {
				return usageError("--from: %v", err)
			}
			t, err := parseWhen(to, loc)
			if err != nil {
				return usageError("--to: %v", err)
			}
			if !t.After(f) {
				return usageError("--to must be after --from")
			}
			a, done, err := openAppWith(g, cfg, false)
			if err != nil {
				return err
			}
			defer done()
			n, err := a.Engine.LearnFrom(cmd.Context(), a.Store, f, t)
			if err != nil {
				return err
			}
			fmt.Printf("learned baselines from %d events between %s and %s\n", n, f.In(loc).Format(time.DateTime+" MST"), t.In(loc).Format(time.DateTime+" MST"))
			return nil
		},
	}
	learn.Flags().StringVar(&from, "from", "", "start of the period (required)")
	learn.Flags().StringVar(&to, "to", "", "end of the period (required)")
	_ = learn.MarkFlagRequired("from")
	_ = learn.MarkFlagRequired("to")
	cmd.AddCommand(learn)
	return cmd
}

// parseWhen reads a time given on the command line; one without a zone
// is in the office's (loc).
func parseWhen(s string, loc *time.Location) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, time.DateTime, "2006-01-02 15:04", "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("cannot read %q as a time (use 2026-11-01 or 2026-11-01T09:00:00+09:00)", s)
}

func newRulesCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rules [RULE...]",
		Short: "List every detection rule with its state (active, learning, disabled), or describe the rules named",
		Long: `List every detection rule with its state: active, learning (a
normal-business rule judges nothing until its baseline is learned) or
disabled (and why). With rule ids, describe each: what it looks for, what
to check first, how it learns its baseline and why an attacker active
while it learns cannot teach it, and its settings. Only reads: without a
store, none is created and the learning rules show no progress; a store
a running mamori holds is read through it.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, _, err := loadConfig(g)
			if err != nil {
				return err
			}
			log, closeLog := openLog(g, cfg)
			defer closeLog()
			var remote *control.Client
			defer func() {
				if remote != nil {
					remote.Close()
				}
			}()
			held := func(locked *store.LockedError) (app.Reader, error) {
				c, err := dialHeld(cmd.Context(), locked)
				if err != nil {
					return nil, err
				}
				remote = c
				return c, nil
			}
			states, note, err := app.RuleStates(cfg, appOptions(g, true, log), held)
			if err != nil {
				return err
			}
			if note != "" {
				fmt.Fprintln(os.Stderr, "mamori:", note)
			}
			if len(args) > 0 {
				return describeRules(os.Stdout, states, args, g.jsonOut)
			}
			if g.jsonOut {
				return printJSONLines(os.Stdout, ruleRows(states))
			}
			t := newGrid("RULE", "PERSPECTIVE", "BASIS", "PH", "ATT&CK", "STATE", "WHY", "NEEDS").withDetail(6, 7)
			for _, s := range states {
				state := stateText(s)
				if s.State == detect.StateDisabled {
					state = "disabled"
				}
				t.row(s.Rule.ID, string(s.Rule.Perspective), string(s.Rule.Basis), fmt.Sprint(s.Rule.Phase),
					joinMax(s.Rule.Attack, 2), state, s.Why, "needs "+strings.Join(sourceNames(s), ", "))
			}
			return t.write(os.Stdout, outputWidth(g))
		},
	}
	cmd.Flags().BoolVar(&g.jsonOut, "json", false, "print rules as JSON lines")
	detectFlags(cmd, g)
	return cmd
}

// ruleRow is a rule as `mamori rules --json` prints it.
type ruleRow struct {
	ID          string   `json:"id"`
	Title       string   `json:"title"`
	Perspective string   `json:"perspective"`
	Basis       string   `json:"basis"`
	Phase       int      `json:"phase"`
	Attack      []string `json:"attack"`
	Sources     []string `json:"sources"`
	State       string   `json:"state"`
	Why         string   `json:"why,omitempty"`
	Progress    float64  `json:"learning_progress,omitempty"`
	Learning    string   `json:"learning,omitempty"` // how the rule learns its baseline
}

func ruleRows(states []detect.RuleState) []ruleRow {
	rows := make([]ruleRow, len(states))
	for i, s := range states {
		rows[i] = ruleRow{s.Rule.ID, s.Rule.Title.EN, string(s.Rule.Perspective), string(s.Rule.Basis), s.Rule.Phase, s.Rule.Attack,
			sourceNames(s), s.State, s.Why, s.Progress, s.Rule.Learning.EN}
	}
	return rows
}

// stateText is a rule's state for the table.
func stateText(s detect.RuleState) string {
	switch {
	case s.State == detect.StateLearning:
		return fmt.Sprintf("learning %.0f%%", s.Progress*100)
	case s.State == detect.StateDisabled:
		return "disabled: " + s.Why
	case s.Learns:
		return fmt.Sprintf("active, learning %.0f%%", s.Progress*100)
	}
	return s.State
}

// describeRules prints the rules named, in full.
func describeRules(w io.Writer, states []detect.RuleState, ids []string, jsonOut bool) error {
	byID := map[string]detect.RuleState{}
	for _, s := range states {
		byID[s.Rule.ID] = s
	}
	var picked []detect.RuleState
	for _, id := range ids {
		s, ok := byID[strings.ToUpper(id)]
		if !ok {
			return usageError("no rule %q (see mamori rules)", id)
		}
		picked = append(picked, s)
	}
	if jsonOut {
		return printJSONLines(w, ruleRows(picked))
	}
	p := &printer{w: w}
	for i, s := range picked {
		r := s.Rule
		if i > 0 {
			p.printf("\n")
		}
		p.printf("%s  %s\n", r.ID, r.Title.EN)
		p.printf("  %s / %s, phase %d, %s; state: %s\n", r.Perspective, r.Basis, r.Phase, strings.Join(r.Attack, ", "), stateText(s))
		p.printf("\n%s\n", wrapIndent(r.Description.EN))
		p.printf("\nCheck first:\n%s\n", wrapIndent(r.Check.EN))
		if r.Learning.EN != "" {
			p.printf("\nLearning:\n%s\n", wrapIndent(r.Learning.EN))
		}
		if len(s.Params) > 0 {
			p.printf("\nSettings (rules.%s.params in the config):\n", r.ID)
			p.table(func(t *printer) {
				for _, prm := range s.Params {
					t.printf("  %s\t%v\t%s\n", prm.Name, prm.Default, prm.Doc)
				}
			})
		}
	}
	return p.err
}

// wrapIndent wraps a paragraph at 78 columns, two spaces in.
func wrapIndent(text string) string {
	var b strings.Builder
	line := 0
	for _, w := range strings.Fields(text) {
		switch {
		case line == 0:
			b.WriteString("  ")
			line = 2
		case line+1+len(w) > 78:
			b.WriteString("\n  ")
			line = 2
		default:
			b.WriteByte(' ')
			line++
		}
		b.WriteString(w)
		line += len(w)
	}
	return b.String()
}

// sourceNames lists the data a rule needs: event kinds with example
// formats, or "alerts" for composite rules.
func sourceNames(s detect.RuleState) []string {
	var out []string
	for _, src := range s.Rule.Sources {
		if len(src.Formats) == 0 {
			out = append(out, src.Kind)
			continue
		}
		out = append(out, src.Kind+" ("+strings.Join(src.Formats, "/")+")")
	}
	return out
}

func joinMax(ss []string, n int) string {
	if len(ss) > n {
		return fmt.Sprintf("%s +%d", strings.Join(ss[:n], ", "), len(ss)-n)
	}
	return strings.Join(ss, ", ")
}
